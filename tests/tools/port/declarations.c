/* Declarations in every C shape (issue 20, 7): several declarators in one declaration, pointers after non-pointers,
 * arrays of pointers, pointers to pointers, at file scope, in functions and in structs. */
#include <stdio.h>
#include <stdlib.h>

struct pair {
	int left, *right, **both;
};

static int first = 1, *nowhere, second = 2;

static int **grid(int rows, int columns)
{
	int **rows_of, r, c;

	rows_of = malloc(rows * sizeof(*rows_of));
	for (r = 0; r < rows; r++) {
		rows_of[r] = malloc(columns * sizeof(**rows_of));
		for (c = 0; c < columns; c++)
			rows_of[r][c] = r * columns + c;
	}
	return rows_of;
}

int main(void)
{
	int i, k, *x, *y;
	char *words[3], **w;
	struct pair p, *q = &p;
	int total = 0, count = 3, **g = grid(3, 4);
	int small = 3, big[40], *const fixed[24] = { &small, [23] = &small }; /* two arrays moved to static storage */

	x = malloc(sizeof(*x));
	y = malloc(sizeof(*y));
	*x = 5;
	*y = 7;
	for (i = 0, k = 10; i < 3; i++, k--)
		total += i * k;
	words[0] = "alpha";
	words[1] = "beta";
	words[2] = "gamma";
	for (w = words; w < words + count; w++)
		printf("%s ", *w);
	printf("\n");
	p.left = *x;
	p.right = y;
	p.both = &p.right;
	printf("%d %d %d %d %d\n", total, q->left, *q->right, **q->both, first + second + (nowhere == NULL));
	for (i = 0; i < 3; i++)
		printf("%d %d\n", g[i][0], g[i][3]);
	for (i = 0; i < 40; i++)
		big[i] = i * small;
	printf("%d %d %d\n", big[39], *fixed[23], fixed[2] == NULL);
	return 0;
}
