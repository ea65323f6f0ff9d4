/* SPDX-License-Identifier: MIT */
/* cmocka unit tests of the public API: every function, every documented edge case, every kind of misuse.
 * Built once per configuration (policy, alignment) by the Makefile. */
#include "dynamic_memory.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static struct dm_stats stats(void)
{
	struct dm_stats s;

	static_stats(&s);
	return s;
}

static int setup(void **state)
{
	(void)state;
	static_reset();
	return 0;
}

/* After every test the heap must still be consistent (misuse tests included: misuse changes nothing). */
static int teardown(void **state)
{
	(void)state;
	assert_int_equal(static_check(), 0);
	return 0;
}

static unsigned char *pool_start(void)
{
	return (unsigned char *)dm_env_heap();
}

static void test_malloc_is_aligned_and_usable(void **state)
{
	(void)state;
	for (size_t size = 1; size < 300; size += 7) {
		unsigned char *p = static_malloc(size);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % DM_ALIGN, 0);
		assert_true(static_usable_size(p) >= size);
		assert_true(p >= pool_start() + sizeof(struct dm_control));
		assert_true(p + static_usable_size(p) <= pool_start() + DM_POOL_SIZE);
		memset(p, 0xa5, static_usable_size(p));
	}
	assert_int_equal(stats().allocations, 43);
}

static void test_malloc_zero_returns_unique_freeable_pointer(void **state)
{
	void *a = static_malloc(0), *b = static_malloc(0);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	static_free(a);
	static_free(b);
	assert_int_equal(stats().frees, 2);
	assert_int_equal(stats().invalid_frees, 0);
}

static void test_malloc_too_large_fails_and_counts(void **state)
{
	(void)state;
	assert_null(static_malloc(DM_CAPACITY + 1));
	assert_null(static_malloc(SIZE_MAX));
	assert_null(static_malloc((size_t)1 << 40));
	assert_int_equal(stats().failed_allocations, 3);
	assert_int_equal(stats().allocated, 0);
}

static void test_whole_capacity_then_nothing(void **state)
{
	void *all;

	(void)state;
	assert_int_equal(stats().largest_free, DM_CAPACITY);
	assert_int_equal(stats().capacity, DM_CAPACITY);
	all = static_malloc(DM_CAPACITY);
	assert_non_null(all);
	assert_int_equal(stats().largest_free, 0);
	assert_null(static_malloc(0));
	assert_null(static_malloc(1));
	static_free(all);
	assert_int_equal(stats().largest_free, DM_CAPACITY);
}

static void test_free_null_is_noop(void **state)
{
	struct dm_stats before = stats(), after;

	(void)state;
	static_free(NULL);
	after = stats();
	assert_memory_equal(&before, &after, sizeof(before));
}

/* Freed neighbours merge back into one block whatever the order of the frees. */
static void test_coalescing_restores_capacity(void **state)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 }
	};

	(void)state;
	for (int o = 0; o < 6; o++) {
		void *p[3];

		for (int i = 0; i < 3; i++)
			assert_non_null(p[i] = static_malloc((size_t)(100 + 50 * i)));
		for (int i = 0; i < 3; i++) {
			static_free(p[orders[o][i]]);
			assert_int_equal(static_check(), 0);
		}
		static_trim(); /* the caches hold small blocks back from the heap */
		assert_int_equal(stats().free_blocks, 1);
		assert_int_equal(stats().largest_free, DM_CAPACITY);
	}
}

static void expect_refused(void *bad, struct dm_stats before)
{
	struct dm_stats after;

	static_free(bad);
	after = stats();
	assert_int_equal(after.invalid_frees, before.invalid_frees + 1);
	after.invalid_frees = before.invalid_frees;
	assert_memory_equal(&before, &after, sizeof(before)); /* nothing else changed */
	assert_int_equal(static_check(), 0);
}

static void test_double_free_is_refused(void **state)
{
	unsigned char *a = static_malloc(64), *b = static_malloc(64), *c = static_malloc(64);

	(void)state;
	static_free(b); /* stays a free block of its own: header says free */
	expect_refused(b, stats());
	static_free(a); /* a merges with b: a's header is absorbed */
	expect_refused(a, stats());
	expect_refused(b, stats());
	static_free(c);
}

static void test_interior_outside_misaligned_pointers_are_refused(void **state)
{
	unsigned char *p = static_malloc(256);
	int local;

	(void)state;
	memset(p, 0, 256);
	expect_refused(p + DM_ALIGN, stats());
	expect_refused(p + 128, stats());
	expect_refused(p + 1, stats());
	expect_refused(p - DM_ALIGN, stats());
	expect_refused(&local, stats());
	expect_refused(pool_start(), stats());
	expect_refused(pool_start() + DM_POOL_SIZE, stats());
	expect_refused((void *)((uintptr_t)pool_start() - 4096), stats());
	static_free(p);
	assert_int_equal(stats().frees, 1);
}

