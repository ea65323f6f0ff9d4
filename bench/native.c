/* SPDX-License-Identifier: MIT */
/*
 * Native benchmark: ns per malloc(64) + free pair and per operation of a random workload (512 slots, sizes
 * 8..255 B, allocate into an empty slot or free a full one), dynamic_memory (the thread-safe build, plain -O2)
 * against glibc malloc, jemalloc and mimalloc (Debian's libraries, all four in one process, measured side by side,
 * each run measuring every allocator in turn: glibc through its own __libc_malloc, looked up in libc.so.6, jemalloc
 * through mallocx, mimalloc through mi_malloc, since linking jemalloc and mimalloc makes each a candidate for plain
 * `malloc`). One thread first, while dynamic_memory skips its lock; then one thread once a second has existed (the
 * lock taken); then two threads at once.
 * Median of RUNS runs. Prints Markdown rows and a gnuplot data file.
 *
 *   bench_native RUNS OPS DATA_FILE
 */
#include "dynamic_memory.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUNS 32
#define SLOTS 512

struct allocator {
	const char *name;
	void *(*alloc)(size_t);
	void (*release)(void *);
};

static long ops;

static void *bench_dm_malloc(size_t n)
{
	return static_malloc(n);
}
static void bench_dm_free(void *p)
{
	static_free(p);
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double pair_ns(const struct allocator *a)
{
	double start = now_ns();

	for (long i = 0; i < ops; i++) {
		void *volatile p = a->alloc(64);

		a->release(p);
	}
	return (now_ns() - start) / ops;
}

static double workload_ns(const struct allocator *a)
{
	void *slot[SLOTS] = { 0 };
	uint32_t x = 2463534242u;
	double start = now_ns();

	for (long i = 0; i < ops; i++) {
		uint32_t s;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		s = x % SLOTS;
		if (slot[s]) {
			a->release(slot[s]);
			slot[s] = NULL;
		} else {
			slot[s] = a->alloc(8 + (x >> 16) % 248);
		}
	}
	for (int s = 0; s < SLOTS; s++)
		if (slot[s])
			a->release(slot[s]);
	return (now_ns() - start) / ops;
}

/* Two threads run the same measurement at once; the result is the mean of their ns per operation. */
struct job {
	double (*measure)(const struct allocator *);
	const struct allocator *a;
	double ns;
};
static void *run_job(void *arg)
{
	struct job *j = arg;

	j->ns = j->measure(j->a);
	return NULL;
}
static double two_threads(double (*measure)(const struct allocator *), const struct allocator *a)
{
	struct job jobs[2] = { { measure, a, 0 }, { measure, a, 0 } };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, run_job, &jobs[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return (jobs[0].ns + jobs[1].ns) / 2;
}
static void *nothing(void *arg)
{
	return arg;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Each library's own entry points (declared here: their headers would redefine malloc). glibc's are looked up in
 * libc.so.6 itself: libmimalloc, linked in, defines __libc_malloc and __libc_free too (its override of glibc), and
 * the linker binds those names to it (until this was found, the "glibc" row measured mimalloc). */
void *mallocx(size_t size, int flags);
void dallocx(void *ptr, int flags);
void *mi_malloc(size_t size);
void mi_free(void *ptr);
static void *jemalloc_malloc(size_t n)
{
	return mallocx(n, 0);
}
static void jemalloc_free(void *p)
{
	dallocx(p, 0);
}

static void *libc_symbol(const char *name)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), *symbol = libc ? dlsym(libc, name) : NULL;

	if (!symbol) {
		fprintf(stderr, "bench_native: glibc's %s not found: %s\n", name, dlerror());
		exit(1);
	}
	return symbol;
}

#define ALLOCATORS 4
enum { SINGLE_PAIR, SINGLE_WORK, LOCKED_PAIR, LOCKED_WORK, TWO_PAIR, TWO_WORK, FIGURES };

int main(int argc, char **argv)
{
	struct allocator all[ALLOCATORS] = {
		{ DM_POLICY == DM_POLICY_SEGREGATED ? "dynamic_memory (segregated)" : "dynamic_memory (first fit)",
		  bench_dm_malloc, bench_dm_free },
		{ "glibc malloc", NULL, NULL },
		{ "jemalloc", jemalloc_malloc, jemalloc_free },
		{ "mimalloc", mi_malloc, mi_free },
	};
	static double v[ALLOCATORS][FIGURES][MAX_RUNS];
	double m[ALLOCATORS][FIGURES];
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	FILE *dat = argc > 3 ? fopen(argv[3], "w") : NULL;
	pthread_t t;

	*(void **)&all[1].alloc = libc_symbol("__libc_malloc");
	*(void **)&all[1].release = libc_symbol("__libc_free");
	ops = argc > 2 ? atol(argv[2]) : 2000000;
	if (argc != 4 || runs < 1 || runs > MAX_RUNS || ops < 1000 || !dat) {
		fprintf(stderr, "usage: %s RUNS(1..%d) OPS DATA_FILE\n", argv[0], MAX_RUNS);
		return 2;
	}
	for (int r = 0; r < runs; r++)
		for (int i = 0; i < ALLOCATORS; i++) {
			v[i][SINGLE_PAIR][r] = pair_ns(&all[i]);
			v[i][SINGLE_WORK][r] = workload_ns(&all[i]);
		}
	pthread_create(&t, NULL, nothing, NULL); /* from now on the process is multi-threaded for good */
	pthread_join(t, NULL);
	for (int r = 0; r < runs; r++)
		for (int i = 0; i < ALLOCATORS; i++) {
			v[i][LOCKED_PAIR][r] = pair_ns(&all[i]);
			v[i][LOCKED_WORK][r] = workload_ns(&all[i]);
			v[i][TWO_PAIR][r] = two_threads(pair_ns, &all[i]);
			v[i][TWO_WORK][r] = two_threads(workload_ns, &all[i]);
		}
	for (int i = 0; i < ALLOCATORS; i++)
		for (int f = 0; f < FIGURES; f++)
			m[i][f] = median(v[i][f], runs);
	for (int i = 0; i < ALLOCATORS; i++) {
		printf("| %s |", all[i].name);
		for (int f = 0; f < FIGURES; f++)
			printf(" %.1f (%.2fx) |", m[i][f], m[i][f] / m[1][f]);
		printf("\n");
		fprintf(dat, "\"%s\" %.2f %.2f %.2f %.2f\n", all[i].name, m[i][SINGLE_PAIR], m[i][SINGLE_WORK],
			m[i][TWO_PAIR], m[i][TWO_WORK]);
	}
	fclose(dat);
	return 0;
}
