/* matrix_chain: multiplies a chain of random square matrices (size and count from the command line, a seed for
 * rand), all on the heap, and prints the checksum of each product, its trace, and the result's first row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct matrix {
	unsigned n;
	long *cells;
};

static struct matrix *matrix_new(unsigned n)
{
	struct matrix *m = malloc(sizeof(*m));

	if (!m)
		return NULL;
	m->n = n;
	m->cells = calloc((size_t)n * n, sizeof(long));
	if (!m->cells) {
		free(m);
		return NULL;
	}
	return m;
}

static void matrix_free(struct matrix *m)
{
	if (m) {
		free(m->cells);
		free(m);
	}
}

static long *cell(struct matrix *m, unsigned row, unsigned column)
{
	return &m->cells[row * m->n + column];
}

static void matrix_random(struct matrix *m)
{
	unsigned i;

	for (i = 0; i < m->n * m->n; i++)
		m->cells[i] = (long)(rand() % 19) - 9;
}

static struct matrix *matrix_multiply(struct matrix *a, struct matrix *b)
{
	struct matrix *c = matrix_new(a->n);
	unsigned i, j, k;

	if (!c)
		return NULL;
	for (i = 0; i < a->n; i++)
		for (k = 0; k < a->n; k++) {
			long left = *cell(a, i, k);

			for (j = 0; j < a->n; j++)
				*cell(c, i, j) += left * *cell(b, k, j);
		}
	return c;
}

static unsigned long checksum(struct matrix *m)
{
	unsigned long sum = 0;
	unsigned i;

	for (i = 0; i < m->n * m->n; i++)
		sum = sum * 31 + (unsigned long)m->cells[i];
	return sum;
}

static long trace(struct matrix *m)
{
	long t = 0;
	unsigned i;

	for (i = 0; i < m->n; i++)
		t += *cell(m, i, i);
	return t;
}

int main(int argc, char **argv)
{
	unsigned n, count, seed, i, j;
	struct matrix *product, *next, *step;

	if (argc != 4) {
		fprintf(stderr, "usage: %s SIZE COUNT SEED\n", argv[0]);
		return 2;
	}
	n = (unsigned)strtoul(argv[1], NULL, 10);
	count = (unsigned)strtoul(argv[2], NULL, 10);
	seed = (unsigned)strtoul(argv[3], NULL, 10);
	if (n == 0 || n > 64 || count == 0) {
		fprintf(stderr, "%s: SIZE must be 1..64 and COUNT at least 1\n", argv[0]);
		return 2;
	}
	srand(seed);
	product = matrix_new(n);
	if (!product)
		return 1;
	matrix_random(product);
	printf("matrix 0: checksum %lu trace %ld\n", checksum(product), trace(product));
	for (i = 1; i < count; i++) {
		next = matrix_new(n);
		if (!next) {
			fprintf(stderr, "%s: out of memory at matrix %u\n", argv[0], i);
			exit(1);
		}
		matrix_random(next);
		step = matrix_multiply(product, next);
		if (!step) {
			fprintf(stderr, "%s: out of memory multiplying %u\n", argv[0], i);
			exit(1);
		}
		matrix_free(product);
		matrix_free(next);
		product = step;
		printf("product 0..%u: checksum %lu trace %ld\n", i, checksum(product), trace(product));
	}
	printf("first row:");
	for (j = 0; j < n; j++)
		printf(" %ld", *cell(product, 0, j));
	printf("\n");
	matrix_free(product);
	return 0;
}