static void test_calloc_zeroes(void **state)
{
	unsigned char *dirty = static_malloc(1000), *z;

	(void)state;
	memset(dirty, 0xff, 1000);
	static_free(dirty);
	z = static_calloc(250, 4);
	assert_ptr_equal(z, dirty); /* the dirty block is reused... */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(z[i], 0); /* ...and zeroed */
	static_free(z);
	assert_non_null(z = static_calloc(0, 8));
	static_free(z);
}

static void test_calloc_overflow_returns_null(void **state)
{
	(void)state;
	assert_null(static_calloc(SIZE_MAX, 2));
	assert_null(static_calloc(2, SIZE_MAX));
	assert_null(static_calloc((size_t)1 << 32, (size_t)1 << 32));
	assert_null(static_calloc(((size_t)1 << 33) + 1, 1));
	assert_null(static_calloc(DM_CAPACITY, 2));
	assert_int_equal(stats().failed_allocations, 5);
	assert_int_equal(stats().allocated, 0);
}

static void test_realloc_null_is_malloc(void **state)
{
	void *p = static_realloc(NULL, 40);

	(void)state;
	assert_non_null(p);
	assert_true(static_usable_size(p) >= 40);
	assert_int_equal(stats().allocations, 1);
	static_free(p);
}

static void test_realloc_zero_frees(void **state)
{
	void *p = static_malloc(40);

	(void)state;
	assert_null(static_realloc(p, 0));
	assert_int_equal(stats().frees, 1);
	assert_int_equal(stats().used_blocks, 0);
}

static void test_realloc_growth_keeps_contents(void **state)
{
	unsigned char *p = static_malloc(32), *blocker;

	(void)state;
	for (int i = 0; i < 32; i++)
		p[i] = (unsigned char)i;
	blocker = static_malloc(16); /* forces a move: no free block after p */
	p = static_realloc(p, 3000);
	assert_non_null(p);
	for (int i = 0; i < 32; i++)
		assert_int_equal(p[i], i);
	assert_int_equal(stats().allocations, 3);
	assert_int_equal(stats().frees, 1);
	static_free(blocker);
	static_free(p);
}

static void test_realloc_grows_and_shrinks_in_place(void **state)
{
	unsigned char *p = static_malloc(100), *q;

	(void)state;
	memset(p, 7, 100);
	q = static_realloc(p, 2000); /* the rest of the pool follows p: grows in place */
	assert_ptr_equal(q, p);
	assert_true(static_usable_size(q) >= 2000);
	q = static_realloc(p, 50); /* shrinks in place, the tail goes back */
	assert_ptr_equal(q, p);
	assert_true(static_usable_size(q) < 2000);
	for (int i = 0; i < 50; i++)
		assert_int_equal(q[i], 7);
	assert_int_equal(stats().allocations, 1);
	assert_int_equal(stats().free_blocks, 1);
	static_free(q);
}

static void test_failed_realloc_leaves_block_intact(void **state)
{
	unsigned char *p = static_malloc(64), *blocker = static_malloc(64);
	struct dm_stats before;

	(void)state;
	memset(p, 0x3c, 64);
	before = stats();
	assert_null(static_realloc(p, DM_CAPACITY));
	assert_null(static_realloc(p, SIZE_MAX));
	assert_int_equal(stats().failed_allocations, before.failed_allocations + 2);
	assert_int_equal(stats().allocated, before.allocated);
	for (int i = 0; i < 64; i++)
		assert_int_equal(p[i], 0x3c);
	static_free(p);
	static_free(blocker);
}

static void test_realloc_of_invalid_pointer_is_refused(void **state)
{
	unsigned char *p = static_malloc(64);

	(void)state;
	assert_null(static_realloc(p + DM_ALIGN, 100));
	static_free(p);
	assert_null(static_realloc(p, 100)); /* freed */
	assert_int_equal(stats().invalid_frees, 2);
	assert_int_equal(stats().allocations, 1);
}

static void test_usable_size_of_invalid_is_zero(void **state)
{
	unsigned char *p = static_malloc(24);

	(void)state;
	assert_int_equal(static_usable_size(NULL), 0);
	assert_int_equal(static_usable_size(p + DM_ALIGN), 0);
	static_free(p);
	assert_int_equal(static_usable_size(p), 0);
	assert_int_equal(stats().invalid_frees, 0); /* asking is not misuse */
}

