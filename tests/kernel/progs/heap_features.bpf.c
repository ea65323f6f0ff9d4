/* SPDX-License-Identifier: GPL-2.0 */
/* The shared heap in-kernel: persistence across runs, DM_PTR walks, calloc, realloc, stats, check, misuse. Built
 * twice: for the ARRAY heap and (-DDM_HEAP_ARENA) for the arena heap; `__arena` means nothing in the first. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "test_progs.h"

struct item {
	__u64 value;
	struct item __arena *next;
};

/* The list head survives between runs in a global: one more item per run. */
struct item __arena *list_head;

struct walk {
	struct item __arena *cur;
	long items;
};

static long count_item(__u64 index, void *ctx)
{
	struct walk *w = ctx;

	if (!w->cur)
		return 1;
	w->items++;
	w->cur = DM_PTR(w->cur->next);
	return 0;
}

/* Grows a list by one item per run and walks it: after 3 runs it holds 3 items. */
SEC("syscall") __success __runs(3) __retval(3)
int list_grows_across_runs(void *ctx)
{
	struct item __arena *it = static_malloc(sizeof(*it));
	struct walk w = { 0 };

	if (!it)
		return -1;
	it->value = 7;
	it->next = list_head;
	list_head = it;
	w.cur = DM_PTR(list_head);
	bpf_loop(1000, count_item, &w, 0);
	return w.items;
}

SEC("syscall") __success __retval(1)
int calloc_zeroes_reused_memory(void *ctx)
{
	__u8 __arena *dirty = static_malloc(200), *z;

	if (!dirty)
		return -1;
	/* volatile: clang 19 turns the loop into a memset, which it does not cast for arena pointers */
	for (int i = 0; i < 200; i++)
		((volatile __u8 __arena *)dirty)[i] = 0xff;
	static_free(dirty);
	z = static_calloc(50, 4);
	if (!z)
		return -2;
	for (int i = 0; i < 200; i++)
		if (z[i])
			return -3;
	static_free(z);
	return static_calloc(1ull << 40, 1ull << 40) == NULL; /* overflow */
}

SEC("syscall") __success __retval(1)
int realloc_moves_and_keeps_contents(void *ctx)
{
	__u64 __arena *p = static_malloc(64), *blocker = static_malloc(64), *q;

	if (!p || !blocker)
		return -1;
	/* Two neighbours (taken one after the other from a fresh region, or two pieces of one refill, handed out from
	 * the top down): the lower one cannot grow in place. */
	if ((unsigned long)blocker < (unsigned long)p) {
		q = p, p = blocker, blocker = q;
	}
	if ((unsigned long)blocker - (unsigned long)p != static_usable_size(p) + DM_HDR)
		return -6;
	for (int i = 0; i < 8; i++)
		p[i] = i * 3;
	q = static_realloc(p, 4000);
	if (!q)
		return -2;
	if (q == p)
		return -3;
	for (int i = 0; i < 8; i++)
		if (q[i] != i * 3)
			return -4;
	q = static_realloc(q, 32); /* shrinks in place */
	if (!q || q[3] != 9)
		return -5;
	static_free(q);
	static_free(blocker);
	return static_usable_size(blocker) == 0 && static_check() == 0;
}

SEC("syscall") __success __retval(1)
int misuse_is_refused_and_counted(void *ctx)
{
	struct dm_stats before, after;
	__u8 __arena *p = static_malloc(64);

	if (!p)
		return -1;
	static_stats(&before);
	static_free(p + 8);
	static_free(p);
	static_free(p);
	static_stats(&after);
	return after.invalid_frees == before.invalid_frees + 2 && after.frees == before.frees + 1 &&
	       static_check() == 0;
}

/* One byte past the usable size damages the next header: the heap refuses the block once the cache gives it back
 * (the cache's free checks the block's own header only), counts, and static_check reports. */
SEC("syscall") __success __retval(1)
int overflow_is_detected(void *ctx)
{
	struct dm_stats s;
	__u8 __arena *a = static_malloc(40), *b = static_malloc(40);
	__u64 usable;

	if (!a || !b)
		return -1;
	usable = static_usable_size(a);
	if (usable < 40 || usable >= DM_GUARD)
		return -2;
	a[usable] ^= 0x5a;
	static_free(a);
	static_trim();
	static_stats(&s);
	if (s.corruptions != 1 || static_check() != DM_CHECK_HEADER)
		return -3;
	static_reset(); /* leave a clean heap to the next test */
	return static_check() == 0;
}

