/* SPDX-License-Identifier: MIT */
/*
 * dynamic_memory.h: malloc/free for eBPF programs and for userspace, over one static pool.
 *
 *   void  *static_malloc(size_t size);
 *   void   static_free(void *ptr);
 *   void  *static_calloc(size_t nmemb, size_t size);
 *   void  *static_realloc(void *ptr, size_t size);
 *   size_t static_usable_size(const void *ptr);
 *   int    static_check(void);
 *   void   static_stats(struct dm_stats *out);
 *   void   static_reset(void);
 *
 * (With DM_HEAP_ARENA the pointers are `void __arena *`.)
 *
 * The same allocator code runs in two environments:
 *   - BPF (clang -target bpf -mcpu=v3): the pool is the value of a BPF map named `dm_heap` (ARRAY, or PERCPU_ARRAY with
 *     DM_HEAP_PERCPU), or lives in a BPF arena `dm_arena` (DM_HEAP_ARENA); the entry points are weak global
 *     subprograms, so the verifier checks each of them once per program whatever the pool size and however many
 *     call sites there are.
 *   - native (-Dnative_executable): the pool is a weak global, shared by every translation unit of the program.
 * Only the environment layer (dynamic_memory/env*.h) differs between them; everything else is one implementation.
 *
 * Layers (this file includes them in this order; each is a file under dynamic_memory/):
 *   env.h                      types, DM_INLINE/DM_ENTRY, the headers each environment needs
 *   layout.h                   the control block, the caches, the pool: what every layer and every reader sees
 *   env_bpf_arena.h, env_bpf_map.h, env_bpf.h, env_native.h
 *                              where the heap lives and how it is reached, per heap kind (one file each)
 *   blocks.h                   block headers, check words, the parked tag
 *   free_lists.h, policy_segregated.h, policy_first_fit.h
 *                              the free lists both policies share, and each policy's classes (a new policy: a file)
 *   heap.h                     the back end: format, lock, allocate, free, coalesce, deferred frees
 *   cache.h                    the front-end caches' slow side: park, refill, flush, sums
 *   check.h                    static_check
 *   entry.h                    the entry points (BPF: global subprograms) of the slow path
 *   front.h                    the fast path, inline at the call site
 * This file holds the API, its contracts and the configuration.
 *
 * Design (in the manner of TLSF and o1heap):
 *   - Every block starts with an 8-byte header: word 0 = block size | FREE | PREV_FREE, word 1 = a check word that
 *     binds the header to its offset (high half) and to word 0 (low half). A free block also holds its free-list
 *     links (32-bit pool offsets) and a footer with its size, the boundary tag used to coalesce backwards in O(1).
 *   - DM_POLICY_SEGREGATED: two-level segregated lists with bitmaps; a request first scans at most DM_FIT_SCAN blocks
 *     of its own size class (good fit), then takes the head of the first non-empty larger class (O(1) by bitmaps).
 *   - DM_POLICY_FIRST_FIT: one address-ordered free list scanned first-fit, every walk bounded by DM_FIRST_FIT_SCAN.
 *   - No loop depends on heap contents except walks bounded by a compile-time constant, and every pool access is an
 *     offset masked into the power-of-two pool, so that the BPF verifier proves it in bounds without exploring paths.
 *   - Misuse is detected, counted and refused: static_free of anything that is not the start of a live block changes
 *     nothing but the invalid_frees counter; a header damaged by an overflow is found at the next operation that
 *     touches it (or by static_check) and counted in corruptions.
 */
#ifndef DYNAMIC_MEMORY_H
#define DYNAMIC_MEMORY_H

/* ================================================ Configuration ================================================ */

/* Where the heap lives in BPF (natively it is always a global):
 *   default         the value of an ARRAY map `dm_heap`, shared by every CPU, guarded by an atomic lock
 *   DM_HEAP_PERCPU  the value of a PERCPU_ARRAY map `dm_heap`: one heap per CPU, no lock between CPUs
 *   DM_HEAP_ARENA   a BPF arena `dm_arena` (kernel >= 6.9, clang >= 19, libbpf >= 1.4): pointers stored in the heap
 *                   are plain pointers for every program and for userspace; the pool is allocated by the syscall
 *                   program dm_arena_init, which a loader runs once. */
