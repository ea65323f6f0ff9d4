/* The address of a variable (issue 20, 2): out-parameters, push(&head, x), a pointer to a pointer walking a list,
 * a string builder passed by address, arrays used as pointers, a parameter's address, globals initialised with
 * addresses and string literals. Each such variable lives in the arena, where every pointer of a ported program
 * points. */
#include <stdio.h>
#include <stdlib.h>

struct node {
	int value;
	struct node *next;
};

struct builder {
	char *text;
	int length, capacity;
};

static int counter = 10;
static int *counter_at = &counter;
static const char *greeting = "hello";
static int table[4] = { 1, 2, 3, 4 };
static int *cells[2] = { &table[1], &table[3] };

static int lookup(int key, int *found)
{
	*found = key % 2 == 0;
	return key * 10;
}

static void push(struct node **head, int value)
{
	struct node *n = malloc(sizeof(*n));

	n->value = value;
	n->next = *head;
	*head = n;
}

static void sb_putc(struct builder *b, char c)
{
	if (b->length + 1 >= b->capacity) {
		b->capacity = b->capacity ? 2 * b->capacity : 8;
		b->text = realloc(b->text, b->capacity);
	}
	b->text[b->length++] = c;
	b->text[b->length] = 0;
}

static int sum(int *values, int n)
{
	int total = 0;

	for (int i = 0; i < n; i++)
		total += values[i];
	return total;
}

static void bump(int n)
{
	int *p = &n;

	*p += 1;
	printf("bumped %d\n", n);
}

int main(void)
{
	struct node *head = NULL, **pp = &head;
	struct builder b = { 0 };
	int ok, i, k, *x, *y;
	int local[5] = { 5, 4, 3, 2, 1 };
	char word[] = "abc";

	for (i = 0; i < 4; i++)
		push(&head, i);
	while (*pp && (*pp)->value != 2)
		pp = &(*pp)->next;
	if (*pp)
		*pp = (*pp)->next;
	for (struct node *n = head; n; n = n->next)
		printf("%d ", n->value);
	printf("\n");
	k = lookup(4, &ok);
	printf("lookup %d %d\n", k, ok);
	k = lookup(3, &ok);
	printf("lookup %d %d\n", k, ok);
	for (i = 0; i < 5; i++)
		sb_putc(&b, 'a' + i);
	printf("%s %d\n", b.text, b.length);
	x = &local[1];
	y = local;
	printf("%d %d %d\n", *x, y[4], sum(local, 5));
	*counter_at += 5;
	printf("%d %s %d %d\n", counter, greeting, *cells[0], *cells[1]);
	word[0] = 'X';
	printf("%s\n", word);
	bump(41);
	{
		int *const fixed = &counter, *const *to_fixed = &fixed;

		printf("%d\n", **to_fixed);
	}
	return 0;
}
