/* A singly linked list: insert at the head and in order, reverse, delete by value, print. */
#include <stdio.h>
#include <stdlib.h>

struct node {
	int value;
	struct node *next;
};

static struct node *push(struct node *head, int value)
{
	struct node *n = malloc(sizeof(*n));

	n->value = value;
	n->next = head;
	return n;
}

static struct node *insert_sorted(struct node *head, int value)
{
	struct node *n, *at;

	if (!head || value < head->value)
		return push(head, value);
	for (at = head; at->next && at->next->value < value; at = at->next)
		;
	n = malloc(sizeof(*n));
	if (!n)
		return head;
	n->value = value;
	n->next = at->next;
	at->next = n;
	return head;
}

static struct node *reverse(struct node *head)
{
	struct node *done = NULL;

	while (head) {
		struct node *next = head->next;

		head->next = done;
		done = head;
		head = next;
	}
	return done;
}

static struct node *delete_value(struct node *head, int value, int *deleted)
{
	struct node *prev = NULL, *n = head;

	while (n) {
		if (n->value == value) {
			struct node *next = n->next;

			if (prev)
				prev->next = next;
			else
				head = next;
			free(n);
			n = next;
			*deleted += 1;
		} else {
			prev = n;
			n = n->next;
		}
	}
	return head;
}

static void print(const char *label, struct node *n)
{
	printf("%-10s:", label);
	for (; n; n = n->next)
		printf(" %d", n->value);
	putchar('\n');
}

int main(void)
{
	struct node *list = NULL;
	int *deleted = calloc(1, sizeof(int));
	int i;

	if (!deleted)
		return 1;
	for (i = 0; i < 8; i++)
		list = push(list, i * 3 % 7);
	print("pushed", list);
	list = insert_sorted(reverse(list), 4);
	print("reversed+4", list);
	list = delete_value(list, 4, deleted);
	list = delete_value(list, 0, deleted);
	print("deleted", list);
	printf("deleted %d nodes\n", *deleted);
	while (list) {
		struct node *next = list->next;

		free(list);
		list = next;
	}
	free(deleted);
	return 0;
}
