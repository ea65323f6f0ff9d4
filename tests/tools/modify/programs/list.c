/* A singly linked list: insert, reverse, delete. */
#include <stdio.h>
#include <stdlib.h>

struct node {
	int value;
	struct node *next;
};

static struct node *push(struct node *head, int value)
{
	struct node *n = malloc(sizeof(*n));

	if (!n)
		exit(1);
	n->value = value;
	n->next = head;
	return n;
}

static void print(const char *what, const struct node *n)
{
	printf("%s:", what);
	for (; n; n = n->next)
		printf(" %d", n->value);
	printf("\n");
}

int main(void)
{
	struct node *head = NULL, *prev = NULL;

	for (int i = 1; i <= 8; i++)
		head = push(head, i * 3);
	print("pushed", head);
	while (head) {
		struct node *next = head->next;

		head->next = prev;
		prev = head;
		head = next;
	}
	head = prev;
	print("reversed", head);
	for (struct node **at = &head; *at;) {
		if ((*at)->value % 2) {
			struct node *gone = *at;

			*at = gone->next;
			free(gone);
		} else {
			at = &(*at)->next;
		}
	}
	print("odd deleted", head);
	while (head) {
		struct node *next = head->next;

		free(head);
		head = next;
	}
	return 0;
}
