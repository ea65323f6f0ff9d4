/* SPDX-License-Identifier: MIT */
/* dynamic_memory/env_bpf.h: BPF, every heap kind: the per-CPU caches map, atomics, bounded loops (bpf_loop),
 * copies inside the pool.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_ENV_BPF_H
#define DYNAMIC_MEMORY_ENV_BPF_H

/* The front-end caches, one per CPU, beside the heap whatever its kind. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dm_cache);
#if defined(DM_PIN)
	__uint(pinning, LIBBPF_PIN_BY_NAME);
#endif
} dm_cache SEC(".maps") __attribute__((weak));

DM_INLINE struct dm_cache *dm_env_cache(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&dm_cache, &zero);
}
/* The cache of CPU `index`, NULL past the last CPU (for statistics: other CPUs' caches are only read). */
#define DM_MAX_CACHES 8192u
DM_INLINE struct dm_cache *dm_env_cache_of(struct dm_heap *heap, dm_u32 index)
{
	__u32 zero = 0;

	(void)heap;
	return bpf_map_lookup_percpu_elem(&dm_cache, &zero, index);
}
/* A program that interrupted one using this CPU's cache (or preempted it: BPF programs can be preempted by another
 * task's on the same CPU) must not touch it: the flag is taken with one atomic exchange (or, with
 * DM_NOT_PREEMPTIBLE, a load and a store: see there), and given back with a plain store, since only this CPU ever
 * takes it. */
DM_INLINE int dm_env_cache_enter(struct dm_cache *cache)
{
	if (!DM_NOT_PREEMPTIBLE)
		return __sync_lock_test_and_set(&cache->busy, 1) == 0;
	if (*(volatile dm_u32 *)&cache->busy)
		return 0;
	*(volatile dm_u32 *)&cache->busy = 1;
	asm volatile("" ::: "memory");
	return 1;
}
DM_INLINE void dm_env_cache_leave(struct dm_cache *cache)
{
	asm volatile("" ::: "memory");
	cache->busy = 0;
}
/* Per-CPU caches exist for good: nothing to register. */
DM_INLINE void dm_env_cache_adopt(struct dm_heap *heap, struct dm_cache *cache) { (void)heap, (void)cache; }

DM_INLINE dm_u32 dm_env_cas(dm_u32 *word, dm_u32 old, dm_u32 new_value)
{
	return __sync_val_compare_and_swap(word, old, new_value);
}
/* xchg: clang 19's BPF backend cannot compile __sync_lock_release. */
DM_INLINE void dm_env_unlock(dm_u32 *word) { __sync_lock_test_and_set(word, 0); }
DM_INLINE void dm_env_add(dm_u64 *word, dm_u64 value) { __sync_fetch_and_add(word, value); }
DM_INLINE int dm_env_single_threaded(void) { return 0; }
DM_INLINE void dm_env_relax(dm_u64 attempt) { (void)attempt; }
#if defined(DM_HEAP_PERCPU)
/* A per-CPU heap's lock can only be found taken by a program that interrupted its holder: no id to tell, and no
 * helper call (whose clobbered registers cost stack: Linux 6.1 allows 512 bytes for a whole chain of frames). */
DM_INLINE dm_u32 dm_env_lock_id(void) { return 1; }
DM_INLINE int dm_env_holder_interrupted(dm_u32 holder) { return (void)holder, 1; }
#else
/* What a lock holder writes into the heap's lock: its CPU + 1 (a program does not migrate while it runs). A program
 * that finds its own CPU's id there has interrupted the holder, which cannot go on before that program ends. */
DM_INLINE dm_u32 dm_env_lock_id(void) { return bpf_get_smp_processor_id() + 1; }
DM_INLINE int dm_env_holder_interrupted(dm_u32 holder) { return holder == dm_env_lock_id(); }
#endif
/* The allocator's own walks are bounded by constants (DM_FIT_SCAN, DM_FIRST_FIT_SCAN) inside entry points verified
 * once: the verifier follows them step by step. They never use may_goto: a 6.1 verifier refuses the opcode wherever it
 * stands in a program, even in a branch it would never enter (measured on Debian's 6.1). */