/* An index the verifier cannot bound, far past DM_GUARD: DM_INDEX makes the element accessible. */
__u32 far_index = 7000;

SEC("syscall") __success __retval(1)
int index_beyond_the_guard(void *ctx)
{
	__u8 __arena *big = static_malloc(8000);
	__u32 i = far_index;

	if (!big)
		return -1;
	*DM_INDEX(big, i) = 0x5a;
	*DM_INDEX(big, i + 1) = 0xa5;
	i = far_index; /* read back through another derivation */
	if (*DM_INDEX(big, i) != 0x5a || *DM_INDEX(big, i + 1) != 0xa5)
		return -2;
	static_free(big);
	return static_check() == 0;
}

/* A program that interrupted another in the middle of a cache operation on its CPU (simulated: the flag taken as that
 * operation holds it) leaves the cache alone: its malloc and free go to the heap itself, and the flag stays taken.
 * Built also with DM_NOT_PREEMPTIBLE=1, whose flag is a plain load and store. */
SEC("syscall") __success __retval(1)
int busy_cache_is_left_alone(void *ctx)
{
	struct dm_cache *cache = dm_env_cache();
	__u64 hits, parks;
	void __arena *p;

	if (!cache)
		return -1;
	static_free(static_malloc(64)); /* a block of that size parked, for a malloc that ignored the flag to take */
	if (!dm_env_cache_enter(cache))
		return -2;
	hits = cache->hits, parks = cache->parks;
	p = static_malloc(64);
	if (!p)
		return -3;
	static_free(p);
	if (cache->hits != hits || cache->parks != parks || dm_env_cache_enter(cache))
		return -4;
	dm_env_cache_leave(cache);
	return static_check() == 0;
}

/* A size the caches do not take: its free goes to the heap, and to its lock. */
#define UNCACHED (DM_CACHE_LIMIT + 64)

/* A free made while another CPU holds the heap lock (simulated: that CPU's id in the lock, which stays taken for
 * longer than the wait) is deferred, not lost: the next lock holder completes it. A malloc meanwhile fails; both
 * count in lock_failures. */
SEC("syscall") __success __retval(1)
int free_while_locked_elsewhere_is_deferred(void *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	void __arena *p = static_malloc(UNCACHED), *q;
	struct dm_stats before, after;

	if (!heap || !p)
		return -1;
	static_stats(&before);
	if (dm_env_cas(&heap->ctl.lock, 0, dm_env_lock_id() + 1) != 0)
		return -2;
	static_free(p);
	q = static_malloc(UNCACHED);
	dm_env_unlock(&heap->ctl.lock);
	static_stats(&after); /* under the lock: completes the deferred free */
	return !q && after.frees == before.frees + 1 && after.used_blocks == before.used_blocks - 1 &&
	       after.lock_failures == before.lock_failures + 2 && static_check() == 0;
}

/* ns taken by a malloc while `holder` holds the heap lock, which it must refuse; ~0 when it did not. */
static __u64 locked_malloc_ns(struct dm_heap *heap, __u32 holder)
{
	__u64 start;
	void __arena *p;

	if (dm_env_cas(&heap->ctl.lock, 0, holder) != 0)
		return ~0ull;
	start = bpf_ktime_get_ns();
	p = static_malloc(UNCACHED);
	start = bpf_ktime_get_ns() - start;
	dm_env_unlock(&heap->ctl.lock);
	return p ? ~0ull : start;
}

/* A program that finds the lock held by its own CPU has interrupted the holder (simulated: this CPU's id in the
 * lock), which cannot go on before it ends: it gives up at once, where a holder on another CPU is waited for. The
 * fastest of 3 each: a VM's vCPU can stall in any one. */
SEC("syscall") __success __retval(1)
int interrupted_holder_is_not_waited_for(void *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	__u64 here = ~0ull, elsewhere = ~0ull, ns;

	if (!heap)
		return -1;
	for (int i = 0; i < 3; i++) {
		ns = locked_malloc_ns(heap, dm_env_lock_id());
		here = ns < here ? ns : here;
		ns = locked_malloc_ns(heap, dm_env_lock_id() + 1);
		elsewhere = ns < elsewhere ? ns : elsewhere;
	}
	return here != ~0ull && elsewhere != ~0ull && here * 16 < elsewhere && static_check() == 0;
}

char LICENSE[] SEC("license") = "GPL";
