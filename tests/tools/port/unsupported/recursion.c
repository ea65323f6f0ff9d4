/* expect: recursion.c:8: construct not supported in BPF: recursion (is_even -> is_odd -> is_even): dm port runs a function that calls itself on a stack of frames, not functions that call each other */
#include <stdlib.h>
static int is_odd(unsigned n);
static int is_even(unsigned n)
{
	return n == 0 ? 1 : is_odd(n - 1);
}
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
int main(void) { return is_even(10); }
