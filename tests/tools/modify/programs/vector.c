/* A dynamic array grown with realloc. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	long *v = NULL, sum = 0;
	size_t len = 0, cap = 0;

	for (long i = 1; i <= 1000; i++) {
		if (len == cap) {
			long *grown;

			cap = cap ? cap * 2 : 4;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				free(v);
				return 1;
			}
			v = grown;
		}
		v[len++] = i * i;
	}
	for (size_t i = 0; i < len; i++)
		sum += v[i];
	printf("%zu squares, capacity %zu, sum %ld, last %ld\n", len, cap, sum, v[len - 1]);
	free(v);
	return 0;
}
