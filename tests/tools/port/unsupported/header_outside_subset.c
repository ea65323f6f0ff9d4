/* expect: header_outside_subset.c:8: construct not supported in BPF: time() is a libc function outside the supported subset */
#include <stdio.h>
#include <time.h>

int main(void)
{
	printf("a header's function is refused at its call, not at the include\n");
	return (int)time(NULL) & 1;
}