/* `can_loop` for programs (as in the kernel's bpf_experimental.h): may_goto, kernel 6.9 and later. */
#define dm_may_goto()                                                                                              \
	({                                                                                                         \
		__label__ dm_stop, dm_go_on;                                                                       \
		int dm_more = 1;                                                                                   \
		asm volatile goto("may_goto %l[dm_stop]" :::: dm_stop);                                          \
		goto dm_go_on;                                                                                     \
	dm_stop:                                                                                                   \
		dm_more = 0;                                                                                       \
	dm_go_on:                                                                                                  \
		dm_more;                                                                                           \
	})
/* x if x < n, else 0. The barriers make clang compare x itself (not the value x was derived from) and index with
 * the register it compared: the verifier does not carry a bound from one register to a shifted copy. */
DM_INLINE dm_u32 dm_env_bounded(dm_u32 x, dm_u32 n)
{
	asm volatile("" : "+r"(x));
	if (x >= n)
		x = 0;
	asm volatile("" : "+r"(x));
	return x;
}

/* bpf_loop runs at most 1 << 23 steps a call; the outer loop's bound derives from the caller's constant `most`. */
#define DM_LOOP_MAX (1u << 23)
DM_INLINE void dm_env_repeat(dm_u64 steps, const dm_u64 most, dm_step_fn step, void *ctx)
{
	if (steps > most)
		steps = most;
	for (dm_u32 round = 0; round < most / DM_LOOP_MAX + 1; round++) {
		dm_u64 n = steps > DM_LOOP_MAX ? DM_LOOP_MAX : steps;

		if (!n || bpf_loop(n, step, ctx, 0) < (long)n)
			return;
		steps -= n;
	}
}

/* Copy and zero in 64-byte chunks (constant size: the verifier proves each masked chunk) and 8-byte tails. The job
 * never changes during a loop (each step derives its offsets from its index), so the verifier checks one step. */
struct dm_copy_job {
	dm_u32 dst, src, chunk; /* src == 0: zero */
};
static long dm_copy_step(dm_u64 index, void *ctx)
{
	const struct dm_copy_job *job = ctx;
	struct dm_heap *heap = dm_env_heap();
	dm_u32 at = (dm_u32)index * job->chunk;
	dm_u8 *dst, *src;

	if (!heap)
		return 1;
	dst = (dm_u8 *)heap + ((job->dst + at) & DM_MASK);
	src = (dm_u8 *)heap + ((job->src + at) & DM_MASK);
	if (job->chunk == 64) {
		if (job->src)
			__builtin_memcpy(dst, src, 64);
		else
			__builtin_memset(dst, 0, 64);
	} else {
		*(dm_u64 *)dst = job->src ? *(dm_u64 *)src : 0;
	}
	return 0;
}
DM_INLINE void dm_env_move(dm_u32 dst, dm_u32 src, dm_u32 len)
{
	dm_u32 bulk = len & ~63u;
	struct dm_copy_job chunks = { dst, src, 64 }, tail = { dst + bulk, src ? src + bulk : 0, 8 };

	dm_env_repeat(len / 64, DM_POOL_SIZE / 64, dm_copy_step, &chunks);
	dm_env_repeat((len - bulk) / 8, 64 / 8, dm_copy_step, &tail);
}
DM_INLINE void dm_env_copy(struct dm_heap *heap, dm_u32 dst, dm_u32 src, dm_u32 len)
{
	(void)heap;
	dm_env_move(dst, src, len);
}
DM_INLINE void dm_env_zero(struct dm_heap *heap, dm_u32 off, dm_u32 len)
{
	(void)heap;
	dm_env_move(off, 0, len);
}

#endif /* DYNAMIC_MEMORY_ENV_BPF_H */
