/* expect: float_use.c:8: construct not supported in BPF: floating point (double) */
#include <stdio.h>

double ratio = 0.25; /* declared and initialised: no refusal yet */

int main(void)
{
	printf("%d\n", (int)(ratio * 100));
	return 0;
}
