/* expect: index_out_of_bounds.c:10: index 8 is outside the array's 8 elements */
#include <stdio.h>
int main(void)
{
	int counts[8];
	int i;

	for (i = 0; i < 8; i++)
		counts[i] = i;
	printf("before: %d\n", counts[i]);
	return 0;
}
