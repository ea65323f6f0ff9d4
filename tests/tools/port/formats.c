/* printf conversions, widths and flags, 2-D fixed arrays, for(;;)/while(1) with break, string.h on the heap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct matrix { int rows, cols; long *cell; };

static struct matrix *matrix_new(int rows, int cols)
{
	struct matrix *m = malloc(sizeof(*m));
	if (!m) return NULL;
	m->rows = rows; m->cols = cols;
	m->cell = calloc((size_t)(rows * cols), sizeof(long));
	if (!m->cell) { free(m); return NULL; }
	return m;
}

int grid[4][5];

int main(void)
{
	struct matrix *a = matrix_new(8, 8);
	char *word = malloc(16);
	int steps = 0;
	if (!a || !word) return 1;
	for (int r = 0; r < a->rows; r++)
		for (int c = 0; c < a->cols; c++)
			a->cell[r * a->cols + c] = (long)(r - c) * (r + c);
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 5; c++)
			grid[r][c] = r * c;
	memset(word, 0, 16);
	strcpy(word, "abc");
	strcat(word, "def");
	for (;;) {
		steps++;
		if (steps * steps > 50) break;
	}
	while (1) { if (--steps < 3) break; }
	printf("%ld %ld %d %s %d %c %x %X %05d|%-4d|\n", a->cell[9], a->cell[63], grid[3][4], word, steps, word[2], 255, 48879, -42, 7);
	printf("%hhd %hu %lld %llu %i\n", (signed char)-3, (unsigned short)65535, -1234567890123LL, 18446744073709551615ULL, 0);
	steps = printf("abc%d|%s\n", 42, word);
	printf("printf returned %d\n", steps);
	puts(word);
	putchar('!'); putchar('\n');
	free(word); free(a->cell); free(a);
	return 0;
}