#if defined(DM_HEAP_PERCPU) && defined(DM_HEAP_ARENA)
#error "dynamic_memory.h: choose one of DM_HEAP_PERCPU and DM_HEAP_ARENA"
#endif

/* Pool bytes, control block included: a power of two from 4096 to 256 MiB (ARRAY heaps: the verifier proves
 * offsets below 512 MiB only) or 2 GiB (arena heap and native: 32-bit offsets). */
#ifndef DM_POOL_SIZE
#define DM_POOL_SIZE 65536
#endif
#if defined(DM_HEAP_ARENA) || !defined(__bpf__)
#define DM_POOL_SIZE_MAX 2147483648
#else
#define DM_POOL_SIZE_MAX 268435456
#endif
#if (DM_POOL_SIZE) < 4096 || (DM_POOL_SIZE) > DM_POOL_SIZE_MAX || ((DM_POOL_SIZE) & ((DM_POOL_SIZE) - 1)) != 0
#error "DM_POOL_SIZE must be a power of two from 4096 to 268435456 (256 MiB), or to 2147483648 natively or with DM_HEAP_ARENA"
#endif

#define DM_POLICY_SEGREGATED 1 /* O(1) two-level segregated fit (default) */
#define DM_POLICY_FIRST_FIT 2  /* address-ordered first fit, walks bounded by DM_FIRST_FIT_SCAN */
#ifndef DM_POLICY
#define DM_POLICY DM_POLICY_SEGREGATED
#endif
#if DM_POLICY != DM_POLICY_SEGREGATED && DM_POLICY != DM_POLICY_FIRST_FIT
#error "DM_POLICY must be DM_POLICY_SEGREGATED or DM_POLICY_FIRST_FIT"
#endif

/* Alignment of every returned pointer: 8 (default) or 16. */
#ifndef DM_ALIGN
#define DM_ALIGN 8
#endif
#if DM_ALIGN != 8 && DM_ALIGN != 16
#error "DM_ALIGN must be 8 or 16"
#endif

/* Bytes after the pool that belong to the map value, so that the BPF verifier accepts any access at a constant
 * offset (or an index proven smaller) below DM_GUARD from a pointer returned by the allocator. Also the chunk
 * bound of in-kernel copies. A multiple of 64, from 64 to 4096. */
#ifndef DM_GUARD
#define DM_GUARD 256
#endif
#if (DM_GUARD) < 64 || (DM_GUARD) > 4096 || ((DM_GUARD) % 64) != 0
#error "DM_GUARD must be a multiple of 64 from 64 to 4096"
#endif

/* Segregated policy: log2 of the number of second-level classes per power of two (rounding waste <= 1/2^n). */
#ifndef DM_SL_LOG2
#define DM_SL_LOG2 ((DM_POOL_SIZE) <= 16384 ? 3 : 4)
#endif
/* Segregated policy: blocks of the request's own class examined before rounding up to a larger class. */
#ifndef DM_FIT_SCAN
#define DM_FIT_SCAN 8
#endif
/* First-fit policy: free blocks examined by one allocation, and by one address-ordered insertion. */
#ifndef DM_FIRST_FIT_SCAN
#define DM_FIRST_FIT_SCAN 64
#endif

/* Attempts to take the heap lock held by another CPU or thread before an operation gives up (a malloc returns NULL,
 * a free is deferred: both count in lock_failures). BPF programs must not spin without bound; a program that finds
 * the lock held by its own CPU has interrupted the holder and gives up at once, and the per-CPU heap, whose only
 * possible holder is such a program, makes exactly one attempt. In BPF 65536 attempts take ~130 us here: longer
 * than the heap's operations under the lock (the longest, a whole cache flush, is ~2,100 loop steps), but a
 * static_check walk, and than an interrupt taken by the holder. 4096 (~8 us) gave up on 0.2-1.7% of the operations
 * of the 2-CPU stress test (tests/kernel/progs/stress.bpf.c), 65536 on none in 1,000,000. */
