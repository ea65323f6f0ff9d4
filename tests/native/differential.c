/* SPDX-License-Identifier: MIT */
/*
 * Differential test: a random stream of malloc/calloc/realloc/free (and misuse) against the shadow model of
 * heap_model.h, every invariant checked after every operation.
 *
 *   differential [SEED [OPERATIONS]]      defaults: seed 1, 1000000 operations
 *
 * Prints progress every 10^5 operations and closes with "N passed, N failed" (operations without / with a
 * violation); exits 1 on any violation.
 */
#include "heap_model.h"

#include <inttypes.h>

/* xorshift64*: a seed reproduces a run exactly. */
static uint32_t next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return (uint32_t)((*state * 0x2545F4914F6CDD1DULL) >> 32);
}

int main(int argc, char **argv)
{
	static struct model m;
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	unsigned long operations = argc > 2 ? strtoul(argv[2], NULL, 0) : 1000000;
	uint64_t state = seed * 2 + 1;
	unsigned long failed_ops = 0;

	if (argc > 3 || !operations) {
		fprintf(stderr, "usage: %s [SEED [OPERATIONS]]\n", argv[0]);
		return 2;
	}
	printf("differential: seed %" PRIu64 ", %lu operations, pool %d, policy %s, align %d\n", seed, operations,
	       DM_POOL_SIZE, DM_POLICY == DM_POLICY_SEGREGATED ? "segregated" : "first-fit", DM_ALIGN);
	model_reset(&m);
	for (unsigned long i = 0; i < operations; i++) {
		unsigned long before = m.violations;
		uint32_t a = next_random(&state), b = next_random(&state);

		model_step(&m, a, b);
		failed_ops += m.violations != before;
		if ((i + 1) % 100000 == 0)
			printf("  %lu operations, %lu violations, %llu live blocks, %llu bytes allocated\n", i + 1,
			       m.violations, (unsigned long long)m.expect.used_blocks,
			       (unsigned long long)m.expect.allocated);
	}
	printf("%lu passed, %lu failed\n", operations - failed_ops, failed_ops);
	return failed_ops ? 1 : 0;
}
