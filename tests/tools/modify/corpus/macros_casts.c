#include <stdlib.h>
#include <string.h>

#define NEW(type) ((type *)malloc(sizeof(type)))
#define ZERO_ARRAY(n, type) calloc((n), sizeof(type))
#define CHECK(x) ((x) ? (x) : NULL)

struct point {
	int x, y;
};

struct point *make(int n)
{
	struct point *p = (struct point *)malloc(sizeof(struct point) *
						 (size_t)n);
	int *counts = CHECK(ZERO_ARRAY(n, int));
	char *copy = CHECK(malloc(strlen("abc") + 1));

	if (!p || !counts || !copy)
		return NULL;
	p = realloc(p,
		    sizeof(*p) * (size_t)(n + 1));
	free(counts);
	free(copy);
	return p;
}