#ifndef DM_LOCK_ATTEMPTS
#if defined(DM_HEAP_PERCPU)
#define DM_LOCK_ATTEMPTS 1
#elif defined(__bpf__)
#define DM_LOCK_ATTEMPTS 65536
#else
#define DM_LOCK_ATTEMPTS 0xffffffffu
#endif
#endif

/* Front end: small blocks freed by a program are parked in a cache of this CPU (BPF: a PERCPU_ARRAY map `dm_cache`
 * beside the heap) or of this thread (natively), one list per block size, and the next request of that size takes
 * them back without the heap lock or a subprogram call (the fast path, inline at the call site).
 *   DM_CACHE_LIMIT  largest request served by the caches, in bytes: 0 (no caches) to 1024. Default 512: the
 *                   random workload of bench/ (8..512 B) is then all served by them (at 256, half its requests
 *                   took the heap's lock: 46 ns per operation in the kernel instead of 34)
 *   DM_CACHE_COUNT  blocks parked per size, per cache: 1 to 255, default 32 (at 16, two threads of the native
 *                   random workload took the lock for 8% of their operations: 1.4x the time per operation)
 *   DM_CACHE_BYTES  block bytes parked per cache, all sizes together: a multiple of 8 from 0 to DM_POOL_SIZE / 8.
 *                   Default DM_POOL_SIZE / 32 (2 KiB of 64 KiB). A free that finds its size's list full gives half
 *                   of it back to the heap (after its own block, under a second lock), so that the next frees park
 *                   again; one that finds the bytes full goes to the heap itself: a budget below what a workload
 *                   keeps parked sends many frees to the lock (two threads of the native random workload on a 1 MiB
 *                   pool: 4x the time per operation of a 16 MiB pool).
 *   DM_CACHE_REFILL blocks an empty list takes from the heap at once: 1 to DM_CACHE_COUNT, default 4. They are
 *                   cut from one block, so that what a CPU's fast path writes lies apart from other CPUs' blocks:
 *                   taken one at a time, two CPUs' blocks lie side by side and share cache lines (a pair on each
 *                   of 2 CPUs then ran at 0.8x the throughput of one CPU alone, 1.9x once apart).
 *   DM_CACHE_HIGH_WATER  bytes allocated (parked blocks included) above which frees go to the heap itself instead
 *                   of a cache: 0 to DM_POOL_SIZE, default DM_POOL_SIZE / 4. A fuller heap needs its freed blocks to
 *                   merge with their neighbours: parking them there costs utilisation at the first failure
 *                   (bench/fragmentation.c, W1 / W2: 0.869 / 0.840 parking up to full, 0.888 / 0.851 up to half,
 *                   0.890 / 0.861 up to a quarter; 0.891 / 0.860 without caches). Above it a pair takes the heap's
 *                   own path (measured: as fast here, calls are cheap); allocations still take parked blocks.
 * Parked blocks are not lost to other requests: before an allocation fails, the cache of the failing CPU or thread
 * is given back to the heap and the allocation retried (caches of other CPUs and threads are not touched: each
 * holds at most DM_CACHE_BYTES). */
#ifndef DM_CACHE_LIMIT
#define DM_CACHE_LIMIT 512
#endif
#ifndef DM_CACHE_COUNT
#define DM_CACHE_COUNT 32
#endif
#ifndef DM_CACHE_BYTES
#define DM_CACHE_BYTES ((DM_POOL_SIZE) / 32)
#endif
#ifndef DM_CACHE_REFILL
#define DM_CACHE_REFILL 4
#endif
#ifndef DM_CACHE_HIGH_WATER
#define DM_CACHE_HIGH_WATER ((DM_POOL_SIZE) / 4)
#endif
#if (DM_CACHE_LIMIT) < 0 || (DM_CACHE_LIMIT) > 1024
#error "DM_CACHE_LIMIT must be from 0 (no caches) to 1024 bytes"
#endif
#if (DM_CACHE_COUNT) < 1 || (DM_CACHE_COUNT) > 255
#error "DM_CACHE_COUNT must be from 1 to 255"
#endif
#if (DM_CACHE_BYTES) < 0 || (DM_CACHE_BYTES) > (DM_POOL_SIZE) / 8 || ((DM_CACHE_BYTES) % 8) != 0
#error "DM_CACHE_BYTES must be a multiple of 8 from 0 to DM_POOL_SIZE / 8"
#endif
#if (DM_CACHE_REFILL) < 1 || (DM_CACHE_REFILL) > (DM_CACHE_COUNT)
#error "DM_CACHE_REFILL must be from 1 to DM_CACHE_COUNT"
#endif
#if (DM_CACHE_HIGH_WATER) < 0 || (DM_CACHE_HIGH_WATER) > (DM_POOL_SIZE)
#error "DM_CACHE_HIGH_WATER must be from 0 (caches never park) to DM_POOL_SIZE (always)"
#endif

