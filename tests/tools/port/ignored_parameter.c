/* A function that ignores a parameter (found by Csmith): made a global subprogram, clang passed `poison` for it and
 * left the register unset after the previous call, and the verifier refused the program ("R2 is not a scalar").
 * dm port makes such functions weak, so that clang passes what the caller wrote. */
#include <stdio.h>

int first_of(int used, int ignored)
{
	return used + 1;
}

int main(void)
{
	int a = first_of(1, 2);

	a = first_of(a, 3);
	a = first_of(first_of(a, a), 4);
	printf("%d\n", a);
	return a == 5 ? 0 : 1;
}
