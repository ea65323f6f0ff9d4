/* expression_tree: parses the arithmetic expression given as its arguments (integers, + - * / %, parentheses) with
 * a recursive descent parser into a tree on the heap, prints it fully parenthesised and in postfix, evaluates it,
 * and reports a syntax error or a division by zero on stderr with status 1. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct expr {
	char op; /* 0 for a number */
	long value;
	struct expr *left, *right;
};

struct parser {
	const char *text;
	int at;
};

static struct expr *parse_sum(struct parser *p);

static void fail(struct parser *p, const char *what)
{
	fprintf(stderr, "expression_tree: %s at character %d\n", what, p->at + 1);
	exit(1);
}

static struct expr *make(char op, long value, struct expr *left, struct expr *right)
{
	struct expr *e = malloc(sizeof(*e));

	if (!e) {
		fprintf(stderr, "expression_tree: out of memory\n");
		exit(1);
	}
	e->op = op;
	e->value = value;
	e->left = left;
	e->right = right;
	return e;
}

static char peek(struct parser *p)
{
	while (p->text[p->at] == ' ')
		p->at++;
	return p->text[p->at];
}

static struct expr *parse_atom(struct parser *p)
{
	char c = peek(p);
	struct expr *e;

	if (c == '(') {
		p->at++;
		e = parse_sum(p);
		if (peek(p) != ')')
			fail(p, "')' expected");
		p->at++;
		return e;
	}
	if (c == '-') {
		p->at++;
		return make('-', 0, make(0, 0, NULL, NULL), parse_atom(p));
	}
	if (!isdigit(c))
		fail(p, "a number expected");
	e = make(0, 0, NULL, NULL);
	while (isdigit(p->text[p->at]))
		e->value = e->value * 10 + (p->text[p->at++] - '0');
	return e;
}

static struct expr *parse_product(struct parser *p)
{
	struct expr *e = parse_atom(p);

	while (peek(p) == '*' || peek(p) == '/' || peek(p) == '%') {
		char op = p->text[p->at++];

		e = make(op, 0, e, parse_atom(p));
	}
	return e;
}

static struct expr *parse_sum(struct parser *p)
{
	struct expr *e = parse_product(p);

	while (peek(p) == '+' || peek(p) == '-') {
		char op = p->text[p->at++];

		e = make(op, 0, e, parse_product(p));
	}
	return e;
}

static void print_infix(const struct expr *e)
{
	if (!e->op) {
		printf("%ld", e->value);
		return;
	}
	printf("(");
	print_infix(e->left);
	printf(" %c ", e->op);
	print_infix(e->right);
	printf(")");
}

static void print_postfix(const struct expr *e)
{
	if (e->op) {
		print_postfix(e->left);
		print_postfix(e->right);
		printf(" %c", e->op);
	} else {
		printf(" %ld", e->value);
	}
}

static long evaluate(const struct expr *e, int *error)
{
	long a, b;

	if (!e->op)
		return e->value;
	a = evaluate(e->left, error);
	b = evaluate(e->right, error);
	switch (e->op) {
	case '+': return a + b;
	case '-': return a - b;
	case '*': return a * b;
	default:
		if (b == 0) {
			*error = 1;
			return 0;
		}
		return e->op == '/' ? a / b : a % b;
	}
}

static int release(struct expr *e)
{
	int nodes;

	if (!e)
		return 0;
	nodes = 1 + release(e->left) + release(e->right);
	free(e);
	return nodes;
}

int main(int argc, char **argv)
{
	struct parser p;
	char *text;
	size_t length = 1;
	int i, error = 0;
	struct expr *tree;
	long value;

	if (argc < 2) {
		fprintf(stderr, "usage: %s EXPRESSION...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		length += strlen(argv[i]) + 1;
	text = calloc(length, 1);
	if (!text)
		return 1;
	for (i = 1; i < argc; i++) {
		strcat(text, argv[i]);
		strcat(text, " ");
	}
	p.text = text;
	p.at = 0;
	tree = parse_sum(&p);
	if (peek(&p))
		fail(&p, "unexpected character");
	print_infix(tree);
	printf("\npostfix:");
	print_postfix(tree);
	value = evaluate(tree, &error);
	if (error) {
		fprintf(stderr, "\nexpression_tree: division by zero\n");
		return 1;
	}
	printf("\nvalue: %ld\n", value);
	printf("%d nodes freed\n", release(tree));
	free(text);
	return 0;
}
