/* SPDX-License-Identifier: MIT */
/*
 * Multithreaded stress: THREADS threads share the one heap and do random malloc/calloc/realloc/free, each thread
 * checking that its own blocks keep their contents (another thread writing into them would show). At the end
 * static_check() must be 0 and the counters must balance.
 *
 *   stress [THREADS [OPERATIONS_PER_THREAD]]     defaults: 4 threads, 500000 operations each
 *
 * Closes with "N passed, N failed" (checks), exits 1 on any failure.
 */
#include "dynamic_memory.h"
#include "user/stats_columns.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 64

struct worker {
	pthread_t thread;
	unsigned id;
	unsigned long operations, corrupted, live;
};

static void stamp(unsigned char *p, size_t n, unsigned char tag)
{
	memset(p, tag, n);
}

static int stamped(const unsigned char *p, size_t n, unsigned char tag)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != tag)
			return 0;
	return 1;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char *ptr[SLOTS] = { 0 };
	size_t len[SLOTS] = { 0 };
	uint64_t state = 0x9e3779b97f4a7c15ULL * (w->id + 1);
	unsigned char tag = (unsigned char)(0x11 * (w->id + 1));

	for (unsigned long i = 0; i < w->operations; i++) {
		unsigned s, kind;
		size_t size;

		state ^= state << 13, state ^= state >> 7, state ^= state << 17;
		s = (unsigned)(state % SLOTS);
		kind = (unsigned)(state >> 32) % 4;
		size = 1 + (size_t)((state >> 40) % 700);
		if (ptr[s] && !stamped(ptr[s], len[s], tag))
			w->corrupted++;
		if (kind == 3 && ptr[s]) {
			unsigned char *q = static_realloc(ptr[s], size);

			if (q) {
				if (!stamped(q, len[s] < size ? len[s] : size, tag))
					w->corrupted++;
				ptr[s] = q, len[s] = size;
				stamp(q, size, tag);
			}
		} else if (ptr[s]) {
			static_free(ptr[s]);
			ptr[s] = NULL;
		} else {
			ptr[s] = kind == 2 ? static_calloc(1, size) : static_malloc(size);
			len[s] = size;
			if (ptr[s])
				stamp(ptr[s], size, tag);
		}
	}
	for (unsigned s = 0; s < SLOTS; s++)
		if (ptr[s])
			w->live++, static_free(ptr[s]);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned threads = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 4;
	unsigned long operations = argc > 2 ? strtoul(argv[2], NULL, 0) : 500000;
	struct worker w[64];
	struct dm_stats s;
	unsigned passed = 0, failed = 0;
	unsigned long corrupted = 0;

	if (threads < 2 || threads > 64 || !operations) {
		fprintf(stderr, "usage: %s [THREADS (2..64) [OPERATIONS_PER_THREAD]]\n", argv[0]);
		return 2;
	}
	static_reset();
	printf("stress: %u threads x %lu operations on one heap\n", threads, operations);
	for (unsigned t = 0; t < threads; t++) {
		w[t] = (struct worker){ .id = t, .operations = operations };
		if (pthread_create(&w[t].thread, NULL, work, &w[t])) {
			perror("pthread_create");
			return 2;
		}
	}
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(w[t].thread, NULL);
		corrupted += w[t].corrupted;
	}
	static_stats(&s);
	printf("%-6s", "");
	dm_stats_print_titles(stdout);
	printf("\n%-6s", "heap");
	dm_stats_print_values(stdout, &s);
	putchar('\n');
#define CHECK(cond)                                                                                                    \
	do {                                                                                                           \
		if (cond)                                                                                              \
			passed++;                                                                                      \
		else                                                                                                   \
			failed++, printf("  FAILED: %s\n", #cond);                                                     \
	} while (0)
	CHECK(corrupted == 0);
	CHECK(static_check() == 0);
	CHECK(s.allocations == s.frees);
	CHECK(s.used_blocks == 0 && s.allocated == 0);
	CHECK(s.free_blocks == 1 && s.largest_free == s.capacity);
	CHECK(s.invalid_frees == 0 && s.corruptions == 0);
	CHECK(s.allocations + s.failed_allocations >= threads * operations / 4);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