static void test_stats_track_peak_and_blocks(void **state)
{
	void *a = static_malloc(100), *b = static_malloc(200);
	size_t ua = static_usable_size(a), ub = static_usable_size(b);
	struct dm_stats s = stats();
	size_t peak;

	(void)state;
	/* The peak counts parked blocks as allocated (refills park blocks beside a and b). */
	assert_int_equal(s.allocated, ua + ub);
	assert_int_equal(s.peak_allocated, s.allocated + s.cached_bytes - DM_HDR * s.cached_blocks);
	peak = s.peak_allocated;
	static_free(a);
	static_trim();
	s = stats();
	assert_int_equal(s.allocated, ub);
	assert_int_equal(s.peak_allocated, peak);
	assert_int_equal(s.used_blocks, 1);
	assert_int_equal(s.free_blocks, 2);
	assert_int_equal(s.free + s.allocated + DM_HDR * (s.used_blocks + s.free_blocks), s.capacity + DM_HDR);
	static_free(b);
}

/* largest_free is exact: that many bytes succeed, one more fails, in a fragmented heap. */
static void test_largest_free_is_exact(void **state)
{
	void *p[64];
	size_t largest;

	(void)state;
	for (int i = 0; i < 64; i++)
		p[i] = static_malloc(24 + 40 * (size_t)(i % 7));
	for (int i = 0; i < 64; i += 2)
		static_free(p[i]);
	static_trim(); /* parked blocks merge with their free neighbours only once given back */
	largest = stats().largest_free;
	assert_true(largest > 0);
	assert_null(static_malloc(largest + 1));
	assert_non_null(p[0] = static_malloc(largest));
	static_free(p[0]);
	for (int i = 1; i < 64; i += 2)
		static_free(p[i]);
}

/* One byte written past the usable size is detected, for (nearly) every byte value: by freeing the block, by
 * freeing its neighbour, and by static_check. */
static void test_overflow_by_one_byte_is_detected(void **state)
{
	int missed = 0;

	(void)state;
	for (int how = 0; how < 3; how++) {
		for (int value = 0; value < 256; value++) {
			unsigned char *a = static_malloc(40), *b = static_malloc(40), *lower = a < b ? a : b;
			unsigned char original;

			/* a is the lower of two neighbours (a cache hands out the pieces of a refill from the top down) */
			b = a == lower ? b : a, a = lower;
			original = a[static_usable_size(a)];

			if ((unsigned char)value == original)
				continue; /* writing the byte that is there already damages nothing */
			a[static_usable_size(a)] = (unsigned char)value;
			if (how == 0) {
				static_free(a); /* parked by the cache, whose free reads a's header only... */
				static_trim();  /* ...and given back to the heap, which checks its neighbour */
			} else if (how == 1)
				static_free(b);
			if (static_check() == 0 || (how < 2 && stats().corruptions != 1))
				missed++;
			static_reset();
		}
	}
	assert_true(missed * 100 <= 3 * 255); /* >= 99% detected */
}

static void test_check_reports_damaged_footer_and_links(void **state)
{
	unsigned char *a = static_malloc(64), *b = static_malloc(64), *c = static_malloc(64);
	dm_u32 *footer;

	(void)state;
	static_free(b);
	static_trim();
	footer = (dm_u32 *)(c - DM_HDR - 4); /* b's footer, just before c's header */
	*footer += DM_ALIGN;
	assert_int_equal(static_check(), DM_CHECK_FOOTER);
	*footer -= DM_ALIGN;
	((dm_u32 *)b)[0] ^= 0x40; /* b's next link */
	assert_int_equal(static_check(), DM_CHECK_LIST);
	((dm_u32 *)b)[0] ^= 0x40;
	static_free(a);
	static_free(c);
}

static void test_reset_forgets_every_block(void **state)
{
	(void)state;
	for (int i = 0; i < 10; i++)
		assert_non_null(static_malloc(500));
	static_reset();
	assert_int_equal(stats().used_blocks, 0);
	assert_int_equal(stats().allocations, 0);
	assert_int_equal(stats().largest_free, DM_CAPACITY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_malloc_is_aligned_and_usable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malloc_zero_returns_unique_freeable_pointer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malloc_too_large_fails_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_capacity_then_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_null_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalescing_restores_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_free_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interior_outside_misaligned_pointers_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calloc_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calloc_overflow_returns_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realloc_null_is_malloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realloc_zero_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realloc_growth_keeps_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realloc_grows_and_shrinks_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_realloc_leaves_block_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realloc_of_invalid_pointer_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usable_size_of_invalid_is_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_track_peak_and_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_largest_free_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_by_one_byte_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_reports_damaged_footer_and_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_forgets_every_block, setup, teardown),
	};

	return cmocka_run_group_tests_name(DM_POLICY == DM_POLICY_SEGREGATED ? "unit (segregated)" : "unit (first-fit)",
					   tests, NULL, NULL);
}
