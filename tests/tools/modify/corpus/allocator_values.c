#include <stdlib.h>

/* An allocator table, as libraries take one: the four functions used as values, not called. */
struct allocator {
	void *(*alloc)(size_t);
	void *(*zalloc)(size_t, size_t);
	void *(*resize)(void *, size_t);
	void (*release)(void *);
};

static const struct allocator libc_allocator = {
	.alloc = malloc,
	.zalloc = calloc,
	.resize = realloc,
	.release = free,
};

static void *(*fallback)(size_t) = malloc;

int main(void)
{
	struct allocator o = libc_allocator;
	void *(*grow)(void *, size_t);
	char *p = o.alloc(16);

	grow = realloc;
	p = grow(p, 32);
	o.release(p);
	p = fallback(8);
	free(p);
	return 0;
}
