/* word_frequency: counts the words of its standard input in a chained hash table that grows, then prints the N most
 * frequent (N from the command line, default 10), ties in alphabetical order. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char *word;
	int count;
	struct entry *next;
};

struct table {
	struct entry **buckets;
	unsigned size;
	unsigned used;
};

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static struct table *table_new(unsigned size)
{
	struct table *t = malloc(sizeof(*t));

	if (!t)
		return NULL;
	t->buckets = calloc(size, sizeof(struct entry *));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->size = size;
	t->used = 0;
	return t;
}

static int table_grow(struct table *t)
{
	unsigned size = t->size * 2, i;
	struct entry **buckets = calloc(size, sizeof(struct entry *));

	if (!buckets)
		return -1;
	for (i = 0; i < t->size; i++) {
		struct entry *e = t->buckets[i];

		while (e) {
			struct entry *next = e->next;
			unsigned b = hash(e->word) % size;

			e->next = buckets[b];
			buckets[b] = e;
			e = next;
		}
	}
	free(t->buckets);
	t->buckets = buckets;
	t->size = size;
	return 0;
}

static int table_add(struct table *t, const char *word)
{
	unsigned b = hash(word) % t->size;
	struct entry *e;

	for (e = t->buckets[b]; e; e = e->next)
		if (strcmp(e->word, word) == 0) {
			e->count++;
			return 0;
		}
	e = malloc(sizeof(*e));
	if (!e)
		return -1;
	e->word = malloc(strlen(word) + 1);
	if (!e->word) {
		free(e);
		return -1;
	}
	strcpy(e->word, word);
	e->count = 1;
	e->next = t->buckets[b];
	t->buckets[b] = e;
	t->used++;
	if (t->used > t->size * 3 / 4)
		return table_grow(t);
	return 0;
}

/* whether a comes before b in the report: more frequent first, then alphabetical */
static int before(const struct entry *a, const struct entry *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	return strcmp(a->word, b->word) < 0;
}

int main(int argc, char **argv)
{
	struct table *t = table_new(8);
	struct entry **all;
	char *word = malloc(64);
	int length = 0, c, top = argc > 1 ? atoi(argv[1]) : 10;
	unsigned i, n = 0, j;

	if (!t || !word) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 1;
	}
	if (top <= 0) {
		fprintf(stderr, "usage: %s [COUNT > 0]\n", argv[0]);
		return 2;
	}
	do {
		c = getchar();
		if (isalpha(c) && length < 63) {
			word[length++] = (char)tolower(c);
		} else if (length > 0) {
			word[length] = 0;
			if (table_add(t, word)) {
				fprintf(stderr, "%s: out of memory at word %u\n", argv[0], t->used);
				exit(1);
			}
			length = 0;
		}
	} while (c != EOF);
	all = malloc((t->used + 1) * sizeof(struct entry *));
	if (!all)
		return 1;
	for (i = 0; i < t->size; i++)
		for (struct entry *e = t->buckets[i]; e; e = e->next) {
			for (j = n; j > 0 && before(e, all[j - 1]); j--)
				all[j] = all[j - 1];
			all[j] = e;
			n++;
		}
	printf("%u distinct words, table of %u buckets\n", n, t->size);
	for (i = 0; i < n && i < (unsigned)top; i++)
		printf("%4d %s\n", all[i]->count, all[i]->word);
	for (i = 0; i < n; i++) {
		free(all[i]->word);
		free(all[i]);
	}
	free(all);
	free(t->buckets);
	free(t);
	free(word);
	return 0;
}
