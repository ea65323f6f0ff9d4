/* expect: floating_point.c:6: construct not supported in BPF: floating point (double) */
#include <stdio.h>
int main(void)
{
	int n = 3;
	double half = n / 2.0;
	return half > 1;
}
