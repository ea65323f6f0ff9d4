/* expect: recursion.c:6: construct not supported in BPF: recursion through a function pointer (countdown -> countdown) */
#include <stdlib.h>
static int apply(int (*f)(int), int n) { return f(n); }
static int countdown(int n)
{
	return n ? apply(countdown, n - 1) : 0;
}
int main(void) { return countdown(3); }
