/* SPDX-License-Identifier: MIT */
/*
 * A shadow model of the heap and an interpreter of operation streams, shared by the differential test (random
 * streams from a seed) and the libFuzzer target (streams from fuzzer bytes).
 *
 * After every operation it checks what the allocator must guarantee: returned pointers aligned and inside the pool,
 * no two live blocks overlapping, contents preserved (each block carries a fill pattern), calloc memory zero,
 * a request succeeds whenever it is at most the largest_free reported before it and fails only when it exceeds the
 * largest_free reported after it (exactly when it exceeds it, while no block is parked in a cache), misuse refused and
 * counted, static_check() == 0 and every counter equal to the model's (peak_allocated: at least the model's, as it
 * counts parked blocks too).
 */
#ifndef HEAP_MODEL_H
#define HEAP_MODEL_H

#include "dynamic_memory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_SLOTS 128

struct model_block {
	unsigned char *ptr; /* NULL = slot empty */
	size_t size;        /* bytes requested */
	size_t usable;      /* static_usable_size at allocation */
	unsigned char fill; /* pattern byte: block contents are fill + index */
};

struct model {
	struct model_block slot[MODEL_SLOTS];
	struct dm_stats expect; /* the counters the allocator must report */
	unsigned long operations;
	unsigned long violations;
	int verbose;
};

enum model_op {
	OP_MALLOC,
	OP_CALLOC,
	OP_REALLOC,
	OP_FREE,
	OP_FREE_INVALID, /* double free, interior, outside, misaligned pointer */
	OP_COUNT
};

#define MODEL_FAIL(m, ...)                                                                                             \
	do {                                                                                                           \
		(m)->violations++;                                                                                     \
		if ((m)->violations <= 10)                                                                             \
			fprintf(stderr, "violation after operation %lu: ", (m)->operations),                           \
				fprintf(stderr, __VA_ARGS__), fputc('\n', stderr);                                     \
	} while (0)

static unsigned char *model_pool_start(void)
{
	return (unsigned char *)dm_env_heap();
}

static void model_reset(struct model *m)
{
	static_reset();
	memset(m, 0, sizeof(*m));
	static_stats(&m->expect);
}

/* largest_free is the largest request that succeeds; 0 means none does, not even one of 0 bytes. */
static int model_fits(size_t size, size_t largest_free)
{
	return largest_free && size <= largest_free;
}

/* A request of `size` bytes (SIZE_MAX: an overflowing product) succeeded or not, `before` the stats taken before it.
 * A parked block may serve a request the heap could not, and a failing request first takes back what the caches
 * hold: so it must succeed if it fitted before, and may fail only if it does not fit after. */
static void model_check_outcome(struct model *m, int succeeded, size_t size, const struct dm_stats *before)
{
	struct dm_stats after;

	if (succeeded && size == SIZE_MAX)
		MODEL_FAIL(m, "a request whose size overflows succeeded");
	if (!succeeded && size != SIZE_MAX && model_fits(size, before->largest_free))
		MODEL_FAIL(m, "request of %zu bytes failed with largest_free %zu", size, (size_t)before->largest_free);
	if (succeeded && !before->cached_blocks && !model_fits(size, before->largest_free))
		MODEL_FAIL(m, "request of %zu bytes succeeded with largest_free %zu and no block parked", size,
			   (size_t)before->largest_free);
	if (!succeeded && size != SIZE_MAX) {
		static_stats(&after);
		if (model_fits(size, after.largest_free))
			MODEL_FAIL(m, "request of %zu bytes failed, yet largest_free is %zu after it", size,
				   (size_t)after.largest_free);
	}
}

static void model_fill(struct model_block *b)
{
	for (size_t i = 0; i < b->size; i++)
		b->ptr[i] = (unsigned char)(b->fill + i);
}

static int model_intact(const struct model_block *b, size_t upto)
{
	for (size_t i = 0; i < upto && i < b->size; i++)
		if (b->ptr[i] != (unsigned char)(b->fill + i))
			return 0;
	return 1;
}

/* A pointer the allocator just returned for `size` bytes: aligned, inside the pool, overlapping no live block. */
static void model_check_new(struct model *m, int self, unsigned char *p, size_t size)
{
	unsigned char *lo = model_pool_start(), *hi = lo + DM_POOL_SIZE;
	size_t usable = static_usable_size(p);

	if ((uintptr_t)p % DM_ALIGN)
		MODEL_FAIL(m, "pointer %p not aligned to %d", (void *)p, DM_ALIGN);
	if (p < lo || p + usable > hi)
		MODEL_FAIL(m, "block %p+%zu outside the pool", (void *)p, usable);
	if (usable < size)
		MODEL_FAIL(m, "usable size %zu < requested %zu", usable, size);
	for (int i = 0; i < MODEL_SLOTS; i++) {
		const struct model_block *b = &m->slot[i];

		if (i != self && b->ptr && p < b->ptr + b->usable && b->ptr < p + usable)
			MODEL_FAIL(m, "block %p+%zu overlaps live block %p+%zu", (void *)p, usable, (void *)b->ptr,
				   b->usable);
	}
}

