#include <stdlib.h>

struct allocator {
	void *(*malloc)(size_t);
	void (*free)(void *);
	int realloc;
};

void *xmalloc(size_t n);
void my_free(void *p);
extern void *free_list;

int shadowed(int free)
{
	int malloc = free * 2;

	return malloc + free;
}

void *use(struct allocator *a, size_t n)
{
	void *p = a->malloc(n);

	a->free(p);
	my_free(free_list);
	a->realloc = 1;
	return xmalloc(n);
}

void release(void *p)
{
	free(p);
}
