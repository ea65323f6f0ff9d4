/* expect: float_format.c:5: construct not supported in BPF: floating point (printf %f) */
#include <stdio.h>
int main(void)
{
	printf("%f\n", 1);
	return 0;
}
