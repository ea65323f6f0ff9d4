/* SPDX-License-Identifier: MIT */
/*
 * The C allocation interface as libdynamic_memory.so serves it: run under LD_PRELOAD (tests/tools/preload.bats). Checks
 * that every pointer lies in the heap (the address range of /dev/shm/dm-PID's heap), alignments, errno on failure,
 * aligned blocks freed and reallocated, and many threads at once. Prints "N passed, N failed".
 */
#define _GNU_SOURCE
#include "user/preload_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;
static struct dm_preload_info info;

#define CHECK(what, cond)                                                                                              \
	do {                                                                                                           \
		if (cond)                                                                                              \
			passed++;                                                                                      \
		else                                                                                                   \
			failed++, printf("FAILED: %s (%s, line %d)\n", what, #cond, __LINE__);                         \
	} while (0)

static int in_heap(const void *p)
{
	return (uintptr_t)p - info.heap < (1ull << 31) + DM_PRELOAD_PAGE;
}

static void aligned_family(void)
{
	static const size_t aligns[] = { 32, 64, 256, 4096, 65536 };
	void *p;

	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		size_t a = aligns[i];
		char *q = aligned_alloc(a, 3 * a);

		CHECK("aligned_alloc aligns", q && (uintptr_t)q % a == 0 && in_heap(q));
		CHECK("its usable size covers the request", malloc_usable_size(q) >= 3 * a);
		memset(q, 0x5a, 3 * a);
		q = realloc(q, 10 * a); /* an aligned block moves: the data must follow */
		CHECK("realloc of an aligned block keeps the data", q && q[0] == 0x5a && q[3 * a - 1] == 0x5a);
		free(q);
		CHECK("posix_memalign aligns", posix_memalign(&p, a, 100) == 0 && (uintptr_t)p % a == 0 && in_heap(p));
		free(p);
		p = memalign(a, 1);
		CHECK("memalign aligns", p && (uintptr_t)p % a == 0);
		free(p);
	}
	CHECK("posix_memalign refuses an alignment that is not a power of two", posix_memalign(&p, 24, 8) == EINVAL);
	errno = 0;
	CHECK("aligned_alloc refuses alignment 3", !aligned_alloc(3, 8) && errno == EINVAL);
	p = valloc(10);
	CHECK("valloc is page-aligned", p && (uintptr_t)p % 4096 == 0);
	free(p);
	p = pvalloc(10);
	CHECK("pvalloc gives a whole page", p && (uintptr_t)p % 4096 == 0 && malloc_usable_size(p) >= 4096);
	free(p);
}

static void failures(void)
{
	volatile size_t half = SIZE_MAX / 2; /* hidden from gcc, which refuses an overflow it can see */
	void *p;

	errno = 0;
	CHECK("a request beyond the pool is NULL with ENOMEM", !malloc((size_t)3 << 30) && errno == ENOMEM);
	errno = 0;
	CHECK("calloc overflow is NULL with ENOMEM", !calloc(half, 4) && errno == ENOMEM);
	errno = 0;
	CHECK("reallocarray overflow is NULL with ENOMEM", !reallocarray(NULL, half, 4) && errno == ENOMEM);
	p = malloc(100);
	errno = 0;
	CHECK("realloc that cannot grow keeps the block",
	      !realloc(p, (size_t)3 << 30) && errno == ENOMEM && malloc_usable_size(p) >= 100);
	free(p);
	p = malloc(0);
	CHECK("malloc(0) is a unique heap pointer", p && in_heap(p));
	free(p);
}

static void plain(void)
{
	char *p = malloc(40), *q = calloc(1000, 8);
	size_t zero = 0;

	CHECK("malloc returns heap memory aligned to 16", p && in_heap(p) && (uintptr_t)p % 16 == 0);
	for (size_t i = 0; i < 8000; i++)
		zero |= (size_t)q[i];
	CHECK("calloc zeroes", q && in_heap(q) && !zero);
	strcpy(p, "kept across realloc");
	p = realloc(p, 100000);
	CHECK("realloc keeps the contents", p && !strcmp(p, "kept across realloc"));
	free(p);
	free(q);
	CHECK("malloc_usable_size(NULL) is 0", malloc_usable_size(NULL) == 0);
}

static void *churn(void *arg)
{
	void *slots[64] = { 0 };
	unsigned seed = (unsigned)(uintptr_t)arg, bad = 0;

	for (int i = 0; i < 200000; i++) {
		unsigned k = (seed = seed * 1103515245u + 12345u) >> 16;
		void **s = &slots[k % 64];

		free(*s);
		*s = (k & 1) ? malloc(k % 2048) : aligned_alloc(64, k % 512 + 1);
		bad += !*s || !in_heap(*s);
	}
	for (int i = 0; i < 64; i++)
		free(slots[i]);
	return (void *)(uintptr_t)bad;
}

static void threads(void)
{
	pthread_t t[4];
	uintptr_t bad = 0;

	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn, (void *)(i + 1));
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad += (uintptr_t)r;
	}
	CHECK("4 threads x 200000 operations, every block from the heap", bad == 0);
}

int main(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/dm-%d", getpid());
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &info, sizeof(info), 0) != (ssize_t)sizeof(info) || info.magic != DM_PRELOAD_MAGIC) {
		printf("FAILED: %s is not a libdynamic_memory.so stats file: run me under LD_PRELOAD\n0 passed, 1 failed\n",
		       path);
		return 1;
	}
	close(fd);
	plain();
	aligned_family();
	failures();
	threads();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
