/* Recursion in the shapes C programs write it: calls inside expressions, after &&, || and ?:, inside another call's
 * arguments, in an if's condition, in a switch, in a loop's body, through void functions with out-parameters, on
 * a pointer-returning tree insert, with a local whose address is taken, and 10,000 calls deep. */
#include <stdio.h>
#include <stdlib.h>

struct tree {
	int key;
	struct tree *left, *right;
};

static struct tree *insert(struct tree *t, int key)
{
	if (!t) {
		t = calloc(1, sizeof(*t));
		t->key = key;
		return t;
	}
	if (key < t->key)
		t->left = insert(t->left, key);
	else
		t->right = insert(t->right, key);
	return t;
}

static int size(const struct tree *t) { return t ? 1 + size(t->left) + size(t->right) : 0; }

static int contains(const struct tree *t, int key)
{
	return t && (t->key == key || contains(key < t->key ? t->left : t->right, key));
}

static void walk(const struct tree *t, long *sum, int *count)
{
	if (!t)
		return;
	walk(t->left, sum, count);
	*sum += t->key;
	(*count)++;
	walk(t->right, sum, count);
}

static void release(struct tree *t)
{
	if (t) {
		release(t->left);
		release(t->right);
		free(t);
	}
}

static long ackermann_small(long m, long n)
{
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ackermann_small(m - 1, 1);
	return ackermann_small(m - 1, ackermann_small(m, n - 1));
}

static int digits_sum(int n)
{
	switch (n) {
	case 0:
		return 0;
	default:
		return n % 10 + digits_sum(n / 10);
	}
}

static long deep(long n) { return n == 0 ? 0 : 1 + deep(n - 1); }

/* partitions of n into parts of at most k: a loop in the body, and a local whose address is taken */
static long partitions(int n, int k)
{
	long total = 0;
	long *slot = &total;

	if (n == 0)
		return 1;
	for (int part = 1; part <= k && part <= n; part++)
		*slot += partitions(n - part, part);
	return total;
}

/* a recursive call in an if's condition, its result kept by an assignment there */
static int collatz_steps(long n)
{
	int rest;

	if (n == 1)
		return 0;
	if ((rest = collatz_steps(n % 2 ? 3 * n + 1 : n / 2)) < 0)
		return -1;
	return 1 + rest;
}

int main(void)
{
	struct tree *t = NULL;
	long sum = 0;
	int count = 0;

	for (int i = 0; i < 40; i++)
		t = insert(t, (i * 37) % 101);
	walk(t, &sum, &count);
	printf("size %d, walked %d, sum %ld\n", size(t), count, sum);
	printf("contains 74: %d, contains 75: %d\n", contains(t, 74), contains(t, 75));
	printf("ackermann(2, 3) = %ld\n", ackermann_small(2, 3));
	printf("digits of 98765 add to %d\n", digits_sum(98765));
	printf("partitions of 15: %ld\n", partitions(15, 15));
	printf("collatz 27: %d steps, 7: %d steps\n", collatz_steps(27), collatz_steps(7));
	printf("10000 deep: %ld\n", deep(10000));
	release(t);
	return 0;
}