static void model_account_new(struct model *m, struct model_block *b)
{
	m->expect.allocations++;
	m->expect.used_blocks++;
	m->expect.allocated += b->usable;
	if (m->expect.allocated > m->expect.peak_allocated)
		m->expect.peak_allocated = m->expect.allocated;
}

static void model_account_free(struct model *m, struct model_block *b)
{
	m->expect.frees++;
	m->expect.used_blocks--;
	m->expect.allocated -= b->usable;
	b->ptr = NULL;
}

static void model_free(struct model *m, struct model_block *b)
{
	if (!model_intact(b, b->size))
		MODEL_FAIL(m, "contents of %p changed while it was live", (void *)b->ptr);
	static_free(b->ptr);
	model_account_free(m, b);
}

static void model_allocate(struct model *m, int s, enum model_op op, size_t size, unsigned char fill)
{
	struct model_block *b = &m->slot[s];
	struct dm_stats now;
	unsigned char *p;
	size_t nmemb = 1, element = size;
	int overflow = 0;

	static_stats(&now);
	if (op == OP_CALLOC && size >= 4) { /* exercise the product, its overflow included */
		nmemb = size & 1 ? size / 4 : 4;
		element = size & 1 ? 4 : size / 4 + 1;
		overflow = __builtin_mul_overflow(nmemb, element, &size);
	}
	p = op == OP_CALLOC ? static_calloc(nmemb, element) : static_malloc(size);
	model_check_outcome(m, p != NULL, overflow ? SIZE_MAX : size, &now);
	if (!p) {
		m->expect.failed_allocations++;
		return;
	}
	model_check_new(m, s, p, size);
	if (op == OP_CALLOC)
		for (size_t i = 0; i < size; i++)
			if (p[i]) {
				MODEL_FAIL(m, "calloc byte %zu of %p is %u", i, (void *)p, p[i]);
				break;
			}
	*b = (struct model_block){ p, size, static_usable_size(p), fill };
	model_fill(b);
	model_account_new(m, b);
}

static void model_realloc(struct model *m, int s, size_t size, unsigned char fill)
{
	struct model_block *b = &m->slot[s], old = *b;
	struct dm_stats now;
	unsigned char *p;

	static_stats(&now);
	p = static_realloc(b->ptr, size);
	if (!b->ptr) { /* realloc(NULL, n) is malloc */
		model_check_outcome(m, p != NULL, size, &now);
	} else if (!size) { /* realloc(p, 0) frees p */
		if (p)
			MODEL_FAIL(m, "realloc(p, 0) returned %p", (void *)p);
		model_account_free(m, b);
		return;
	} else if (!p && (size <= old.usable || model_fits(size, now.largest_free))) {
		MODEL_FAIL(m, "realloc of %zu to %zu failed with largest_free %zu", old.usable, size,
			   (size_t)now.largest_free);
	}
	if (!p) {
		m->expect.failed_allocations++;
		if (old.ptr && !model_intact(&old, old.size))
			MODEL_FAIL(m, "failed realloc changed the old block %p", (void *)old.ptr);
		return;
	}
	model_check_new(m, s, p, size);
	b->ptr = p;
	if (!model_intact(b, old.ptr ? size : 0)) /* the first min(old, new) bytes survive */
		MODEL_FAIL(m, "realloc %p -> %p lost contents", (void *)old.ptr, (void *)p);
	b->size = size;
	b->usable = static_usable_size(p);
	b->fill = old.ptr ? old.fill : fill;
	model_fill(b);
	if (!old.ptr || p != old.ptr) { /* moved (or new): one allocation, and the old block freed */
		model_account_new(m, b);
		if (old.ptr) {
			m->expect.frees++;
			m->expect.used_blocks--;
			m->expect.allocated -= old.usable;
		}
	} else {
		m->expect.allocated += b->usable - old.usable;
		if (m->expect.allocated > m->expect.peak_allocated)
			m->expect.peak_allocated = m->expect.allocated;
	}
}

/* Misuse that must be refused and counted: the heap must not change otherwise (static_check and the counters
 * after the operation say so). */
