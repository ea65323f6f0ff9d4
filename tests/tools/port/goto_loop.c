/* Loops made with goto (issue 19, 4): a backward goto is bounded like a loop condition, so the verifier accepts it
 * (it answered "infinite loop detected"); a forward goto is left alone. */
#include <stdio.h>

static int collatz_steps(unsigned long n)
{
	int steps = 0;
again:
	if (n == 1)
		goto done;
	n = n % 2 ? 3 * n + 1 : n / 2;
	steps++;
	if (steps < 1000)
		goto again;
	else
		printf("gave up\n");
done:
	return steps;
}

int main(void)
{
	int longest = 0, at = 0;
	unsigned long n = 1;

next:
	if (collatz_steps(n) > longest) {
		longest = collatz_steps(n);
		at = (int)n;
	}
	if (++n < 30)
		goto next;
	printf("longest below 30: %d steps from %d\n", longest, at);
	return 0;
}
