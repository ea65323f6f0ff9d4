/* A hash table with chaining: put (insert or update), get, delete, and its load per bucket. */
#include <stdio.h>
#include <stdlib.h>

#define BUCKETS 16

struct entry {
	unsigned key;
	long value;
	struct entry *next;
};

struct table {
	struct entry **bucket;
	int count;
};

static unsigned hash(unsigned key) { return (key * 2654435761u) >> 28; }

static int put(struct table *t, unsigned key, long value)
{
	struct entry *e;

	for (e = t->bucket[hash(key)]; e; e = e->next)
		if (e->key == key) {
			e->value = value;
			return 0;
		}
	e = malloc(sizeof(*e));
	if (!e)
		return -1;
	e->key = key;
	e->value = value;
	e->next = t->bucket[hash(key)];
	t->bucket[hash(key)] = e;
	t->count++;
	return 1;
}

static struct entry *get(struct table *t, unsigned key)
{
	struct entry *e = t->bucket[hash(key)];

	while (e && e->key != key)
		e = e->next;
	return e;
}

static int delete_key(struct table *t, unsigned key)
{
	struct entry *e = t->bucket[hash(key)], *prev = NULL;

	for (; e; prev = e, e = e->next) {
		if (e->key != key)
			continue;
		if (prev)
			prev->next = e->next;
		else
			t->bucket[hash(key)] = e->next;
		free(e);
		t->count--;
		return 1;
	}
	return 0;
}

int main(void)
{
	struct table *t = malloc(sizeof(*t));
	unsigned key;
	int b, deleted = 0;

	if (!t)
		return 1;
	t->bucket = calloc(BUCKETS, sizeof(*t->bucket));
	t->count = 0;
	if (!t->bucket)
		return 1;
	for (key = 1; key <= 100; key++)
		put(t, key * 7, (long)key * key);
	put(t, 70, -1);
	for (key = 2; key <= 200; key += 4)
		deleted += delete_key(t, key * 7);
	printf("%d entries after %d deletions\n", t->count, deleted);
	printf("get(63) = %ld, get(14) = %s, get(21) = %ld\n", get(t, 63)->value, get(t, 14) ? "found" : "absent",
	       get(t, 21)->value);
	printf("load:");
	for (b = 0; b < BUCKETS; b++) {
		int n = 0;
		struct entry *e;

		for (e = t->bucket[b]; e; e = e->next)
			n++;
		printf(" %d", n);
	}
	printf("\n");
	for (b = 0; b < BUCKETS; b++)
		while (t->bucket[b])
			delete_key(t, t->bucket[b]->key);
	printf("emptied: %d entries\n", t->count);
	b = t->count;
	free(t->bucket);
	free(t);
	return b == 0 ? 0 : 3;
}
