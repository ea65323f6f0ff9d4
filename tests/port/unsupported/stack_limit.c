/* An initialised local array too large for the BPF stack (512 bytes for the whole call chain).
 * expect: stack_limit.c:7: construct not supported in BPF: local array 'primes' of 400 bytes with an initialiser */
#include <stdio.h>

int main(void)
{
	int primes[100] = { 2, 3, 5, 7, 11, 13 };
	printf("%d\n", primes[5]);
	return 0;
}
