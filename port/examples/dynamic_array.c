/* A dynamic array of ints grown with realloc, doubling its capacity: push, read back, shrink to fit. */
#include <stdio.h>
#include <stdlib.h>

struct vector {
	int *data;
	size_t length, capacity;
};

static int push(struct vector *v, int value)
{
	if (v->length == v->capacity) {
		size_t capacity = v->capacity ? v->capacity * 2 : 4;
		int *data = realloc(v->data, capacity * sizeof(*data));

		if (!data)
			return -1;
		v->data = data;
		v->capacity = capacity;
		printf("grew to %lu ints\n", (unsigned long)capacity);
	}
	v->data[v->length++] = value;
	return 0;
}

int main(void)
{
	struct vector *v = calloc(1, sizeof(*v));
	long sum = 0;
	size_t i;

	if (!v)
		return 1;
	for (i = 0; i < 100; i++)
		if (push(v, (int)(i * i)) != 0)
			return 2;
	for (i = 0; i < v->length; i++)
		sum += v->data[i];
	printf("%lu values, sum of squares %ld\n", (unsigned long)v->length, sum);
	printf("data[7] = %d, data[99] = %d\n", v->data[7], v->data[99]);
	v->data = realloc(v->data, v->length * sizeof(int));
	printf("shrunk to fit: last = %d\n", v->data[v->length - 1]);
	free(v->data);
	free(v);
	return 0;
}
