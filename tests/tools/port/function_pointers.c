/* Function pointers (issue 20, 4): callbacks, a table of operations, a typedef, method pointers in heap objects,
 * NULL and comparisons. Each pointer to a function of the program is a number once ported, and a call through it a
 * switch over the program's functions of its type. */
#include <stdio.h>
#include <stdlib.h>

typedef int (*binary_op)(int, int);

struct shape {
	const char *name;
	int (*area)(struct shape *);
	void (*describe)(struct shape *, int);
	int width, height;
};

struct node {
	int value;
	struct node *next;
};

static int add(int a, int b) { return a + b; }
static int subtract(int a, int b) { return a - b; }
static int multiply(int a, int b) { return a * b; }

static int rectangle_area(struct shape *s) { return s->width * s->height; }
static int triangle_area(struct shape *s) { return s->width * s->height / 2; }

static void describe(struct shape *s, int area)
{
	printf("%s %dx%d: %d\n", s->name, s->width, s->height, area);
}

static struct shape *new_shape(const char *name, int (*area)(struct shape *), int width, int height)
{
	struct shape *s = malloc(sizeof(*s));

	s->name = name;
	s->area = area;
	s->describe = describe;
	s->width = width;
	s->height = height;
	return s;
}

static int fold(struct node *list, binary_op op, int start)
{
	int total = start;

	for (; list; list = list->next)
		total = op(total, list->value);
	return total;
}

static void visit_all(struct node *list, void (*visit)(int))
{
	for (; list; list = list->next)
		(*visit)(list->value);
}

static void print_value(int value)
{
	printf("[%d]", value);
}

int main(void)
{
	int (*operations[3])(int, int) = { add, subtract, &multiply };
	struct node *list = NULL;
	struct shape *shapes[2];
	binary_op chosen = NULL;
	int i;

	for (i = 1; i <= 5; i++) {
		struct node *n = malloc(sizeof(*n));

		n->value = i;
		n->next = list;
		list = n;
	}
	for (i = 0; i < 3; i++)
		printf("fold %d: %d\n", i, fold(list, operations[i], i == 2 ? 1 : 0));
	visit_all(list, print_value);
	printf("\n");
	shapes[0] = new_shape("rectangle", rectangle_area, 3, 4);
	shapes[1] = new_shape("triangle", triangle_area, 6, 5);
	for (i = 0; i < 2; i++)
		shapes[i]->describe(shapes[i], shapes[i]->area(shapes[i]));
	if (!chosen)
		chosen = operations[2];
	printf("%d %d\n", chosen(6, 7), chosen == multiply);
	return 0;
}
