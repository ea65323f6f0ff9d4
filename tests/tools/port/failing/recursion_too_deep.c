/* A recursion deeper than the heap has room for frames: the program ends with the line of the call that needed one
 * more (natively, a stack overflow: a crash).
 * expect: recursion_too_deep.c:9: recursion deeper than the heap allows */
#include <stdio.h>
static long count_down(long n)
{
	if (n == 0)
		return 0;
	return 1 + count_down(n - 1);
}
int main(void)
{
	printf("%ld\n", count_down(10000000));
	return 0;
}
