/* lru_cache: a least-recently-used cache of computed values (a hash table of chained entries plus a doubly linked
 * recency list), queried with random keys; lookups return through an out-parameter. Prints hits, misses and
 * evictions for the capacity and seed given on the command line. */
#include <stdio.h>
#include <stdlib.h>

struct entry {
	unsigned key;
	long value;
	struct entry *newer, *older;     /* recency list */
	struct entry *next_in_bucket;    /* hash chain */
};

struct cache {
	struct entry **buckets;
	unsigned bucket_count;
	struct entry *newest, *oldest;
	unsigned size, capacity;
	unsigned hits, misses, evictions;
};

static void unlink_entry(struct cache *c, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
}

static void make_newest(struct cache *c, struct entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (!c->oldest)
		c->oldest = e;
}

static int cache_get(struct cache *c, unsigned key, long *value)
{
	struct entry *e;

	for (e = c->buckets[key % c->bucket_count]; e; e = e->next_in_bucket)
		if (e->key == key) {
			unlink_entry(c, e);
			make_newest(c, e);
			*value = e->value;
			c->hits++;
			return 1;
		}
	c->misses++;
	return 0;
}

static void evict(struct cache *c)
{
	struct entry *victim = c->oldest, **link;

	unlink_entry(c, victim);
	for (link = &c->buckets[victim->key % c->bucket_count]; *link != victim; link = &(*link)->next_in_bucket)
		;
	*link = victim->next_in_bucket;
	free(victim);
	c->size--;
	c->evictions++;
}

static void cache_put(struct cache *c, unsigned key, long value)
{
	struct entry *e = malloc(sizeof(*e));

	if (!e) {
		fprintf(stderr, "lru_cache: out of memory\n");
		exit(1);
	}
	if (c->size == c->capacity)
		evict(c);
	e->key = key;
	e->value = value;
	e->next_in_bucket = c->buckets[key % c->bucket_count];
	c->buckets[key % c->bucket_count] = e;
	make_newest(c, e);
	c->size++;
}

static long expensive(unsigned key)
{
	long v = key;
	int i;

	for (i = 0; i < 20; i++)
		v = (v * 1103515245 + 12345) % 2147483648L;
	return v;
}

int main(int argc, char **argv)
{
	struct cache *c = calloc(1, sizeof(*c));
	unsigned i, key, shown = 0;
	long value, sum = 0;

	if (argc != 3 || !c) {
		fprintf(stderr, "usage: %s CAPACITY SEED\n", argv[0]);
		return 2;
	}
	c->capacity = (unsigned)atoi(argv[1]);
	c->bucket_count = c->capacity * 2 + 1;
	c->buckets = calloc(c->bucket_count, sizeof(struct entry *));
	if (!c->buckets || c->capacity == 0) {
		fprintf(stderr, "%s: bad capacity %s\n", argv[0], argv[1]);
		return 2;
	}
	srand((unsigned)atoi(argv[2]));
	for (i = 0; i < 2000; i++) {
		key = (unsigned)(rand() % 64) * (unsigned)(rand() % 3 + 1);
		if (!cache_get(c, key, &value)) {
			value = expensive(key);
			cache_put(c, key, value);
		}
		sum += value % 1000;
	}
	printf("capacity %u: %u hits, %u misses, %u evictions, checksum %ld\n", c->capacity, c->hits, c->misses,
	       c->evictions, sum);
	printf("newest keys:");
	for (struct entry *e = c->newest; e && shown < 8; e = e->older, shown++)
		printf(" %u", e->key);
	printf("\n");
	while (c->oldest)
		evict(c);
	free(c->buckets);
	free(c);
	return 0;
}