/* BPF: 1 compiles the front end's fast path into every static_malloc/static_free call site: no subprogram call when
 * a cache serves; the heap itself is one global subprogram call away. 0: the fast path is one global subprogram per
 * operation, checked once (a malloc's slow path one call further, a free's inline in it), and a call (~2 ns of a
 * pair here) per operation.
 * Verified instructions of a program with one malloc and one free (host 6.18 / Debian 6.12 / Debian 6.1):
 *   map heaps:  1 (their default): 9,690 / 8,630 / 8,600;  0: 8,880 / 12,140 / 8,840
 *   arena heap: 0 (its default): 8,070 (6.12)
 * Each further malloc + free pair of call sites costs ~1,550 with 1, ~30 with 0: take 0 for a program with dozens
 * of call sites (dm port's programs, on the arena heap). Natively the fast path is always inline. */
#ifndef DM_INLINE_FAST_PATH
#if defined(DM_HEAP_ARENA)
#define DM_INLINE_FAST_PATH 0
#else
#define DM_INLINE_FAST_PATH 1
#endif
#endif

/* BPF: 1 when no program that uses the heap can be preempted by another task while it runs: every one of them is
 * an XDP, tc, socket filter, kprobe, tracepoint or perf_event program, and the kernel is not PREEMPT_RT (fentry/fexit,
 * LSM, syscall, iterator, uprobe and sleepable programs run preemptible). A CPU's cache is then taken with a plain
 * load and store instead of an atomic exchange, ~7-9 ns of a pair's ~18-20 here: a program that interrupts another
 * on its CPU runs to its end before the interrupted one goes on, so it finds the flag set (and takes the slow path)
 * or clear (and leaves it clear). Wrong with 1: two programs on one CPU could use one cache at once and hand a
 * block out twice (the parked tags catch most of that, counted in corruptions; memory safety holds, every access
 * being masked into the pool). 0 (the default): right for every program type. Natively there is no flag: a cache
 * per thread. */
#ifndef DM_NOT_PREEMPTIBLE
#define DM_NOT_PREEMPTIBLE 0
#endif

/* Seed of the header check words; change it to make headers of two builds incompatible. */
#ifndef DM_CHECK_SEED
#define DM_CHECK_SEED 0x5eed1e55u
#endif

#include "dynamic_memory/env.h"

/* Statistics, readable at any time (static_stats) and from userspace (user/heap_reader.h). Declared once, here:
 * X(member, unit, type, column, meaning). Every printer (dm stat's table, JSON and Prometheus metrics, the loaders'
 * and dm preload's tables) is generated from this list, so a new counter is a line here and its value in
 * dm_stats_into (and in heap_reader_walk, which computes the same numbers from a snapshot). unit and type make the
 * Prometheus metric (dm_MEMBER_UNIT, a gauge or a counter), column heads the table's column. */
