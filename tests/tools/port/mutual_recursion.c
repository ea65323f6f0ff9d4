/* Functions that call each other, in the shapes C programs write them: is_even/is_odd through a prototype, a
 * recursive-descent parser whose members share their first parameter and each have locals of the same names, void
 * members with different parameter lists and an out-parameter, a call of one member in another's arguments, a member
 * taken as a function pointer from outside the group, and a chain thousands of calls deep. */
#include <stdio.h>
#include <stdlib.h>

static int is_odd(unsigned n);

static int is_even(unsigned n)
{
	return n == 0 ? 1 : is_odd(n - 1);
}

static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

/* sum := product ('+' product)*; product := atom ('*' atom)*; atom := digit | '(' sum ')' | '-' atom */
struct cursor {
	const char *text;
	int at;
};

static long sum(struct cursor *c);

static long atom(struct cursor *c)
{
	long value;
	char next = c->text[c->at++];

	if (next == '(') {
		value = sum(c);
		c->at++; /* ')' */
		return value;
	}
	if (next == '-')
		return -atom(c);
	value = next - '0';
	return value;
}

static long product(struct cursor *c)
{
	long value = atom(c);

	while (c->text[c->at] == '*') {
		c->at++;
		value *= atom(c);
	}
	return value;
}

static long sum(struct cursor *c)
{
	long value = product(c);

	while (c->text[c->at] == '+') {
		c->at++;
		value += product(c);
	}
	return value;
}

static long parse(const char *text)
{
	struct cursor c = { text, 0 };

	return sum(&c);
}

/* A tree of lists: a node's children are counted by visit_list, which visits each child; members with different
 * parameters, void, counting through an out-parameter. */
struct node {
	int value;
	struct node *first_child, *next_sibling;
};

static void visit_list(const struct node *child, int depth, long *total);

static void visit_node(const struct node *n, int depth, long *total)
{
	*total += (long)n->value * depth;
	visit_list(n->first_child, depth + 1, total);
}

static void visit_list(const struct node *child, int depth, long *total)
{
	if (!child)
		return;
	visit_node(child, depth, total);
	visit_list(child->next_sibling, depth, total);
}

static struct node *grow(int value, int children)
{
	struct node *n = calloc(1, sizeof(*n));
	int i;

	if (!n)
		exit(2);
	n->value = value;
	for (i = 0; i < children; i++) {
		struct node *child = grow(value * 10 + i, children - 1);

		child->next_sibling = n->first_child;
		n->first_child = child;
	}
	return n;
}

static void release(struct node *n)
{
	while (n) {
		struct node *next = n->next_sibling;

		release(n->first_child);
		free(n);
		n = next;
	}
}

/* down(n) = n + across(n - 1, n % 3), across(n, k) = k + down(n - 1): a call of one inside the other's arguments */
static long across(int n, int k);

static long down(int n)
{
	return n <= 0 ? 0 : n + across(n - 1, (int)down(n / 1000) % 3);
}

static long across(int n, int k) { return n <= 0 ? k : k + down(n - 1); }

int main(void)
{
	const char *expressions[] = { "1+2*3", "(1+2)*3", "-(4+5)*2+-3", "((((9))))*(8+7)*-1" };
	int (*parity[2])(unsigned) = { is_even, is_odd };
	struct node *root = grow(1, 4);
	long total = 0;
	unsigned n;
	int i;

	for (n = 0; n < 6; n++)
		printf("%u: even %d odd %d\n", n, is_even(n), parity[1](n));
	printf("is_even(5001) = %d\n", is_even(5001));
	for (i = 0; i < 4; i++)
		printf("%s = %ld\n", expressions[i], parse(expressions[i]));
	visit_node(root, 1, &total);
	printf("weighted total %ld\n", total);
	release(root);
	printf("down(3000) = %ld\n", down(3000));
	return is_odd(3) ? 7 : 0;
}
