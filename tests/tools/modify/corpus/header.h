#ifndef BUFFER_H
#define BUFFER_H
#include <stdlib.h>

struct buffer {
	char *data;
	size_t len;
};

static inline struct buffer *buffer_new(size_t cap)
{
	struct buffer *b = malloc(sizeof(*b));

	if (!b)
		return NULL;
	b->data = calloc(cap, 1);
	b->len = 0;
	return b;
}

static inline void buffer_free(struct buffer *b)
{
	free(b->data);
	free(b);
}
#endif