#define DM_STATS_FIELDS(X)                                                                                           \
	X(capacity, "bytes", "gauge", "capacity", "largest allocation an empty heap can satisfy (pool less metadata)") \
	X(allocated, "bytes", "gauge", "allocated", "sum of usable sizes of live blocks")                             \
	X(peak_allocated, "bytes", "gauge", "peak", "highest allocated has been, blocks parked in caches included")   \
	X(free, "bytes", "gauge", "free", "sum of usable sizes of free blocks")                                      \
	X(largest_free, "bytes", "gauge", "largest", "largest request that would succeed now; 0: none would")         \
	X(used_blocks, "", "gauge", "used", "live blocks")                                                            \
	X(free_blocks, "", "gauge", "freeblk", "free blocks")                                                         \
	X(allocations, "total", "counter", "allocs", "successful malloc/calloc/realloc allocations")                  \
	X(frees, "total", "counter", "frees", "successful frees (realloc's included)")                               \
	X(failed_allocations, "total", "counter", "failed", "requests that returned NULL")                           \
	X(invalid_frees, "total", "counter", "invalid", "free/realloc of a pointer that is not a live block: refused") \
	X(corruptions, "total", "counter", "corrupt", "damaged headers found (a write past a block's end): refused")  \
	X(lock_failures, "total", "counter", "lockfail", "lock given up (shared), nested program refused (per-CPU)")  \
	X(cached_blocks, "", "gauge", "cached", "blocks parked in the front-end caches, free to their next request")  \
	X(cached_bytes, "bytes", "gauge", "cachedB", "bytes of the parked blocks, headers included")

struct dm_stats {
#define DM_STATS_MEMBER(member, unit, type, column, meaning) dm_u64 member;
	DM_STATS_FIELDS(DM_STATS_MEMBER)
#undef DM_STATS_MEMBER
};

/* The layers, each a file of its own (see README, "Layout"): the layout of the heap, the environment of the heap
 * kind being built, block headers, the free lists and the policy, the back end, the caches, static_check, the
 * entry points, the fast path. */
#include "dynamic_memory/layout.h"
#if defined(__bpf__) && defined(DM_HEAP_ARENA)
#include "dynamic_memory/env_bpf_arena.h"
#elif defined(__bpf__)
#include "dynamic_memory/env_bpf_map.h"
#endif
#if defined(__bpf__)
#include "dynamic_memory/env_bpf.h"
#else
#include "dynamic_memory/env_native.h"
#endif
#include "dynamic_memory/blocks.h"
#include "dynamic_memory/free_lists.h"
#include "dynamic_memory/heap.h"
#include "dynamic_memory/cache.h"
#include "dynamic_memory/check.h"
#include "dynamic_memory/entry.h"
#include "dynamic_memory/front.h"

/* ==================================================== API ==================================================== */

/*
 * static_malloc: allocates `size` bytes aligned to DM_ALIGN.
 * Returns NULL when no free block is large enough (failed_allocations is counted), when `size` exceeds the
 * capacity, or (BPF) when the lock could not be taken (lock_failures). static_malloc(0) returns a unique pointer
 * (the smallest block), which static_free accepts. Time: constant (at most DM_FIT_SCAN list steps, segregated;
 * DM_FIRST_FIT_SCAN, first fit). In BPF the result must be compared with NULL before use; the verifier then accepts
 * accesses below DM_GUARD bytes from it.
 */
DM_INLINE void DM_AS *static_malloc(size_t size)
{
	struct dm_heap *heap = dm_env_heap();

	/* Not `return NULL`: in a program that uses the result unchecked, clang would drop that path (and the heap's
	 * NULL check with it), and the verifier would reject the heap's code instead of the program's use. */
	return dm_env_payload(heap, heap ? dm_front_malloc_on(heap, size) : 0);
}

/*
 * static_free: frees a block returned by static_malloc/calloc/realloc; static_free(NULL) does nothing.
 * A pointer that is not the start of a live block (double free, interior pointer, outside the pool, misaligned)
 * is refused: invalid_frees is counted and nothing else changes. A block whose header or neighbours' headers were
 * damaged (e.g. by writing past its end) is left as it is and corruptions is counted; a block of a size the caches
 * take is parked with its own header checked, not the next one (reading the next header costs a pair ~2.5 ns in
 * BPF, and natively a cache line that another thread writes): the damage is then found when the cache gives the
 * block back to the heap, at the next free of the neighbour, or by static_check. Time: constant.
 * In BPF, `ptr` must be a pointer the verifier knows (use DM_PTR() on one loaded from memory).
 */
DM_INLINE void static_free(void DM_AS *ptr)
{
	struct dm_heap *heap = dm_env_heap();

	if (ptr && heap)
		dm_front_free_on(heap, dm_env_off(heap, ptr));
}

