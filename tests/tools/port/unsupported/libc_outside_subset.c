/* expect: libc_outside_subset.c:5: construct not supported in BPF: qsort() is a libc function outside the supported subset */
#include <stdlib.h>
int main(void)
{
	qsort(NULL, 0, 1, NULL);
	return 0;
}
