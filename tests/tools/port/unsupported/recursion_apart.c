/* expect: recursion_apart.c:9: construct not supported in BPF: 'half' defined between them (define them one after another), in functions that call each other (down -> up -> down) */
#include <stdlib.h>
static int up(int n);
static int down(int n)
{
	return n > 0 ? up(n - 1) : 0;
}
/* a helper that sits between the two */
static int half(int n) { return n / 2; }
static int up(int n) { return n > 0 ? down(half(n)) + 1 : 0; }
int main(void) { return down(9); }
