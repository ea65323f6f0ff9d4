/* SPDX-License-Identifier: MIT */
/*
 * Native benchmark: ns per malloc(64)+free pair and per operation of a random workload (512 slots, 8..255 B),
 * dynamic_memory against glibc malloc, measured side by side in one run; median of RUNS runs.
 * Build once per policy; prints one Markdown table row per allocator.
 */
#include "dynamic_memory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RUNS 5
#define PAIRS 2000000
#define WORK_OPS 2000000

struct allocator {
	const char *name;
	void *(*alloc)(size_t);
	void (*release)(void *);
};

static void *bench_dm_malloc(size_t n) { return static_malloc(n); }
static void bench_dm_free(void *p) { static_free(p); }

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double pair_ns(const struct allocator *a)
{
	double start = now_ns();

	for (int i = 0; i < PAIRS; i++) {
		void *volatile p = a->alloc(64);

		a->release(p);
	}
	return (now_ns() - start) / PAIRS;
}

static double workload_ns(const struct allocator *a)
{
	static void *slot[512];
	uint32_t x = 2463534242u;
	double start = now_ns();

	for (int i = 0; i < WORK_OPS; i++) {
		uint32_t s;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		s = x % 512;
		if (slot[s]) {
			a->release(slot[s]);
			slot[s] = NULL;
		} else {
			slot[s] = a->alloc(8 + (x >> 16) % 248);
		}
	}
	for (int s = 0; s < 512; s++)
		if (slot[s])
			a->release(slot[s]), slot[s] = NULL;
	return (now_ns() - start) / WORK_OPS;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double (*measure)(const struct allocator *), const struct allocator *a)
{
	double v[RUNS];

	for (int r = 0; r < RUNS; r++)
		v[r] = measure(a);
	qsort(v, RUNS, sizeof(v[0]), by_value);
	return v[RUNS / 2];
}

int main(void)
{
	const struct allocator allocators[] = {
		{ DM_POLICY == DM_POLICY_SEGREGATED ? "dynamic_memory (segregated)" : "dynamic_memory (first fit)",
		  bench_dm_malloc, bench_dm_free },
		{ "glibc malloc", malloc, free },
	};
	double pair[2], work[2];

	for (int i = 0; i < 2; i++) {
		pair[i] = median(pair_ns, &allocators[i]);
		work[i] = median(workload_ns, &allocators[i]);
	}
	for (int i = 0; i < 2; i++)
		printf("| %s | %.1f | %.2fx | %.1f | %.2fx |\n", allocators[i].name, pair[i], pair[i] / pair[1],
		       work[i], work[i] / work[1]);
	return 0;
}
