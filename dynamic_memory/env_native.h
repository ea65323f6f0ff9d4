/* SPDX-License-Identifier: MIT */
/* dynamic_memory/env_native.h: native builds (-Dnative_executable): the heap as a global, per-thread caches,
 * C11 atomics, plain loops.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_ENV_NATIVE_H
#define DYNAMIC_MEMORY_ENV_NATIVE_H

#if defined(DM_NATIVE_HEAP)
/* The program places the heap: DM_NATIVE_HEAP is an expression giving its address (zeroed memory of
 * sizeof(struct dm_heap)), or NULL while there is none, when every operation refuses. libdynamic_memory.so maps it
 * with mmap, so that pages the pool never reaches cost nothing. */
DM_INLINE struct dm_heap *dm_env_heap(void) { return DM_NATIVE_HEAP; }
#else
/* Weak: every translation unit that includes this header shares one heap. */
__attribute__((weak, aligned(64))) struct dm_heap dm_heap_storage;

DM_INLINE struct dm_heap *dm_env_heap(void) { return &dm_heap_storage; }
#endif
DM_INLINE int dm_env_ready(struct dm_heap *heap) { return heap != NULL; }
DM_INLINE void dm_env_refuse(void) {}
DM_INLINE dm_u64 dm_env_refused(void) { return 0; }
DM_INLINE dm_u32 dm_env_cas(dm_u32 *word, dm_u32 old, dm_u32 new_value)
{
	return __sync_val_compare_and_swap(word, old, new_value);
}
DM_INLINE void dm_env_unlock(dm_u32 *word) { __atomic_store_n(word, 0, __ATOMIC_RELEASE); }
/* Threads wait for each other: every holder writes 1, and none is taken for interrupted. */
DM_INLINE dm_u32 dm_env_lock_id(void) { return 1; }
DM_INLINE int dm_env_holder_interrupted(dm_u32 holder) { return (void)holder, 0; }

/* One cache per thread, only ever used by its thread: no flag. The heap keeps a registry of them (for statistics and
 * so that a thread's parked blocks go back to the heap when it exits). */
__attribute__((weak)) __thread struct dm_cache dm_thread_cache;
__attribute__((weak)) pthread_key_t dm_cache_key;
__attribute__((weak)) int dm_cache_key_made;
#define DM_MAX_CACHES 0xffffffffu
DM_INLINE struct dm_cache *dm_env_cache(void) { return &dm_thread_cache; }
DM_INLINE int dm_env_cache_enter(struct dm_cache *cache) { return cache != NULL; }
DM_INLINE void dm_env_cache_leave(struct dm_cache *cache) { (void)cache; }
DM_INLINE struct dm_cache *dm_env_cache_of(struct dm_heap *heap, dm_u32 index)
{
	struct dm_cache *cache = (struct dm_cache *)(uintptr_t)heap->ctl.registry;

	while (cache && index--)
		cache = (struct dm_cache *)(uintptr_t)cache->next;
	return cache;
}
static void dm_cache_retire(void *cache);
/* Registers the calling thread's cache; the caller holds the lock. The key's destructor gives the cache back when
 * the thread exits. */
DM_INLINE void dm_env_cache_adopt(struct dm_heap *heap, struct dm_cache *cache)
{
	if (cache->registered)
		return;
	if (!dm_cache_key_made)
		dm_cache_key_made = pthread_key_create(&dm_cache_key, dm_cache_retire) == 0;
	if (dm_cache_key_made)
		pthread_setspecific(dm_cache_key, cache);
	cache->next = heap->ctl.registry;
	heap->ctl.registry = (dm_u64)(uintptr_t)cache;
	cache->registered = 1;
}
DM_INLINE void dm_env_add(dm_u64 *word, dm_u64 value) { __atomic_fetch_add(word, value, __ATOMIC_RELAXED); }
/* glibc clears this flag for good when the process creates its first thread. */
DM_INLINE int dm_env_single_threaded(void) { return __libc_single_threaded; }
/* A holder keeps the lock for tens of nanoseconds: a waiter spins that long first (a system call costs more than the
 * wait), and yields its CPU only to a holder that was preempted. */
#define DM_SPINS 256
DM_INLINE void dm_env_relax(dm_u64 attempt)
{
	if (attempt >= DM_SPINS)
		sched_yield();
#if defined(__x86_64__) || defined(__i386__)
	else
		__builtin_ia32_pause();
#elif defined(__aarch64__)
	else
		asm volatile("yield");
#endif
}
DM_INLINE dm_u32 dm_env_bounded(dm_u32 x, dm_u32 n) { return x < n ? x : 0; }
#define dm_may_goto() 1

#define DM_LOOP_MAX (1u << 23) /* as in BPF, where it is bpf_loop's limit */
DM_INLINE void dm_env_repeat(dm_u64 steps, const dm_u64 most, dm_step_fn step, void *ctx)
{
	if (steps > most)
		steps = most;
	for (dm_u64 i = 0; i < steps; i++)
		if (step(i, ctx))
			return;
}
/* Offsets and lengths are masked like every pool access; real ones never exceed the pool. */
DM_INLINE void dm_env_copy(struct dm_heap *heap, dm_u32 dst, dm_u32 src, dm_u32 len)
{
	memcpy((dm_u8 *)heap + (dst & DM_MASK), (dm_u8 *)heap + (src & DM_MASK), len & DM_MASK);
}
DM_INLINE void dm_env_zero(struct dm_heap *heap, dm_u32 off, dm_u32 len)
{
	memset((dm_u8 *)heap + (off & DM_MASK), 0, len & DM_MASK);
}
DM_INLINE void *dm_env_ptr(struct dm_heap *heap, dm_u64 off) { return (dm_u8 *)heap + (off & DM_MASK); }
DM_INLINE void *dm_env_payload(struct dm_heap *heap, dm_u64 off) { return off ? dm_env_ptr(heap, off) : NULL; }
DM_INLINE dm_u64 dm_env_off(struct dm_heap *heap, const void *ptr)
{
	return (dm_u64)((const dm_u8 *)ptr - (const dm_u8 *)heap);
}
#define DM_PTR(p) (p)
#define DM_INDEX(p, i) (&(p)[i])

#endif /* DYNAMIC_MEMORY_ENV_NATIVE_H */
