/* expect: file_io.c:6: construct not supported in BPF: fopen() is file I/O */
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
	void *f = fopen("/etc/hostname", "r");
	return f != NULL;
}
