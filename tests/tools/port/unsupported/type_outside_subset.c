/* expect: type_outside_subset.c:6: construct not supported in BPF: use of undeclared identifier 'clock_t': a name from a header outside dm port's libc (<time.h>)? */
#include <time.h>

int main(void)
{
	clock_t ticks = 0;
	return (int)ticks;
}
