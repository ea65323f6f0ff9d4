/* Standard output and standard error, each to its own stream as natively: fprintf, fputs, fputc, putc, fflush,
 * perror after a failed allocation, and exit() from inside a call, after which nothing more is printed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct stack {
	int *items;
	int count, capacity;
};

static void fail(const char *what, int status)
{
	fprintf(stderr, "streams: %s (status %d)\n", what, status);
	exit(status);
}

static void push(struct stack *s, int value)
{
	if (s->count == s->capacity) {
		int *grown = realloc(s->items, (size_t)(s->capacity ? s->capacity * 2 : 4) * sizeof(int));

		if (!grown)
			fail("out of memory", 2);
		s->items = grown;
		s->capacity = s->capacity ? s->capacity * 2 : 4;
	}
	s->items[s->count++] = value;
}

static int pop(struct stack *s)
{
	if (s->count == 0)
		fail("pop from an empty stack", 3);
	return s->items[--s->count];
}

int main(void)
{
	struct stack *s = calloc(1, sizeof(*s));
	void *huge;
	int i;

	if (!s)
		return 1;
	for (i = 0; i < 10; i++)
		push(s, i * i);
	printf("pushed %d, capacity %d\n", s->count, s->capacity);
	fprintf(stdout, "to stdout with fprintf: %d\n", s->items[9]);
	fprintf(stderr, "to stderr: %s %d\n", "warning", 1);
	fputs("fputs to stdout\n", stdout);
	fputs("fputs to stderr\n", stderr);
	fputc('c', stdout);
	putc('\n', stdout);
	fputc('e', stderr);
	putc('\n', stderr);
	fflush(stdout);
	huge = malloc((size_t)1 << 40);
	if (!huge)
		perror("malloc of a terabyte");
	while (1) {
		printf("popped %d\n", pop(s));
		if (s->count % 4 == 0)
			fprintf(stderr, "%d left\n", s->count);
	}
	printf("never printed\n");
	return 0;
}
