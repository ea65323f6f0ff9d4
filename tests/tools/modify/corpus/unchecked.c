#include <stdlib.h>

struct node {
	int value;
	struct node *next;
};

struct node *push(struct node *head, int value)
{
	struct node *n = malloc(sizeof(*n));

	n->value = value;
	n->next = head;
	return n;
}

void fill(int count)
{
	int *v;

	v = calloc((size_t)count, sizeof(int));
	v[0] = count;
	free(v);
}