/*
 * static_calloc: allocates nmemb * size bytes, zeroed. Returns NULL (counted as a failed allocation) when the
 * product overflows or no block is large enough. Time: constant plus the zeroing, linear in the size.
 */
DM_INLINE void DM_AS *static_calloc(size_t nmemb, size_t size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u64 off, bytes;

	if (!heap)
		return NULL;
	/* Factors below 2^32 cannot overflow 64 bits; any product above the capacity saturates to a size that fails. */
	bytes = (nmemb >> 32 || (dm_u64)size >> 32) ? DM_CAPACITY + 1 : (dm_u64)nmemb * size;
	if (bytes > DM_CAPACITY)
		bytes = DM_CAPACITY + 1;
	off = dm_after_trim(bytes, dm_malloc_off(bytes), NULL);
	if (!off)
		return NULL;
	dm_copy_off(off, 0, ((dm_u32)bytes + 7) & ~7u);
	return dm_env_payload(heap, off);
}

/*
 * static_realloc: changes the size of the block at `ptr` to `size` bytes, keeping its contents up to the smaller of
 * the two sizes. static_realloc(NULL, size) is static_malloc(size); static_realloc(ptr, 0) frees ptr and returns
 * NULL. Shrinking, and growing into a free block that follows, happen in place; otherwise the block moves
 * (allocate, copy, free). On failure returns NULL and leaves the old block as it was. A pointer that is not a live
 * block is refused as by static_free and NULL is returned. Time: constant plus the copy when the block moves.
 */
DM_INLINE void DM_AS *static_realloc(void DM_AS *ptr, size_t size)
{
	struct dm_heap *heap;
	dm_u64 off, result, moved;
	dm_u32 keep;

	if (!ptr)
		return static_malloc(size);
	if (!size) {
		static_free(ptr);
		return NULL;
	}
	heap = dm_env_heap();
	if (!heap)
		return NULL;
	off = dm_env_off(heap, ptr);
	result = dm_resize_off(off, size);
	if (!(result & DM_MOVE))
		return dm_env_payload(heap, result);
	moved = dm_after_trim(size, dm_malloc_off(size), NULL);
	if (!moved)
		return NULL;
	keep = (dm_u32)result;
	if (keep > size)
		keep = ((dm_u32)size + 7) & ~7u;
	dm_copy_off(moved, off, keep);
	dm_free_off(off);
	return dm_env_payload(heap, moved);
}

/*
 * static_usable_size: bytes usable at `ptr` (>= the size requested), or 0 when ptr is NULL or not a live block.
 * Nothing is counted. Time: constant.
 */
DM_INLINE size_t static_usable_size(const void DM_AS *ptr)
{
	struct dm_heap *heap = dm_env_heap();

	return ptr && heap ? (size_t)dm_usable_off(dm_env_off(heap, ptr)) : 0;
}

/*
 * static_check: walks every block and every free list and returns 0 when all heap invariants hold, else the
 * negative enum dm_check_result of the first broken one (DM_CHECK_LOCK when the lock could not be taken).
 * Time: linear in the number of blocks. Takes the lock for the whole walk.
 */
DM_INLINE int static_check(void) { return dm_check_heap(); }

/*
 * static_stats: fills *out with a consistent snapshot (taken under the lock; in BPF, if the lock cannot be taken,
 * the counters are read without it and lock_failures tells). Time: constant.
 */
DM_INLINE void static_stats(struct dm_stats *out) { dm_stats_into(out); }

/*
 * static_trim: gives the blocks parked in the calling CPU's (BPF) or thread's (native) cache back to the heap, so that
 * they merge with their free neighbours (as malloc_trim gives memory back). An allocation that would fail does this
 * by itself; tests call it to see the heap's own layout. Time: linear in the parked blocks (at most DM_CACHE_COUNT
 * per size).
 */
DM_INLINE void static_trim(void) { dm_trim_heap(); }

/*
 * static_reset: frees every block at once and zeroes the counters (lock_failures excepted). For tests and for
 * reusing a heap between runs; pointers into the heap become invalid. Time: constant (pool size independent
 * except for the class table).
 */
DM_INLINE void static_reset(void) { dm_reset_heap(); }

#endif /* DYNAMIC_MEMORY_H */