static void model_free_invalid(struct model *m, int s, unsigned variant)
{
	struct model_block *b = &m->slot[s];
	unsigned char *bad;

	switch (variant % 4) {
	case 0: /* double free: free a live block, then free it again */
		if (!b->ptr)
			return;
		bad = b->ptr;
		model_free(m, b);
		static_free(bad);
		break;
	case 1: /* interior pointer */
		if (!b->ptr || b->usable < 2 * DM_ALIGN)
			return;
		bad = b->ptr + DM_ALIGN;
		/* Data that happens to carry the offset tag of its place (1 in 2^16) reads as a damaged header. */
		if ((((dm_u32 *)(bad - DM_HDR))[1] & 0xffff0000u) ==
		    dm_offset_tag((dm_u32)(bad - DM_HDR - model_pool_start()), dm_env_heap()->ctl.generation)) {
			static_free(bad);
			m->expect.corruptions++;
			return;
		}
		static_free(bad);
		break;
	case 2: /* outside the pool */
		static_free(model_pool_start() + DM_POOL_SIZE + DM_GUARD + 4096);
		break;
	default: /* misaligned */
		if (!b->ptr)
			return;
		static_free(b->ptr + 1);
		break;
	}
	m->expect.invalid_frees++;
}

static void model_verify(struct model *m)
{
	struct dm_stats got;
	int check = static_check();

	if (check)
		MODEL_FAIL(m, "static_check() = %d", check);
	static_stats(&got);
#define SAME(field)                                                                                                    \
	if (got.field != m->expect.field)                                                                              \
		MODEL_FAIL(m, #field " is %llu, model says %llu", (unsigned long long)got.field,                       \
			   (unsigned long long)m->expect.field);
	SAME(allocated)
	SAME(used_blocks)
	SAME(allocations)
	SAME(frees)
	SAME(failed_allocations)
	SAME(invalid_frees)
	SAME(corruptions)
	SAME(capacity)
#undef SAME
	if (got.free + got.allocated + DM_HDR * (got.used_blocks + got.free_blocks) != got.capacity + DM_HDR)
		MODEL_FAIL(m, "free %llu + allocated %llu + headers do not add up to the capacity",
			   (unsigned long long)got.free, (unsigned long long)got.allocated);
	if (got.peak_allocated < m->expect.peak_allocated || got.peak_allocated < got.allocated)
		MODEL_FAIL(m, "peak_allocated %llu is below the model's %llu or allocated %llu",
			   (unsigned long long)got.peak_allocated, (unsigned long long)m->expect.peak_allocated,
			   (unsigned long long)got.allocated);
	if (got.largest_free > got.free)
		MODEL_FAIL(m, "largest_free %llu > free %llu", (unsigned long long)got.largest_free,
			   (unsigned long long)got.free);
}

/* A size drawn from the classes the tests need: 0, 1, DM_ALIGN-1, tiny, small, large, pool-sized, oversized. */
static size_t model_size(uint32_t r)
{
	uint32_t v = r >> 4;

	switch (r & 15) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return DM_ALIGN - 1;
	case 3:
	case 4:
	case 5:
		return 1 + v % 32;
	case 6:
	case 7:
	case 8:
	case 9:
		return 1 + v % 512;
	case 10:
	case 11:
		return 1 + v % 4096;
	case 12:
		return 1 + v % (DM_CAPACITY / 4);
	case 13:
		return DM_CAPACITY - v % 64;
	case 14:
		return DM_CAPACITY + 1 + v % 64;
	default:
		return v & 1 ? SIZE_MAX - v % 16 : (size_t)1 << (32 + v % 20);
	}
}

/* Runs one operation described by two random words. */
static void model_step(struct model *m, uint32_t a, uint32_t b)
{
	int s = (int)(a % MODEL_SLOTS);
	enum model_op op = (enum model_op)((a >> 8) % (OP_COUNT + 2)); /* frees twice as likely as each other op */
	size_t size = model_size(b);

	m->operations++;
	if (op >= OP_COUNT)
		op = OP_FREE;
	switch (op) {
	case OP_MALLOC:
	case OP_CALLOC:
		if (m->slot[s].ptr)
			model_free(m, &m->slot[s]);
		model_allocate(m, s, op, size, (unsigned char)(a >> 16));
		break;
	case OP_REALLOC:
		model_realloc(m, s, size, (unsigned char)(a >> 16));
		break;
	case OP_FREE:
		if (m->slot[s].ptr)
			model_free(m, &m->slot[s]);
		else
			static_free(NULL);
		break;
	default:
		model_free_invalid(m, s, a >> 20);
		break;
	}
	model_verify(m);
}

#endif /* HEAP_MODEL_H */
