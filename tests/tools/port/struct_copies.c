/* Structs copied in and out of arena memory (heap structs, variables whose address is taken): clang 19 expands such
 * a copy into loads and stores without the arena cast, which the verifier refuses ("invalid mem access 'scalar'",
 * found with Csmith); dm port copies them a byte at a time. */
#include <stdio.h>
#include <stdlib.h>

struct record {
	long key, value;
	int flags[4];
};

static struct record current, saved;
static struct record *latest = &current;

static struct record bumped(struct record r)
{
	r.value++;
	return r;
}

int main(void)
{
	struct record *heap = malloc(2 * sizeof(*heap)), local = { 1, 2, { 3, 4, 5, 6 } };

	heap[0] = local;
	heap[1] = heap[0];
	heap[1].key = 10;
	current = bumped(heap[1]);
	saved = current = *latest;
	local = saved;
	printf("%ld %ld %ld %ld %d %d\n", heap[0].key, heap[1].key, current.value, local.value, local.flags[3],
	       latest->flags[0]);
	return (int)local.key;
}
