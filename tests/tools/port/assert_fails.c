/* A failed assert prints glibc's message (program name, file, line, function, expression) and aborts: dm run dies of
 * SIGABRT too, and what standard output still buffered is lost, as natively. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

static int checked_half(int n)
{
	assert((n & 1) == 0);
	return n >> 1;
}

int main(void)
{
	int i;

	for (i = 8; i >= 0; i -= 2)
		printf("half of %d is %d\n", i, checked_half(i));
	fprintf(stderr, "now an odd number\n");
	printf("half of 7 is %d\n", checked_half(7));
	return 0;
}
