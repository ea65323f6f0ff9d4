/* list_merge_sort: builds a linked list of random numbers (count and seed from the command line), sorts it with a
 * recursive merge sort that splits through out-parameters, checks the order, removes duplicates, and prints a
 * summary. */
#include <stdio.h>
#include <stdlib.h>

struct cell {
	int value;
	struct cell *next;
};

static struct cell *push(struct cell *head, int value)
{
	struct cell *c = malloc(sizeof(*c));

	if (!c) {
		fprintf(stderr, "list_merge_sort: out of memory\n");
		exit(EXIT_FAILURE);
	}
	c->value = value;
	c->next = head;
	return c;
}

static void split(struct cell *list, struct cell **front, struct cell **back)
{
	struct cell *slow = list, *fast = list->next;

	while (fast && fast->next) {
		slow = slow->next;
		fast = fast->next->next;
	}
	*front = list;
	*back = slow->next;
	slow->next = NULL;
}

static struct cell *merge(struct cell *a, struct cell *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->value <= b->value) {
		a->next = merge(a->next, b);
		return a;
	}
	b->next = merge(a, b->next);
	return b;
}

static struct cell *sort(struct cell *list)
{
	struct cell *front, *back;

	if (!list || !list->next)
		return list;
	split(list, &front, &back);
	return merge(sort(front), sort(back));
}

static int length(const struct cell *list)
{
	int n = 0;

	for (; list; list = list->next)
		n++;
	return n;
}

static int remove_duplicates(struct cell *list)
{
	int removed = 0;

	while (list && list->next) {
		if (list->value == list->next->value) {
			struct cell *gone = list->next;

			list->next = gone->next;
			free(gone);
			removed++;
		} else {
			list = list->next;
		}
	}
	return removed;
}

int main(int argc, char **argv)
{
	struct cell *list = NULL, *c;
	int count, i, shown = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s COUNT SEED\n", argv[0]);
		return 2;
	}
	count = atoi(argv[1]);
	srand((unsigned)atoi(argv[2]));
	for (i = 0; i < count; i++)
		list = push(list, rand() % 500);
	list = sort(list);
	for (c = list; c && c->next; c = c->next)
		if (c->value > c->next->value) {
			fprintf(stderr, "not sorted at %d\n", c->value);
			return 1;
		}
	i = remove_duplicates(list);
	printf("sorted %d numbers, %d duplicates removed, %d left\n", count, i, length(list));
	printf("smallest:");
	for (c = list; c && shown < 10; c = c->next, shown++)
		printf(" %d", c->value);
	printf("\n");
	while (list) {
		c = list->next;
		free(list);
		list = c;
	}
	return 0;
}
