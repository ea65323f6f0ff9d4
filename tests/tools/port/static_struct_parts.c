/* A static struct of which the program uses some fields (issue 19, 3): clang split it into one variable per field
 * while its BTF kept the whole struct, the kernel refused that BTF, and without it the heap's bpf_loop callback was
 * rejected with "missing btf func_info" and no source line. */
#include <stdio.h>
#include <stdlib.h>

struct counters {
	char small;
	long never_used;
	int large;
};
static struct counters g = { 1, 2, 3 };
static int table[64] = { 5, 6 }; /* only constant indexes: splittable too */

int main(void)
{
	int *p = malloc(sizeof(*p));

	if (!p)
		return 1;
	*p = 40;
	g.small += (char)*p;
	g.large ^= *p;
	table[1] += g.large;
	printf("%d %d %d %d\n", g.small, g.large, table[0], table[1]);
	free(p);
	return 0;
}
