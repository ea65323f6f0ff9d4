/* SPDX-License-Identifier: MIT */
/*
 * Fragmentation ("consume memory"): a 64 KiB pool with every byte of metadata inside it; each step allocates (with
 * probability 0.6, or when nothing is live) or frees a random live block, until the first failed allocation.
 * Workloads: W1 sizes uniform 8..512 B; W2 90% uniform 8..100 B, 10% uniform 100..2048 B. 20 seeds each.
 * Reports operations before the failure and utilisation (requested bytes live / 65536) for dynamic_memory (this
 * build's policy) and, with --reference, for a simple address-ordered first fit (bench/first_fit_reference.h).
 *
 *   bench_fragmentation [--reference] DATA_FILE
 */
#include "dynamic_memory.h"
#include "first_fit_reference.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(DM_POOL_SIZE == 65536, "the fragmentation benchmark is defined on a 64 KiB pool");

#define SEEDS 20
#define MAX_LIVE 8192

struct allocator {
	const char *name;
	void (*reset)(void);
	void *(*alloc)(size_t);
	void (*release)(void *);
};

static void dm_reset(void)
{
	static_reset();
}
static void *bench_dm_malloc(size_t n)
{
	return static_malloc(n);
}
static void bench_dm_free(void *p)
{
	static_free(p);
}

static uint64_t rng;
static uint32_t next_random(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}
static uint32_t uniform(uint32_t lo, uint32_t hi)
{
	return lo + next_random() % (hi - lo + 1);
}
static uint32_t w1_size(void)
{
	return uniform(8, 512);
}
static uint32_t w2_size(void)
{
	return next_random() % 10 ? uniform(8, 100) : uniform(100, 2048);
}

struct outcome {
	long ops;
	double utilisation;
};

static struct outcome consume(const struct allocator *a, uint32_t (*size_of)(void), int seed)
{
	static void *live[MAX_LIVE];
	static uint32_t live_size[MAX_LIVE];
	int count = 0;
	uint64_t requested = 0;
	struct outcome o = { 0, 0 };

	rng = 0x9e3779b97f4a7c15ull * (uint64_t)(seed + 1);
	a->reset();
	for (;; o.ops++) {
		if (!count || next_random() % 10 < 6) {
			uint32_t size = size_of();
			void *p = a->alloc(size);

			if (!p || count == MAX_LIVE)
				break;
			live[count] = p, live_size[count++] = size, requested += size;
		} else {
			int victim = (int)(next_random() % (uint32_t)count);

			a->release(live[victim]);
			requested -= live_size[victim];
			live[victim] = live[--count], live_size[victim] = live_size[count];
		}
	}
	o.utilisation = (double)requested / 65536.0;
	return o;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const struct allocator *a, FILE *dat)
{
	static const char *workload_name[2] = { "W1", "W2" };
	uint32_t (*workload[2])(void) = { w1_size, w2_size };

	for (int w = 0; w < 2; w++) {
		double ops[SEEDS], util[SEEDS], mean = 0;

		for (int s = 0; s < SEEDS; s++) {
			struct outcome o = consume(a, workload[w], s);

			ops[s] = (double)o.ops, util[s] = o.utilisation, mean += o.utilisation / SEEDS;
			fprintf(dat, "\"%s\" %s %d %.4f\n", a->name, workload_name[w], s, o.utilisation);
		}
		qsort(ops, SEEDS, sizeof(double), by_value);
		qsort(util, SEEDS, sizeof(double), by_value);
		printf("| %s | %s | %.0f | %.3f | %.3f | %.3f |\n", a->name, workload_name[w],
		       (ops[SEEDS / 2 - 1] + ops[SEEDS / 2]) / 2, mean, util[0],
		       (util[SEEDS / 2 - 1] + util[SEEDS / 2]) / 2);
	}
}

int main(int argc, char **argv)
{
	const struct allocator dm = { DM_POLICY == DM_POLICY_SEGREGATED ? "dynamic_memory (segregated)"
									: "dynamic_memory (first fit)",
				      dm_reset, bench_dm_malloc, bench_dm_free };
	const struct allocator reference = { "address-ordered first fit (reference)", ff_reset, ff_malloc, ff_free };
	int with_reference = argc == 3 && !strcmp(argv[1], "--reference");
	FILE *dat = fopen(argv[argc - 1], "a");

	if (argc < 2 || argc > 3 || (argc == 3 && !with_reference) || !dat) {
		fprintf(stderr, "usage: %s [--reference] DATA_FILE\n", argv[0]);
		return 2;
	}
	report(&dm, dat);
	if (with_reference)
		report(&reference, dat);
	fclose(dat);
	return 0;
}
