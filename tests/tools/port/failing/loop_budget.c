/* 27 billion turns: more than the verifier's budget for loops (can_loop), which ends the program loudly.
 * expect: loop_budget.c:11: a loop ran past the verifier's budget */
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
	long total = 0;
	for (int i = 0; i < 3000; i++) {
		long *cell = calloc(1, sizeof(long));
		for (int j = 0; j < 3000; j++) {
			for (int k = 0; k < 3000; k++)
				total += (i ^ j ^ k) & 1;
		}
		free(cell);
	}
	printf("%ld\n", total);
	return 0;
}
