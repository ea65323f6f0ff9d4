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
 * Only the "environment" section differs between them; everything below it is one implementation.
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

/* Attempts to take the heap lock before an operation gives up (returns NULL/does nothing, counts lock_failures).
 * BPF programs must not spin without bound (a program may have interrupted the holder on its own CPU); the
 * per-CPU heap makes exactly one attempt, since the only possible holder is a program it interrupted. */
#ifndef DM_LOCK_ATTEMPTS
#if defined(DM_HEAP_PERCPU)
#define DM_LOCK_ATTEMPTS 1
#elif defined(__bpf__)
#define DM_LOCK_ATTEMPTS 4096 /* tens of microseconds: outlasts an interrupt taken by the holder on another CPU */
#else
#define DM_LOCK_ATTEMPTS 0xffffffffu
#endif
#endif

/* Front end: small blocks freed by a program are parked in a cache of this CPU (BPF: a PERCPU_ARRAY map `dm_cache`
 * beside the heap) or of this thread (natively), one list per block size, and the next request of that size takes
 * them back without the heap lock or a subprogram call (the fast path, inline at the call site).
 *   DM_CACHE_LIMIT  largest request served by the caches, in bytes: 0 (no caches) to 1024
 *   DM_CACHE_COUNT  blocks parked per size, per cache: 1 to 255
 *   DM_CACHE_BYTES  block bytes parked per cache, all sizes together: a multiple of 8 from 0 to DM_POOL_SIZE / 8.
 *                   Beyond a bound a free goes to the heap itself. Default DM_POOL_SIZE / 32 (2 KiB of 64 KiB).
 *   DM_CACHE_REFILL blocks an empty list takes from the heap at once: 1 to DM_CACHE_COUNT, default 4. They are
 *                   cut from one block, so that what a CPU's fast path writes lies apart from other CPUs' blocks:
 *                   taken one at a time, two CPUs' blocks lie side by side and share cache lines (a pair on each
 *                   of 2 CPUs then ran at 0.8x the throughput of one CPU alone, 1.9x once apart).
 *   DM_CACHE_HIGH_WATER  bytes allocated (parked blocks included) above which frees go to the heap itself instead
 *                   of a cache: 0 to DM_POOL_SIZE, default DM_POOL_SIZE / 2. A fuller heap needs its freed blocks to
 *                   merge with their neighbours: parking them there costs ~2% of utilisation at the first failure
 *                   (bench/fragmentation.c: W1 0.869 with parking up to full, 0.892 with the default, as without
 *                   caches). Above it a pair costs the heap's own path; allocations still take parked blocks.
 * Parked blocks are not lost to other requests: before an allocation fails, the cache of the failing CPU or thread
 * is given back to the heap and the allocation retried (caches of other CPUs and threads are not touched: each
 * holds at most DM_CACHE_BYTES). */
#ifndef DM_CACHE_LIMIT
#define DM_CACHE_LIMIT 256
#endif
#ifndef DM_CACHE_COUNT
#define DM_CACHE_COUNT 16
#endif
#ifndef DM_CACHE_BYTES
#define DM_CACHE_BYTES ((DM_POOL_SIZE) / 32)
#endif
#ifndef DM_CACHE_REFILL
#define DM_CACHE_REFILL 4
#endif
#ifndef DM_CACHE_HIGH_WATER
#define DM_CACHE_HIGH_WATER ((DM_POOL_SIZE) / 2)
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

/* BPF: 1 (default) compiles the front end's fast path into every static_malloc/static_free call site: no subprogram
 * call when a cache serves; the heap itself is one global subprogram call away. A program with one malloc and one
 * free verifies in ~10,300 instructions; each further pair of call sites adds ~1,000 (measured: 4 pairs 13,600).
 * 0: the fast path is one global subprogram per operation, checked once with the heap's slow path inline in it:
 * ~17,700 instructions for the first pair, ~30 for each further one, and a call (~9 ns here) per operation. Take 0
 * for programs with dozens of call sites. Natively the fast path is always inline. */
#ifndef DM_INLINE_FAST_PATH
#define DM_INLINE_FAST_PATH 1
#endif

/* Seed of the header check words; change it to make headers of two builds incompatible. */
#ifndef DM_CHECK_SEED
#define DM_CHECK_SEED 0x5eed1e55u
#endif

/* ================================================= Environment ================================================= */
/*
 * Everything that differs between BPF and native lives here and nowhere else:
 *   dm_env_heap()            the heap (control block + pool + guard), or NULL when it cannot be reached
 *   dm_env_ready()           whether the heap's memory exists (an arena heap before dm_arena_init: not yet)
 *   dm_env_refused()         allocations refused because the heap was not ready (counted outside the heap)
 *   dm_env_cas/unlock/add    atomics on heap words
 *   dm_env_single_threaded() whether the lock can be skipped (native process with one thread)
 *   dm_env_relax()           what a waiter does between lock attempts
 *   dm_env_bounded()         an index clamped so that the verifier sees the bound
 *   dm_env_repeat()          a loop of `steps` (at most the constant `most`) whose body may stop it (bpf_loop)
 *   dm_env_copy/zero()       copying and zeroing variable lengths inside the pool
 *   dm_env_ptr/off()         converting between pool offsets and pointers the program can dereference
 *   dm_env_payload()         the pointer handed to the program for a payload offset (NULL for 0)
 *   DM_AS                    the address space of those pointers (`__arena` for the arena heap, else none)
 *   DM_PTR()                 re-deriving a pointer that was stored in heap memory
 *   DM_INDEX()               &p[i] for a heap pointer p and any index i
 *   DM_ENTRY                 how the entry points are compiled (BPF: global subprograms, each verified once)
 */
#if defined(__bpf__)

#if !defined(__BPF_HELPERS__) && !defined(__BPF_HELPER_DEFS_H__)
#error "dynamic_memory.h: include <bpf/bpf_helpers.h> before dynamic_memory.h in BPF programs"
#endif
typedef __u8 dm_u8;
typedef __u32 dm_u32;
typedef __u64 dm_u64;
typedef __SIZE_TYPE__ size_t; /* the same type vmlinux.h gives it; <linux/bpf.h> gives none */
#ifndef NULL
#define NULL ((void *)0)
#endif

#define DM_INLINE static __attribute__((always_inline)) inline
#if defined(DM_HEAP_ARENA)
#ifndef __BPF_FEATURE_ADDR_SPACE_CAST
#error "dynamic_memory.h: DM_HEAP_ARENA needs a compiler with BPF address-space casts (clang >= 19)"
#endif
#define DM_AS __attribute__((address_space(1)))
#ifndef __arena
#define __arena DM_AS
#endif
#else
#define DM_AS
#endif
/* Global (verified once), weak (several objects linked by `bpftool gen object` share one copy). */
#define DM_ENTRY __attribute__((noinline)) __attribute__((weak))
#if DM_INLINE_FAST_PATH
#define DM_FAST_ENTRY DM_INLINE
#else
#define DM_FAST_ENTRY DM_ENTRY
#endif

#else /* native */

#if !defined(native_executable)
#error "dynamic_memory.h: compile userspace code with -Dnative_executable (BPF code with clang -target bpf)"
#endif
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/single_threaded.h>
typedef uint8_t dm_u8;
typedef uint32_t dm_u32;
typedef uint64_t dm_u64;

#define DM_INLINE static inline __attribute__((always_inline))
#define DM_AS
#define DM_ENTRY static inline
#define DM_FAST_ENTRY DM_INLINE

#endif

/* Programs written for the arena heap annotate their heap pointers `__arena`; elsewhere it means nothing, so that
 * one source compiles for every heap. */
#ifndef __arena
#define __arena
#endif

/* `can_loop` (as in the kernel's bpf_experimental.h): a loop condition that lets the verifier accept a walk whose
 * length it cannot know, such as following `next` pointers through the heap. Always true natively. */
#ifndef can_loop
#define can_loop dm_may_goto()
#endif

/* ============================================= Heap layout and stats ============================================ */

/* static_check's walk. It lives in the control block (the walk holds the lock): the verifier then sees its fields as
 * unknown numbers and checks one step of the walk, instead of following counters it could compute. */
struct dm_walk {
	dm_u32 block;     /* next block to visit */
	dm_u32 prev_free; /* the block before it was free */
	dm_u32 cls;       /* list walk: class being walked */
	dm_u32 cur;       /* list walk: next block of that list, 0 = go to the next class */
	dm_u64 used, free, allocated, listed;
	dm_u64 parked;    /* used blocks that carry the parked tag */
	dm_u64 result;    /* enum dm_check_result, as a number */
};

struct dm_heap;
/* A loop body for dm_env_repeat: returns nonzero to stop (bpf_loop's callback contract). */
typedef long (*dm_step_fn)(dm_u64 index, void *ctx);

#define DM_HDR 8u                                   /* block header bytes */
#define DM_MASK ((dm_u32)(DM_POOL_SIZE) - 1u)       /* every pool offset is masked with this */
#define DM_MIN_BLOCK ((DM_HDR + 12u + DM_ALIGN - 1u) & ~(dm_u32)(DM_ALIGN - 1u)) /* header, 2 links, footer */
#define DM_FREE 1u                                  /* word 0: this block is free */
#define DM_PREV_FREE 2u                             /* word 0: the block before this one is free */
#define DM_FLAGS 7u                                 /* word 0: low bits that are not size */
#define DM_MAGIC 0x444d4850u                        /* "DMHP": the control block is initialised */

#define DM_ALIGN_LOG2 ((DM_ALIGN) == 16 ? 4 : 3)
#define DM_POOL_LOG2 (__builtin_ctz(DM_POOL_SIZE))
#if DM_POLICY == DM_POLICY_SEGREGATED
#define DM_SL_COUNT (1u << (DM_SL_LOG2))
#define DM_SMALL_BLOCK (DM_SL_COUNT << DM_ALIGN_LOG2) /* blocks below this map linearly to first level 0 */
#define DM_FL_COUNT (DM_POOL_LOG2 - (DM_SL_LOG2) - DM_ALIGN_LOG2 + 1)
#define DM_CLASSES (DM_FL_COUNT * DM_SL_COUNT)
#else
#define DM_CLASSES 1
#endif

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

/* Counters kept under the lock; lock_failures is atomic and kept apart from them. */
struct dm_counters {
	dm_u64 allocated;
	dm_u64 peak_allocated;
	dm_u64 used_blocks;
	dm_u64 free_blocks;
	dm_u64 allocations;
	dm_u64 frees;
	dm_u64 failed_allocations;
	dm_u64 invalid_frees;
	dm_u64 corruptions;
	dm_u64 retired_hits, retired_parks, retired_returned; /* counters of caches whose thread exited (native); */
							      /* hits less the blocks refilled */
};

/* The control block, at offset 0 of the pool. */
struct dm_control {
	dm_u32 magic;         /* DM_MAGIC once initialised; a zeroed map value is an uninitialised heap */
	dm_u32 lock;          /* 0 = free, 1 = held */
	dm_u64 self;          /* the heap's own address, as a number: base of DM_PTR re-derivation */
	dm_u64 lock_failures; /* updated atomically, outside the lock */
	dm_u64 lockless_corruptions;   /* damaged cache lists found by the fast path (atomic, outside the lock) */
	dm_u64 lockless_invalid_frees; /* frees refused while the lock was held elsewhere (atomic, outside the lock) */
	dm_u32 generation;    /* formats so far: a cache filled under another generation is stale (0: never formatted) */
	dm_u32 deferred;      /* frees that could not take the lock: blocks linked through their payloads, pushed with
			       * compare-and-swap, completed by the next lock holder (dm_acquire) */
	dm_u64 registry;      /* native: the first registered thread cache (an address), under the lock */
	dm_u32 pool_size;     /* DM_POOL_SIZE, so that a reader can tell which build made the heap */
	dm_u32 policy;        /* DM_POLICY */
	dm_u32 align;         /* DM_ALIGN */
	dm_u32 guard;         /* DM_GUARD */
	dm_u32 first;         /* offset of the first block header: readers walk the blocks from here... */
	dm_u32 sentinel;      /* ...to the sentinel, whatever the configuration that built the heap */
	dm_u32 scan_limit;    /* DM_SCAN: the bound of the list walks, for readers of a heap another build made */
	struct dm_walk walk;  /* static_check's scratch, used under the lock */
	struct dm_counters c;
	dm_u32 first_level;   /* segregated: bit f set iff second_level[f] != 0 */
	dm_u32 second_level[DM_CLASSES / (DM_POLICY == DM_POLICY_SEGREGATED ? 1u << (DM_SL_LOG2) : 1u)];
	dm_u32 heads[DM_CLASSES]; /* free-list heads (pool offsets of block headers), valid while marked non-empty */
} __attribute__((aligned(16)));

/* A front-end cache: per CPU in BPF (the value of the PERCPU_ARRAY map `dm_cache`), per thread natively. Blocks of
 * exactly one size per list, linked through their payloads (next block offset at payload + 0) and marked parked
 * (dm_parked_tag at payload + 8): to the heap they are used blocks, so that no lock is needed to take them back. */
#define DM_CACHE_MAX_BLOCK                                                                                         \
	((((DM_CACHE_LIMIT) + DM_HDR + DM_ALIGN - 1) & ~(dm_u32)(DM_ALIGN - 1)) < DM_MIN_BLOCK                    \
		 ? DM_MIN_BLOCK                                                                                    \
		 : (((DM_CACHE_LIMIT) + DM_HDR + DM_ALIGN - 1) & ~(dm_u32)(DM_ALIGN - 1)))
#define DM_CACHE_CLASSES ((DM_CACHE_MAX_BLOCK - DM_MIN_BLOCK) / DM_ALIGN + 1)
struct dm_cache {
	dm_u32 busy;        /* BPF: a program of this CPU is using the cache (taken with xchg: nested programs see it) */
	dm_u32 generation;  /* the heap generation its blocks belong to; another one: the cache is empty */
	dm_u32 blocks;      /* blocks parked */
	dm_u32 bytes;       /* their bytes, headers included */
	dm_u64 hits;        /* allocations it served */
	dm_u64 parks;       /* frees it took */
	dm_u64 returned;    /* parked blocks it gave back to the heap */
	dm_u64 refilled;    /* blocks it took from the heap in batches: allocations to the heap, not to the program */
	dm_u64 next;        /* native: the next registered thread cache (an address) */
	dm_u32 registered;  /* native: in the heap's registry of thread caches */
	dm_u32 heads[DM_CACHE_CLASSES]; /* first parked block of each size (block offset), 0 = none */
	dm_u8 counts[DM_CACHE_CLASSES];
};

/* The whole heap: the map value in BPF, a global natively. Offsets count from its start. */
struct dm_heap {
	struct dm_control ctl;
	dm_u8 pool[(DM_POOL_SIZE) - sizeof(struct dm_control)];
	dm_u8 guard[DM_GUARD];
};

/* First block header, placed so that payloads are DM_ALIGN-aligned; the sentinel (a size-0 used header) ends the
 * pool so that an overflow of the last block damages a header too. */
#define DM_FIRST ((dm_u32)(((sizeof(struct dm_control) + DM_HDR + DM_ALIGN - 1) & ~(size_t)(DM_ALIGN - 1)) - DM_HDR))
#define DM_SENTINEL ((dm_u32)(DM_FIRST + (((DM_POOL_SIZE) - DM_HDR - DM_FIRST) & ~(dm_u32)(DM_ALIGN - 1))))
#define DM_CAPACITY (DM_SENTINEL - DM_FIRST - DM_HDR)
#define DM_MAX_BLOCKS ((DM_SENTINEL - DM_FIRST) / DM_MIN_BLOCK + 1) /* the sentinel included */

_Static_assert(sizeof(struct dm_control) + 2 * DM_MIN_BLOCK < (DM_POOL_SIZE) / 2,
	       "DM_POOL_SIZE is too small for the control block of this configuration");

/* ======================================= Environment: where the heap lives ====================================== */

/* Arena heap: the heap starts this far into its arena's 4 GiB window (the low 32 bits of its address, all that the
 * kernel's arena pointers keep), whatever the pool size and DM_ARENA_GLOBALS: userspace readers (dm stat,
 * user/heap_reader.h) find it from the arena's address alone. Never 0, which the kernel's pointer casts take for NULL. */
#define DM_ARENA_HEAP_LOW (1u << 30)

#if defined(__bpf__) && defined(DM_HEAP_ARENA)
/*
 * The arena is [globals room][heap][globals room], mapped at a fixed user address (map_extra) so that the heap's
 * address is a constant for programs and userspace alike. The program's own `__arena` globals go where libbpf puts
 * them: at the arena's start (libbpf 1.4 to 1.6, and 1.7 on kernels whose verifier limits ldimm64 offsets into an
 * arena), or at its end (libbpf 1.7 on kernels without that limit). A room of DM_ARENA_GLOBALS bytes at each end
 * keeps them off the heap; unused rooms cost address space only, no memory.
 */
#ifdef DM_ARENA_ADDR
#error "dynamic_memory.h: DM_ARENA_ADDR is derived from DM_ARENA_WINDOW and DM_ARENA_GLOBALS; set those instead"
#endif
/* Room for the program's `__arena` globals, at each end of the arena: at least their total size (dm_arena_setup
 * refuses a larger one), a multiple of 4096. */
#ifndef DM_ARENA_GLOBALS
#define DM_ARENA_GLOBALS 1048576
#endif
#if (DM_ARENA_GLOBALS) < 4096 || (DM_ARENA_GLOBALS) > 268435456 || ((DM_ARENA_GLOBALS) % 4096) != 0
#error "DM_ARENA_GLOBALS must be a multiple of 4096 from 4096 to 268435456 (256 MiB)"
#endif
/* The 4 GiB window of user addresses the arena lies in: objects loaded in one process need different windows. */
#ifndef DM_ARENA_WINDOW
#define DM_ARENA_WINDOW (1ull << 44)
#endif
#if (DM_ARENA_WINDOW) == 0 || ((DM_ARENA_WINDOW) % (1ull << 32)) != 0 || (DM_ARENA_WINDOW) >= (1ull << 47)
#error "DM_ARENA_WINDOW must be a nonzero multiple of 4 GiB (1 << 32) below 1 << 47 (the user address space)"
#endif
#define DM_ARENA_PAGE 4096ull
#define DM_ARENA_HEAP_BYTES ((sizeof(struct dm_heap) + DM_ARENA_PAGE - 1) & ~(DM_ARENA_PAGE - 1))
#define DM_ARENA_HEAP ((DM_ARENA_WINDOW) + DM_ARENA_HEAP_LOW)   /* the heap's address */
#define DM_ARENA_ADDR (DM_ARENA_HEAP - (DM_ARENA_GLOBALS))      /* the arena's */
#define DM_ARENA_BYTES (DM_ARENA_HEAP_BYTES + 2 * (DM_ARENA_GLOBALS))
_Static_assert(DM_ARENA_HEAP_LOW + DM_ARENA_HEAP_BYTES + (DM_ARENA_GLOBALS) <= (1ull << 32),
	       "the arena must end inside its 4 GiB window");
/* No BPF_F_SEGV_ON_FAULT: libbpf writes the program's `__arena` globals into the mapped arena while loading, before
 * any program can allocate pages, and that write must fault the pages in. A reader touching heap pages before
 * dm_arena_init faults them in too; dm_arena_init frees such pages before allocating the pool. Numbers, not names:
 * <linux/bpf.h> may predate arenas. */
struct {
	__uint(type, 33 /* BPF_MAP_TYPE_ARENA */);
	__uint(map_flags, 1024 /* BPF_F_MMAPABLE */);
	__uint(max_entries, DM_ARENA_BYTES / DM_ARENA_PAGE);
	__ulong(map_extra, DM_ARENA_ADDR);
#if defined(DM_PIN)
	__uint(pinning, LIBBPF_PIN_BY_NAME);
#endif
} dm_arena SEC(".maps") __attribute__((weak));

/* Allocations refused before dm_arena_init: the heap's own counters do not exist yet. */
__attribute__((weak)) __u64 dm_arena_refused;

/* The cast makes the verifier treat the address as arena memory; naming the map ties the program to the arena,
 * which the verifier requires of every program that casts. */
DM_INLINE struct dm_heap *dm_env_heap(void)
{
	dm_u64 addr = DM_ARENA_HEAP;

	asm volatile("%0 = addr_space_cast(%0, 0, 1)" : "+r"(addr) : "r"(&dm_arena));
	return (struct dm_heap *)addr;
}
/* Before dm_arena_init the pages do not exist: reads give 0, writes vanish, atomics are not to be trusted. */
DM_INLINE int dm_env_ready(struct dm_heap *heap) { return heap->ctl.magic == DM_MAGIC; }
DM_INLINE void dm_env_refuse(void) { __sync_fetch_and_add(&dm_arena_refused, 1); }
DM_INLINE dm_u64 dm_env_refused(void) { return dm_arena_refused; }

#elif defined(__bpf__)
#if defined(DM_HEAP_PERCPU)
_Static_assert((DM_POOL_SIZE) + (DM_GUARD) <= 32768,
	       "per-CPU heap: DM_POOL_SIZE + DM_GUARD must be <= 32768, the kernel's limit on a PERCPU_ARRAY value "
	       "(use DM_POOL_SIZE 16384 or less)");
#define DM_HEAP_MAP_TYPE BPF_MAP_TYPE_PERCPU_ARRAY
#else
#define DM_HEAP_MAP_TYPE BPF_MAP_TYPE_ARRAY
#endif
struct {
	__uint(type, DM_HEAP_MAP_TYPE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dm_heap);
#if defined(DM_PIN)
	__uint(pinning, LIBBPF_PIN_BY_NAME);
#endif
} dm_heap SEC(".maps") __attribute__((weak));

DM_INLINE struct dm_heap *dm_env_heap(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&dm_heap, &zero);
}
/* A map value exists from the start: a zeroed one is formatted on first use. */
DM_INLINE int dm_env_ready(struct dm_heap *heap) { return heap != NULL; }
DM_INLINE void dm_env_refuse(void) {}
DM_INLINE dm_u64 dm_env_refused(void) { return 0; }
#endif /* heap location, BPF */

#if defined(__bpf__)
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
 * task's on the same CPU) must not touch it: the flag is taken with one atomic exchange, and given back with a plain
 * store, since only this CPU ever takes it. */
DM_INLINE int dm_env_cache_enter(struct dm_cache *cache) { return __sync_lock_test_and_set(&cache->busy, 1) == 0; }
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
DM_INLINE void dm_env_relax(void) {}
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
#if defined(DM_HEAP_ARENA)
/* Arena memory needs no proofs: a payload pointer is the heap's user address plus the offset, an `__arena`
 * pointer every program and userspace can follow as it is. Only the low 32 bits of an arena pointer count. */
DM_INLINE void *dm_env_ptr(struct dm_heap *heap, dm_u64 off) { return (dm_u8 *)heap + (off & DM_MASK); }
DM_INLINE void DM_AS *dm_env_payload(struct dm_heap *heap, dm_u64 off)
{
	(void)heap;
	return off ? (void DM_AS *)(DM_ARENA_HEAP + off) : NULL;
}
DM_INLINE dm_u64 dm_env_off(struct dm_heap *heap, const void DM_AS *ptr)
{
	(void)heap;
	return (dm_u32)((dm_u32)(dm_u64)ptr - (dm_u32)DM_ARENA_HEAP);
}
/* Indexing needs no proof in the arena. */
#define DM_INDEX(p, i) (&(p)[i])
/* Stored pointers are plain pointers: the value is unchanged. Naming the map associates a program that only reads
 * the heap with the arena, as the verifier requires. */
#define DM_PTR(p)                                                                                                  \
	({                                                                                                         \
		asm volatile("" ::"r"(&dm_arena));                                                                 \
		(p);                                                                                               \
	})

/*
 * dm_arena_init: allocates the heap's pages and formats the heap. A loader runs it once after loading the object
 * (BPF_PROG_TEST_RUN; user/heap_reader.h has dm_arena_setup()); until then every allocation returns NULL and is
 * counted. Returns 0, also when the heap was ready already, or -ENOMEM (-12) when the pages cannot be had.
 * Sleepable (arena pages can only be allocated there); ~11 us per 4 KiB page. Not to be run by two at once.
 * Objects linked together (bpftool gen object) share it; with libbpf 1.4, whose linker cannot merge a kfunc
 * declared by two objects, define DM_ARENA_INIT_ELSEWHERE in all of them but one.
 */
#if !defined(DM_ARENA_INIT_ELSEWHERE)
extern void *bpf_arena_alloc_pages(void *p__map, void *addr__ign, __u32 page_cnt, int node_id, __u64 flags)
	__ksym __weak;
extern void bpf_arena_free_pages(void *p__map, void *ptr__ign, __u32 page_cnt) __ksym __weak;
DM_ENTRY int dm_format_heap(void);
SEC("syscall") __attribute__((weak)) int dm_arena_init(void *ctx)
{
	struct dm_heap *heap = dm_env_heap();

	(void)ctx;
	if (dm_env_ready(heap))
		return 0;
	/* A page some reader faulted in (zeros: the heap is not formatted) makes the allocation of the range fail. */
	bpf_arena_free_pages(&dm_arena, (void *)DM_ARENA_HEAP, DM_ARENA_HEAP_BYTES / DM_ARENA_PAGE);
	if (!bpf_arena_alloc_pages(&dm_arena, (void *)DM_ARENA_HEAP, DM_ARENA_HEAP_BYTES / DM_ARENA_PAGE, -1, 0))
		return -12;
	dm_format_heap();
	return 0;
}
#endif /* DM_ARENA_INIT_ELSEWHERE */
#else
/* The masked offset gives the verifier the range [0, DM_POOL_SIZE): heap-internal accesses of a few bytes. The
 * barrier keeps the mask where clang could prove it redundant (an offset it knows below the sentinel): the verifier
 * does not carry a bound proven on one register to a copy or sum of it (older ones not even `r2 = r6 - 880`), so it
 * must see the mask on the register it adds. */
DM_INLINE void *dm_env_ptr(struct dm_heap *heap, dm_u64 off)
{
	asm volatile("" : "+r"(off));
	return (dm_u8 *)heap + (off & DM_MASK);
}
/* A pointer handed to the program, or NULL for offset 0. Its proven range is [DM_ALIGN, DM_POOL_SIZE] in steps of
 * DM_ALIGN: the verifier accepts accesses at offsets 0 .. DM_GUARD - 1 from it, rejects DM_GUARD, and knows it
 * aligned (atomics need that). The barrier hides from clang whether it is NULL: otherwise a dereference without a
 * NULL check (undefined behaviour) lets clang delete the NULL path, and the verifier never sees the missing check. */
#define DM_PAYLOAD_MASK (DM_MASK & ~(dm_u32)(DM_ALIGN - 1))
DM_INLINE void *dm_env_payload(struct dm_heap *heap, dm_u64 off)
{
	void *p = off ? (dm_u8 *)heap + ((off - DM_ALIGN) & DM_PAYLOAD_MASK) + DM_ALIGN : NULL;

	asm volatile("" : "+r"(p));
	return p;
}
DM_INLINE dm_u64 dm_env_off(struct dm_heap *heap, const void *ptr)
{
	return (dm_u64)((const dm_u8 *)ptr - (const dm_u8 *)heap);
}
/* A pointer loaded from memory is a plain number to the verifier: rebuild it from the heap's address. The 32-bit
 * move also turns into a number a pointer that clang forwarded from a store instead of loading it (root may move
 * half a pointer); an offset into a pool below 4 GiB needs only the low half. */
DM_INLINE void *dm_rederive(dm_u64 raw)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 low;

	if (!heap || !raw)
		return NULL;
	asm volatile("%0 = %1" : "=w"(low) : "w"((dm_u32)raw));
	return dm_env_payload(heap, ((low - (dm_u32)heap->ctl.self - DM_ALIGN) & DM_PAYLOAD_MASK) + DM_ALIGN);
}
#define DM_PTR(p) ((__typeof__(p))dm_rederive((dm_u64)(p)))
/* &p[i] for an index the verifier cannot bound: the address is rebuilt from the heap's, as by DM_PTR but to the
 * byte, so that an element of up to DM_GUARD bytes is accessible at it whatever i. The offset is added after the
 * 32-bit move, to a number: added to the pointer, an unbounded index is refused. An address outside the pool wraps
 * into it (memory-safe; the program's own bug). */
DM_INLINE void *dm_rederive_at(const void *p, dm_u64 offset)
{
	struct dm_heap *heap = dm_env_heap();
	void *at = (void *)p; /* where the heap's map value cannot be had: never for an ARRAY map, but verifiers before
			       * 6.13 do not know that, and &p[i] of a valid p must not be NULL */
	dm_u32 low;

	if (heap) {
		asm volatile("%0 = %1" : "=w"(low) : "w"((dm_u32)(dm_u64)p));
		at = (dm_u8 *)heap + ((low + (dm_u32)offset - (dm_u32)heap->ctl.self) & DM_MASK);
	}
	asm volatile("" : "+r"(at));
	return at;
}
#define DM_INDEX(p, i) ((__typeof__(p))dm_rederive_at((p), (dm_u64)(i) * sizeof(*(p))))

#endif /* heap pointers, BPF */

#else /* native */

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
DM_INLINE void dm_env_relax(void) { sched_yield(); }
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

#endif /* environment */

/* ================================================ Internal: blocks =============================================== */

/* Status of a header read back from the pool. */
enum dm_header_status {
	DM_HEADER_OK = 0,
	DM_HEADER_NOT_A_BLOCK = 1, /* no header was ever written at this offset (or it was absorbed by coalescing) */
	DM_HEADER_DAMAGED = 2,     /* a header belongs here but its contents were overwritten */
};

/* Result codes of static_check(), in the order it tests them. */
enum dm_check_result {
	DM_CHECK_OK = 0,
	DM_CHECK_LOCK = -1,          /* the lock could not be taken */
	DM_CHECK_HEADER = -2,        /* a block header is damaged or a block size is impossible */
	DM_CHECK_PREV_FREE = -3,     /* a PREV_FREE flag disagrees with the block before it */
	DM_CHECK_ADJACENT_FREE = -4, /* two free blocks touch (coalescing missed) */
	DM_CHECK_FOOTER = -5,        /* a free block's footer disagrees with its header */
	DM_CHECK_LIST = -6,          /* free-list links are inconsistent, or a block sits in the wrong list */
	DM_CHECK_BITMAP = -7,        /* segregated bitmaps disagree with the lists */
	DM_CHECK_COUNTS = -8,        /* the counters disagree with the blocks found */
	DM_CHECK_SENTINEL = -9,      /* the end-of-pool sentinel is damaged or was not reached */
	DM_CHECK_CACHE = -10,        /* parked blocks and the caches' counts disagree */
};

DM_INLINE dm_u32 *dm_word(struct dm_heap *heap, dm_u32 off) { return (dm_u32 *)dm_env_ptr(heap, off); }

/* One multiply each: the high half of a product by an odd constant depends on every bit of the input, so a tag
 * changes (but for 1 in 2^16) when its offset, its word 0 or the heap's generation does. The generation keeps the
 * headers an earlier format of the heap left inside today's blocks from validating (static_reset and
 * dm_arena_init do not clear the pool): a free of an interior pointer that lands on one is refused, not obeyed. */
DM_INLINE dm_u32 dm_offset_tag(dm_u32 block, dm_u32 generation)
{
	return ((block ^ DM_CHECK_SEED ^ (generation * 0x27d4eb2fu)) * 0x9e3779b1u) & 0xffff0000u;
}
DM_INLINE dm_u32 dm_check_word(dm_u32 block, dm_u32 word0, dm_u32 generation)
{
	return dm_offset_tag(block, generation) | (((word0 ^ (block * 0x85ebca77u)) * 0xc2b2ae3du) >> 16);
}

/* The heap's own header reads and writes, list updates and search are entry points of their own: in BPF each is then
 * checked once, not at every use (the slow path pays a call for each; the fast path needs none of them). */
DM_INLINE void dm_store_header(struct dm_heap *heap, dm_u32 block, dm_u32 word0)
{
	dm_word(heap, block)[0] = word0;
	dm_word(heap, block + 4)[0] = dm_check_word(block, word0, heap->ctl.generation);
}
DM_ENTRY int dm_put_header(dm_u64 block, dm_u64 word0)
{
	struct dm_heap *heap = dm_env_heap();

	if (!heap)
		return -1;
	dm_store_header(heap, (dm_u32)block, (dm_u32)word0);
	return 0;
}
DM_INLINE void dm_write_header(struct dm_heap *heap, dm_u32 block, dm_u32 word0)
{
	(void)heap;
	dm_put_header(block, word0);
}
/* A header absorbed by coalescing must never validate again (double free of a merged block). */
DM_INLINE void dm_erase_header(struct dm_heap *heap, dm_u32 block)
{
	dm_word(heap, block + 4)[0] = ~dm_offset_tag(block, heap->ctl.generation) & 0xffff0000u;
}

/* Validates the header at `block`: returns word 0 in the low 32 bits and the enum dm_header_status above them. */
DM_INLINE dm_u64 dm_header_of(struct dm_heap *heap, dm_u64 block)
{
	dm_u32 w0, check, size;

	if (block < DM_FIRST || block > DM_SENTINEL || ((block + DM_HDR) & (DM_ALIGN - 1)))
		return (dm_u64)DM_HEADER_NOT_A_BLOCK << 32;
	w0 = dm_word(heap, (dm_u32)block)[0];
	check = dm_word(heap, (dm_u32)block + 4)[0];
	if (check != dm_check_word((dm_u32)block, w0, heap->ctl.generation))
		return (dm_u64)((check & 0xffff0000u) == dm_offset_tag((dm_u32)block, heap->ctl.generation)
					? DM_HEADER_DAMAGED
					: DM_HEADER_NOT_A_BLOCK)
		       << 32;
	size = w0 & ~DM_FLAGS;
	if (block == DM_SENTINEL ? (w0 & ~DM_PREV_FREE) != 0
				  : (size < DM_MIN_BLOCK || (size & (DM_ALIGN - 1)) || size > DM_SENTINEL - block ||
				     (w0 & DM_FLAGS & ~(DM_FREE | DM_PREV_FREE))))
		return (dm_u64)DM_HEADER_DAMAGED << 32;
	return w0;
}
DM_ENTRY dm_u64 dm_get_header(dm_u64 block)
{
	struct dm_heap *heap = dm_env_heap();

	return heap ? dm_header_of(heap, block) : (dm_u64)DM_HEADER_NOT_A_BLOCK << 32;
}
/* Reads the header at `block`, validates it and returns its status; *word0 receives word 0 when it is OK. */
DM_INLINE enum dm_header_status dm_read_header(struct dm_heap *heap, dm_u32 block, dm_u32 *word0)
{
	dm_u64 got = dm_get_header(block);

	(void)heap;
	*word0 = (dm_u32)got;
	return (enum dm_header_status)(got >> 32);
}

DM_INLINE dm_u32 dm_size(dm_u32 word0) { return word0 & ~DM_FLAGS; }
DM_INLINE dm_u32 *dm_next_link(struct dm_heap *heap, dm_u32 block) { return dm_word(heap, block + DM_HDR); }
DM_INLINE dm_u32 *dm_prev_link(struct dm_heap *heap, dm_u32 block) { return dm_word(heap, block + DM_HDR + 4); }
DM_INLINE dm_u32 *dm_footer(struct dm_heap *heap, dm_u32 block, dm_u32 size)
{
	return dm_word(heap, block + size - 4);
}

/* A parked block (in a cache or on the deferred list) is a used block to the heap; what marks it parked is this tag
 * at payload + 8, which only the allocator writes: a free of it is a double free. One multiply by an odd constant:
 * distinct for every offset, never 0. User data holding exactly the tag of its own block (1 in 2^64) would make a
 * free of it refused. */
DM_INLINE dm_u64 dm_parked_tag(dm_u32 block) { return ((dm_u64)(block ^ DM_CHECK_SEED) * 0x9e3779b97f4a7c15ull) | 1; }
DM_INLINE dm_u64 *dm_tag_word(struct dm_heap *heap, dm_u32 block)
{
	return (dm_u64 *)dm_env_ptr(heap, block + DM_HDR + 8);
}
DM_INLINE int dm_is_parked(struct dm_heap *heap, dm_u32 block) { return *dm_tag_word(heap, block) == dm_parked_tag(block); }

/* Block size for a request: header included, aligned, at least DM_MIN_BLOCK; 0 when no block could be that big. */
DM_INLINE dm_u32 dm_block_size(dm_u64 request)
{
	dm_u32 size;

	if (request > DM_CAPACITY)
		return 0;
	size = ((dm_u32)request + DM_HDR + DM_ALIGN - 1) & ~(dm_u32)(DM_ALIGN - 1);
	return size < DM_MIN_BLOCK ? DM_MIN_BLOCK : size;
}

/* Index of the highest set bit; x != 0. */
DM_INLINE dm_u32 dm_fls(dm_u32 x) { return 31u - (dm_u32)__builtin_clz(x); }
DM_INLINE dm_u32 dm_ffs(dm_u32 x) { return (dm_u32)__builtin_ctz(x); }

/* =========================================== Internal: free-list index =========================================== */
/* The policy decides which list a free block goes in, where in it, and which block serves a request. The lists
 * themselves (doubly linked through pool offsets) are common to both policies. */

/* A list head, the index proven below DM_CLASSES (the verifier needs the bound; native code never fails it).
 * A head means something only while its class is marked non-empty (dm_first_block): formatting a heap then
 * resets the bitmaps, not every head. */
DM_INLINE dm_u32 *dm_head(struct dm_heap *heap, dm_u32 cls)
{
	return &heap->ctl.heads[dm_env_bounded(cls, DM_CLASSES)];
}
DM_INLINE int dm_class_nonempty(struct dm_heap *heap, dm_u32 cls);
/* The first block of a class's list, 0 when it is empty. */
DM_INLINE dm_u32 dm_first_block(struct dm_heap *heap, dm_u32 cls)
{
	return dm_class_nonempty(heap, cls) ? *dm_head(heap, cls) : 0;
}

#if DM_POLICY == DM_POLICY_SEGREGATED

/* The class whose list holds free blocks of `size` (TLSF's mapping_insert). */
DM_INLINE dm_u32 dm_class(dm_u32 size)
{
	dm_u32 top, fl, sl;

	if (size < DM_SMALL_BLOCK)
		return size >> DM_ALIGN_LOG2;
	top = dm_fls(size);
	sl = (size >> (top - DM_SL_LOG2)) - DM_SL_COUNT;
	fl = top - (DM_SL_LOG2 + DM_ALIGN_LOG2) + 1;
	return fl * DM_SL_COUNT + sl;
}
/* The first class all of whose blocks are >= `size` (TLSF's mapping_search); may be DM_CLASSES (none). */
DM_INLINE dm_u32 dm_class_above(dm_u32 size)
{
	if (size >= DM_SMALL_BLOCK)
		size += (1u << (dm_fls(size) - DM_SL_LOG2)) - 1;
	return dm_class(size);
}
DM_INLINE int dm_class_nonempty(struct dm_heap *heap, dm_u32 cls)
{
	return (heap->ctl.second_level[dm_env_bounded(cls / DM_SL_COUNT, DM_FL_COUNT)] >> (cls % DM_SL_COUNT)) & 1;
}
DM_INLINE void dm_mark_class(struct dm_heap *heap, dm_u32 cls, int nonempty)
{
	dm_u32 fl = (cls / DM_SL_COUNT) & 31, sl = cls % DM_SL_COUNT;
	dm_u32 *second = &heap->ctl.second_level[dm_env_bounded(fl, DM_FL_COUNT)];

	if (nonempty) {
		*second |= 1u << sl;
		heap->ctl.first_level |= 1u << fl;
	} else {
		*second &= ~(1u << sl);
		if (!*second)
			heap->ctl.first_level &= ~(1u << fl);
	}
}
/* First non-empty class >= cls, or DM_CLASSES. */
DM_INLINE dm_u32 dm_first_nonempty(struct dm_heap *heap, dm_u32 cls)
{
	dm_u32 fl = cls / DM_SL_COUNT, sl = cls % DM_SL_COUNT, map;

	if (cls >= DM_CLASSES)
		return DM_CLASSES;
	map = heap->ctl.second_level[dm_env_bounded(fl, DM_FL_COUNT)] & (~0u << sl);
	if (!map) {
		map = fl + 1 < 32 ? heap->ctl.first_level & (~0u << (fl + 1)) : 0;
		if (!map)
			return DM_CLASSES;
		fl = dm_ffs(map);
		map = heap->ctl.second_level[dm_env_bounded(fl, DM_FL_COUNT)];
		if (!map)
			return DM_CLASSES; /* bitmaps damaged: static_check reports it */
	}
	return fl * DM_SL_COUNT + dm_ffs(map);
}
/* New free blocks go to the front: O(1). */
DM_INLINE dm_u32 dm_insert_after(struct dm_heap *heap, dm_u32 block, dm_u32 cls)
{
	(void)heap, (void)block, (void)cls;
	return 0;
}
/* The list examined first for a request, and how many of its blocks. */
#define DM_SCAN DM_FIT_SCAN
DM_INLINE dm_u32 dm_scan_class(dm_u32 size) { return dm_class(size); }
/* The class whose first DM_SCAN blocks bound the largest request that can succeed. */
DM_INLINE dm_u32 dm_top_class(struct dm_heap *heap)
{
	dm_u32 fl, map;

	if (!heap->ctl.first_level)
		return DM_CLASSES;
	fl = dm_fls(heap->ctl.first_level);
	map = heap->ctl.second_level[dm_env_bounded(fl, DM_FL_COUNT)];
	return map ? fl * DM_SL_COUNT + dm_fls(map) : DM_CLASSES;
}

#else /* DM_POLICY_FIRST_FIT */

#define DM_SCAN DM_FIRST_FIT_SCAN

DM_INLINE dm_u32 dm_class(dm_u32 size)
{
	(void)size;
	return 0;
}
/* The one list's emptiness is its head: an empty list stores 0 there. */
DM_INLINE int dm_class_nonempty(struct dm_heap *heap, dm_u32 cls) { return *dm_head(heap, cls) != 0; }
DM_INLINE void dm_mark_class(struct dm_heap *heap, dm_u32 cls, int nonempty)
{
	if (!nonempty)
		*dm_head(heap, cls) = 0;
}
/* No larger class to fall back on: the scan of the one list is the whole search. */
DM_INLINE dm_u32 dm_first_nonempty(struct dm_heap *heap, dm_u32 cls)
{
	(void)heap, (void)cls;
	return DM_CLASSES;
}
DM_INLINE dm_u32 dm_class_above(dm_u32 size)
{
	(void)size;
	return DM_CLASSES;
}
/* Address order, the walk bounded: past DM_FIRST_FIT_SCAN blocks the block goes where the walk stopped. */
DM_INLINE dm_u32 dm_insert_after(struct dm_heap *heap, dm_u32 block, dm_u32 cls)
{
	dm_u32 prev = 0, cur = dm_first_block(heap, cls);

	for (dm_u32 left = DM_SCAN; left && cur && cur < block; left--) {
		prev = cur;
		cur = *dm_next_link(heap, cur);
	}
	return prev;
}
DM_INLINE dm_u32 dm_scan_class(dm_u32 size)
{
	(void)size;
	return 0;
}
DM_INLINE dm_u32 dm_top_class(struct dm_heap *heap) { return heap->ctl.heads[0] ? 0 : DM_CLASSES; }

#endif /* policy */

/* Points prev's next link (or the list head, when prev is 0) at `after_prev`, and next's prev link at `before_next`:
 * linking a block in between, or unlinking it. */
DM_INLINE void dm_relink(struct dm_heap *heap, dm_u32 *head, dm_u32 prev, dm_u32 next, dm_u32 after_prev,
			 dm_u32 before_next)
{
	if (next)
		*dm_prev_link(heap, next) = before_next;
	if (prev)
		*dm_next_link(heap, prev) = after_prev;
	else
		*head = after_prev;
}

DM_ENTRY int dm_list_insert_block(dm_u64 block, dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 cls, *head, prev, next;

	if (!heap)
		return -1;
	cls = dm_class((dm_u32)size);
	head = dm_head(heap, cls);
	prev = dm_insert_after(heap, (dm_u32)block, cls);
	next = prev ? *dm_next_link(heap, prev) : dm_first_block(heap, cls);
	*dm_next_link(heap, (dm_u32)block) = next;
	*dm_prev_link(heap, (dm_u32)block) = prev;
	dm_relink(heap, head, prev, next, (dm_u32)block, (dm_u32)block);
	dm_mark_class(heap, cls, 1);
	return 0;
}
DM_INLINE void dm_list_insert(struct dm_heap *heap, dm_u32 block, dm_u32 size)
{
	(void)heap;
	dm_list_insert_block(block, size);
}
DM_ENTRY int dm_list_remove_block(dm_u64 block, dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 cls, *head, next, prev;

	if (!heap)
		return -1;
	cls = dm_class((dm_u32)size);
	head = dm_head(heap, cls);
	next = *dm_next_link(heap, (dm_u32)block);
	prev = *dm_prev_link(heap, (dm_u32)block);
	dm_relink(heap, head, prev, next, next, prev);
	if (!prev && !next)
		dm_mark_class(heap, cls, 0);
	return 0;
}
DM_INLINE void dm_list_remove(struct dm_heap *heap, dm_u32 block, dm_u32 size)
{
	(void)heap;
	dm_list_remove_block(block, size);
}

/* A free block of at least `size` bytes, or 0: first fit among the first DM_SCAN blocks of the scanned class, then
 * (segregated) the head of the first non-empty class whose every block fits. */
DM_ENTRY dm_u64 dm_find_free_block(dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 cur, cls;

	if (!heap)
		return 0;
	cur = dm_first_block(heap, dm_scan_class((dm_u32)size));

	for (dm_u32 left = DM_SCAN; left && cur; left--) {
		if (dm_size(dm_word(heap, cur)[0]) >= size)
			return cur;
		cur = *dm_next_link(heap, cur);
	}
	cls = dm_first_nonempty(heap, dm_class_above((dm_u32)size));
	return cls < DM_CLASSES ? *dm_head(heap, cls) : 0;
}

/* Largest request that dm_find_free_block would satisfy now (it follows the same steps: exact, not an estimate). */
DM_INLINE dm_u32 dm_largest_request(struct dm_heap *heap)
{
	dm_u32 cls = dm_top_class(heap), best = 0, cur;

	if (cls >= DM_CLASSES)
		return 0;
	cur = dm_first_block(heap, cls);
	for (dm_u32 left = DM_SCAN; left && cur; left--) {
		dm_u32 size = dm_size(dm_word(heap, cur)[0]);

		best = size > best ? size : best;
		cur = *dm_next_link(heap, cur);
	}
	return best ? best - DM_HDR : 0;
}

/* ============================================ Internal: heap operations ========================================== */

/* One retry of a contended lock (a loop body, so that in BPF the verifier checks it once). */
static long dm_lock_retry(dm_u64 index, void *locked)
{
	struct dm_heap *heap = dm_env_heap();

	(void)index;
	if (!heap)
		return 1;
	dm_env_relax();
	*(int *)locked = dm_env_cas(&heap->ctl.lock, 0, 1) == 0;
	return *(int *)locked;
}

DM_INLINE int dm_lock(struct dm_heap *heap)
{
	int locked = 0;

	if (dm_env_single_threaded() || dm_env_cas(&heap->ctl.lock, 0, 1) == 0)
		return 1;
	dm_env_repeat(DM_LOCK_ATTEMPTS - 1, DM_LOCK_ATTEMPTS, dm_lock_retry, &locked);
	if (!locked)
		dm_env_add(&heap->ctl.lock_failures, 1);
	return locked;
}
DM_INLINE void dm_unlock(struct dm_heap *heap)
{
	if (!dm_env_single_threaded())
		dm_env_unlock(&heap->ctl.lock);
}

/* Turns [block, block + size) into a listed free block; the caller has settled both neighbours. */
DM_INLINE void dm_make_free(struct dm_heap *heap, dm_u32 block, dm_u32 size)
{
	dm_write_header(heap, block, size | DM_FREE);
	*dm_footer(heap, block, size) = size;
	dm_list_insert(heap, block, size);
	heap->ctl.c.free_blocks++;
}

/* Makes the heap one free block; the caller holds the lock. Keeps lock_failures, which is not under the lock.
 * An entry point of its own so that the verifier checks it once, not in every caller. */
DM_ENTRY int dm_format_heap(void)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 size = DM_SENTINEL - DM_FIRST;

	if (!heap)
		return -1;

	heap->ctl.c = (struct dm_counters){ 0 };
	heap->ctl.lockless_corruptions = 0;
	heap->ctl.lockless_invalid_frees = 0;
	heap->ctl.first_level = 0;
	__builtin_memset(heap->ctl.second_level, 0, sizeof(heap->ctl.second_level));
	heap->ctl.heads[0] = 0; /* the first-fit list's emptiness */
	heap->ctl.self = (dm_u64)(unsigned long)heap;
	heap->ctl.pool_size = DM_POOL_SIZE;
	heap->ctl.policy = DM_POLICY;
	heap->ctl.align = DM_ALIGN;
	heap->ctl.guard = DM_GUARD;
	heap->ctl.first = DM_FIRST;
	heap->ctl.sentinel = DM_SENTINEL;
	heap->ctl.scan_limit = DM_SCAN;
	heap->ctl.deferred = 0;
	heap->ctl.generation++; /* what the caches hold belongs to the old heap */
	dm_write_header(heap, DM_SENTINEL, DM_PREV_FREE);
	dm_make_free(heap, DM_FIRST, size);
	heap->ctl.magic = DM_MAGIC;
	return 0;
}

/* Takes the lock, formatting a fresh (zeroed) heap on first use. Fails when the heap's memory does not exist yet
 * (an arena heap before dm_arena_init): nothing there may be touched, not even the lock. */
DM_INLINE int dm_acquire(struct dm_heap *heap)
{
	if (!dm_env_ready(heap) || !dm_lock(heap))
		return 0;
	if (heap->ctl.magic != DM_MAGIC)
		dm_format_heap();
	return 1;
}

DM_INLINE void dm_set_prev_free(struct dm_heap *heap, dm_u32 block, dm_u32 word0, int prev_free)
{
	dm_write_header(heap, block, prev_free ? word0 | DM_PREV_FREE : word0 & ~DM_PREV_FREE);
}

DM_INLINE void dm_count_allocated(struct dm_heap *heap, dm_u32 usable)
{
	heap->ctl.c.allocated += usable;
	if (heap->ctl.c.allocated > heap->ctl.c.peak_allocated)
		heap->ctl.c.peak_allocated = heap->ctl.c.allocated;
}

/* Gives back the tail [block + keep, block + size) of a used block (keep < size, the tail >= DM_MIN_BLOCK),
 * merging it with the next block when that one is free. `next_word0` is the validated header at block + size. */
DM_INLINE void dm_release_tail(struct dm_heap *heap, dm_u32 block, dm_u32 keep, dm_u32 size, dm_u32 next_word0)
{
	dm_u32 tail = block + keep, tail_size = size - keep, next = block + size;

	if (next_word0 & DM_FREE) {
		dm_list_remove(heap, next, dm_size(next_word0));
		dm_erase_header(heap, next);
		heap->ctl.c.free_blocks--;
		tail_size += dm_size(next_word0);
	} else {
		dm_set_prev_free(heap, next, next_word0, 1);
	}
	dm_make_free(heap, tail, tail_size);
}

/* Allocates a block of `size` bytes (a dm_block_size); the caller holds the lock. Returns the payload offset or 0. */
DM_INLINE dm_u32 dm_allocate(struct dm_heap *heap, dm_u32 size)
{
	dm_u32 block = size ? (dm_u32)dm_find_free_block(size) : 0, word0, next_word0, have;

	if (!block) {
		heap->ctl.c.failed_allocations++;
		return 0;
	}
	if (dm_read_header(heap, block, &word0) != DM_HEADER_OK || !(word0 & DM_FREE) || dm_size(word0) < size ||
	    dm_read_header(heap, block + dm_size(word0), &next_word0) != DM_HEADER_OK) {
		heap->ctl.c.corruptions++;
		heap->ctl.c.failed_allocations++;
		return 0;
	}
	have = dm_size(word0);
	dm_list_remove(heap, block, have);
	heap->ctl.c.free_blocks--;
	/* The header is written in each branch: joining them first costs the verifier ~75 insns a program. */
	if (have - size >= DM_MIN_BLOCK) {
		/* The next block keeps PREV_FREE: the remainder before it is free. */
		dm_write_header(heap, block, size | (word0 & DM_PREV_FREE));
		dm_make_free(heap, block + size, have - size);
	} else {
		size = have;
		dm_write_header(heap, block, size | (word0 & DM_PREV_FREE));
		dm_set_prev_free(heap, block + size, next_word0, 0);
	}
	heap->ctl.c.used_blocks++;
	heap->ctl.c.allocations++;
	dm_count_allocated(heap, size - DM_HDR);
	*dm_tag_word(heap, block) = 0; /* a tag left from an earlier life of this memory must not mark it parked */
	return block + DM_HDR;
}

/* Validates a payload offset handed back by the user: DM_HEADER_OK when *block and *word0 describe a live block
 * and *next_word0 is the valid header after it; DM_HEADER_NOT_A_BLOCK for misuse (not a block start, double free);
 * DM_HEADER_DAMAGED when this block's or the next header was overwritten. */
DM_INLINE enum dm_header_status dm_live_block(struct dm_heap *heap, dm_u64 payload, dm_u32 *block, dm_u32 *word0,
					      dm_u32 *next_word0)
{
	enum dm_header_status status;

	if (payload < DM_FIRST + DM_HDR || payload >= DM_SENTINEL || (payload & (DM_ALIGN - 1)))
		return DM_HEADER_NOT_A_BLOCK;
	*block = (dm_u32)payload - DM_HDR;
	status = dm_read_header(heap, *block, word0);
	if (status != DM_HEADER_OK)
		return status;
	if ((*word0 & DM_FREE) || dm_is_parked(heap, *block))
		return DM_HEADER_NOT_A_BLOCK; /* double free */
	if (dm_read_header(heap, *block + dm_size(*word0), next_word0) != DM_HEADER_OK ||
	    (*next_word0 & DM_PREV_FREE))
		return DM_HEADER_DAMAGED;
	return DM_HEADER_OK;
}

/* Counts a refused free/realloc; returns nonzero when there was one. */
DM_INLINE int dm_refused(struct dm_heap *heap, enum dm_header_status status)
{
	if (status == DM_HEADER_NOT_A_BLOCK)
		heap->ctl.c.invalid_frees++;
	else if (status == DM_HEADER_DAMAGED)
		heap->ctl.c.corruptions++;
	return status != DM_HEADER_OK;
}

/* Frees the live block at payload offset `payload`; the caller holds the lock. */
DM_INLINE void dm_release(struct dm_heap *heap, dm_u64 payload)
{
	dm_u32 block, word0, next_word0, size, prev = 0, prev_word0 = 0;

	if (dm_refused(heap, dm_live_block(heap, payload, &block, &word0, &next_word0)))
		return;
	size = dm_size(word0);
	if (word0 & DM_PREV_FREE) {
		dm_u32 prev_size = *dm_word(heap, block - 4);

		prev = block - prev_size;
		if (prev_size > block || dm_read_header(heap, prev, &prev_word0) != DM_HEADER_OK ||
		    !(prev_word0 & DM_FREE) || dm_size(prev_word0) != prev_size) {
			heap->ctl.c.corruptions++;
			return;
		}
	}
	heap->ctl.c.used_blocks--;
	heap->ctl.c.frees++;
	heap->ctl.c.allocated -= size - DM_HDR;
	if (prev) {
		dm_list_remove(heap, prev, dm_size(prev_word0));
		heap->ctl.c.free_blocks--;
		dm_erase_header(heap, block);
		block = prev;
		size += dm_size(prev_word0);
	}
	/* The merged block's predecessor is used (free neighbours are always merged): no PREV_FREE on it. */
	dm_release_tail(heap, block, 0, size, next_word0);
}

/* realloc in place, `size` a dm_block_size (0: too large for any block). Returns the payload offset when the block
 * now has `size` bytes; 0 when it must move (*usable = its usable size) or was refused (*usable = 0, counted). */
DM_INLINE dm_u32 dm_resize(struct dm_heap *heap, dm_u64 payload, dm_u32 size, dm_u32 *usable)
{
	dm_u32 block, word0, next_word0, have;

	*usable = 0;
	if (dm_refused(heap, dm_live_block(heap, payload, &block, &word0, &next_word0)))
		return 0;
	if (!size) {
		heap->ctl.c.failed_allocations++;
		return 0;
	}
	have = dm_size(word0);
	*usable = have - DM_HDR;
	if (size > have && (next_word0 & DM_FREE) && have + dm_size(next_word0) >= size) {
		dm_u32 next = block + have, after_word0;

		/* Absorb the free next block; the one after it is used and loses its PREV_FREE below or in the split. */
		if (dm_read_header(heap, next + dm_size(next_word0), &after_word0) != DM_HEADER_OK) {
			heap->ctl.c.corruptions++;
			return 0;
		}
		dm_list_remove(heap, next, dm_size(next_word0));
		dm_erase_header(heap, next);
		heap->ctl.c.free_blocks--;
		have += dm_size(next_word0);
		dm_write_header(heap, block, have | (word0 & DM_PREV_FREE));
		dm_set_prev_free(heap, block + have, after_word0, 0);
		next_word0 = after_word0 & ~DM_PREV_FREE;
	}
	if (size > have)
		return 0;
	if (have - size >= DM_MIN_BLOCK) {
		dm_write_header(heap, block, size | (word0 & DM_PREV_FREE));
		dm_release_tail(heap, block, size, have, next_word0);
		have = size;
	}
	/* Counted once, at the final size, so that the peak never includes a tail split off again. */
	heap->ctl.c.allocated -= *usable;
	dm_count_allocated(heap, have - DM_HDR);
	return block + DM_HDR;
}

/* ========================================= Internal: parked blocks ============================================ */
/* Blocks the allocator holds for later: a front-end cache's lists, and frees that could not take the lock. */

/* Gives a parked block back to the heap (the caller holds the lock); 0 when it no longer carries its tag (a write
 * after free damaged the list it was in: counted, and the rest of that list is lost to the heap). */
DM_INLINE int dm_unpark(struct dm_heap *heap, dm_u32 block)
{
	if (!dm_is_parked(heap, block)) {
		heap->ctl.c.corruptions++;
		return 0;
	}
	*dm_tag_word(heap, block) = 0;
	dm_release(heap, block + DM_HDR);
	return 1;
}

/* Completes the deferred free at the top of the list, if any; the caller holds the lock. Others may push meanwhile
 * (then the compare-and-swap fails and the block waits for the next lock holder); only the lock holder pops, so the
 * top cannot be popped and pushed again under its feet. Returns 1 when one was completed. */
DM_INLINE int dm_complete_one(struct dm_heap *heap)
{
	dm_u32 block = heap->ctl.deferred;

	if (!block || dm_env_cas(&heap->ctl.deferred, block, *dm_word(heap, block + DM_HDR)) != block)
		return 0;
	dm_unpark(heap, block);
	return 1;
}
static long dm_complete_step(dm_u64 index, void *ctx)
{
	struct dm_heap *heap = dm_env_heap();

	(void)index, (void)ctx;
	return !heap || !dm_complete_one(heap);
}
/* Completes every deferred free; the caller holds the lock. Each malloc and free of the heap itself completes one;
 * statistics, checks and trims complete them all. An entry point so that the verifier checks its loop once. */
DM_ENTRY int dm_complete_deferred(void)
{
	/* One bpf_loop call's worth (the rest, if ever, waits for the next lock holder): a bound that does not depend
	 * on the pool size keeps the verifier's work flat. */
	dm_env_repeat(DM_LOOP_MAX, DM_LOOP_MAX, dm_complete_step, NULL);
	return 0;
}

/* Whether `payload` is a live block, judged without the lock. A lock holder may be rewriting this very header (the
 * PREV_FREE bit, when a neighbour changes): a torn read fails its check word, so a pass can be trusted and a failure
 * is read again. */
#define DM_UNLOCKED_READS 4
DM_INLINE int dm_live_unlocked(struct dm_heap *heap, dm_u64 payload)
{
	dm_u32 block = (dm_u32)payload - DM_HDR;

	if (payload < DM_FIRST + DM_HDR || payload >= DM_SENTINEL || (payload & (DM_ALIGN - 1)))
		return 0;
	for (int read = 0; read < DM_UNLOCKED_READS; read++) {
		dm_u64 got = dm_get_header(block);

		if (!(got >> 32))
			return !(got & DM_FREE) && !dm_is_parked(heap, block);
	}
	return 0;
}

/* One attempt at pushing job[0] onto the deferred list (a loop body); job[1] = 1 once it is there. */
static long dm_defer_step(dm_u64 index, void *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 *job = ctx, head;

	(void)index;
	if (!heap)
		return 1;
	head = heap->ctl.deferred;
	*dm_word(heap, job[0] + DM_HDR) = head;
	job[1] = dm_env_cas(&heap->ctl.deferred, head, job[0]) == head;
	return job[1];
}
/* A free whose lock could not be taken: the block is parked on the deferred list, lock-free, and the next lock holder
 * completes it, so that no free is lost to contention. Only an implausible run of DM_DEFER_ATTEMPTS pushes by others
 * between each read and compare-and-swap could make it fail (counted in lock_failures). */
#ifndef DM_DEFER_ATTEMPTS
#define DM_DEFER_ATTEMPTS 4096
#endif
DM_INLINE void dm_defer(struct dm_heap *heap, dm_u64 payload)
{
	dm_u32 job[2] = { (dm_u32)payload - DM_HDR, 0 };

	if (!dm_env_ready(heap))
		return;
	if (!dm_live_unlocked(heap, payload)) {
		dm_env_add(&heap->ctl.lockless_invalid_frees, 1);
		return;
	}
	*dm_tag_word(heap, job[0]) = dm_parked_tag(job[0]);
	dm_env_repeat(DM_DEFER_ATTEMPTS, DM_DEFER_ATTEMPTS, dm_defer_step, job);
	if (!job[1]) {
		*dm_tag_word(heap, job[0]) = 0;
		dm_env_add(&heap->ctl.lock_failures, 1);
	}
}

DM_INLINE dm_u32 dm_cache_class(dm_u32 block_size) { return (block_size - DM_MIN_BLOCK) >> DM_ALIGN_LOG2; }
DM_INLINE dm_u32 *dm_cache_head(struct dm_cache *cache, dm_u32 cls)
{
	return &cache->heads[dm_env_bounded(cls, DM_CACHE_CLASSES)];
}
DM_INLINE dm_u8 *dm_cache_count(struct dm_cache *cache, dm_u32 cls)
{
	return &cache->counts[dm_env_bounded(cls, DM_CACHE_CLASSES)];
}

/* Parks the used block `block` of `size` bytes (class `cls`) on top of its list; the caller holds the cache. */
DM_INLINE void dm_cache_push(struct dm_heap *heap, struct dm_cache *cache, dm_u32 block, dm_u32 cls, dm_u32 size)
{
	dm_u32 *head = dm_cache_head(cache, cls);

	*dm_word(heap, block + DM_HDR) = *head;
	*dm_tag_word(heap, block) = dm_parked_tag(block);
	*head = block;
	*dm_cache_count(cache, cls) += 1;
	cache->blocks++;
	cache->bytes += size;
}

/* Refills the empty list of blocks of `piece_size` bytes (a block size) in `cache`: one block of DM_CACHE_REFILL
 * times the size taken from the heap and cut in pieces, all but the last parked, the last returned (its payload
 * offset; it keeps whatever the heap added to the block). 0 when the cache or the heap has no room for it. The
 * caller holds the lock and the cache. */
DM_INLINE dm_u32 dm_cache_refill(struct dm_heap *heap, struct dm_cache *cache, dm_u32 piece_size)
{
	dm_u32 cls = dm_cache_class(piece_size), block, word0, last, i;
	dm_u64 peak;

	if (DM_CACHE_REFILL < 2 || DM_CACHE_LIMIT == 0 || piece_size > DM_CACHE_MAX_BLOCK ||
	    *dm_cache_head(cache, cls) || *dm_cache_count(cache, cls) + DM_CACHE_REFILL - 1 > DM_CACHE_COUNT ||
	    cache->bytes + (DM_CACHE_REFILL - 1) * piece_size > DM_CACHE_BYTES ||
	    heap->ctl.c.allocated + DM_CACHE_REFILL * piece_size > DM_CACHE_HIGH_WATER)
		return 0;
	peak = heap->ctl.c.peak_allocated; /* dm_allocate counts one header where the pieces have R */
	block = dm_allocate(heap, DM_CACHE_REFILL * piece_size);
	if (!block) {
		heap->ctl.c.failed_allocations--; /* not the program's request: the heap itself takes that next */
		return 0;
	}
	block -= DM_HDR;
	word0 = *dm_word(heap, block); /* valid: dm_allocate has just written it, under the lock */
	/* Headers stored here, not through dm_put_header: no call to keep values alive across, a smaller stack frame
	 * (Linux 6.1 allows 512 bytes for a program's frames and its callees' together). */
	last = block + (DM_CACHE_REFILL - 1) * piece_size;
	dm_store_header(heap, last, dm_size(word0) - (DM_CACHE_REFILL - 1) * piece_size);
	*dm_tag_word(heap, last) = 0;
	dm_store_header(heap, block, piece_size | (word0 & DM_PREV_FREE));
	for (i = 0; i < DM_CACHE_REFILL - 1; i++) {
		if (i)
			dm_store_header(heap, block + i * piece_size, piece_size);
		dm_cache_push(heap, cache, block + i * piece_size, cls, piece_size);
	}
	/* The pieces are allocations to the heap (static_check's counts hold), not to the program: `refilled` takes
	 * them off the caches' hits in dm_stats. */
	heap->ctl.c.used_blocks += DM_CACHE_REFILL - 1;
	heap->ctl.c.allocations += DM_CACHE_REFILL - 1;
	heap->ctl.c.allocated -= (DM_CACHE_REFILL - 1) * DM_HDR; /* R headers where one was counted */
	heap->ctl.c.peak_allocated = heap->ctl.c.allocated > peak ? heap->ctl.c.allocated : peak;
	cache->refilled += DM_CACHE_REFILL - 1;
	return last + DM_HDR;
}

/* One parked block of this CPU's or thread's cache given back to the heap (a loop body); the caller holds the lock
 * and the cache. */
static long dm_flush_step(dm_u64 index, void *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_cache *cache = dm_env_cache();
	dm_u32 *cls = ctx, block, size;

	(void)index;
	if (!heap || !cache || *cls >= DM_CACHE_CLASSES)
		return 1;
	block = *dm_cache_head(cache, *cls);
	if (!block) {
		*cls += 1;
		return 0;
	}
	size = DM_MIN_BLOCK + (*cls << DM_ALIGN_LOG2);
	*dm_cache_head(cache, *cls) = *dm_word(heap, block + DM_HDR);
	if (dm_unpark(heap, block)) {
		cache->returned++;
		cache->blocks--;
		cache->bytes -= size;
		*dm_cache_count(cache, *cls) -= 1;
	} else { /* the rest of this list cannot be trusted: it stays with the heap as used blocks */
		*dm_cache_head(cache, *cls) = 0;
		cache->blocks -= *dm_cache_count(cache, *cls);
		cache->bytes -= size * *dm_cache_count(cache, *cls);
		*dm_cache_count(cache, *cls) = 0;
	}
	return 0;
}
/* Gives every block of the calling CPU's or thread's cache (dm_env_cache(), which each step looks up again: a loop
 * body in BPF gets no map pointer) back to the heap; the caller holds the lock and the cache. */
DM_INLINE void dm_cache_flush(void)
{
	dm_u32 cls = 0;

	dm_env_repeat(DM_CACHE_CLASSES * (DM_CACHE_COUNT + 1), DM_CACHE_CLASSES * (DM_CACHE_COUNT + 1), dm_flush_step,
		      &cls);
}

/* A cache that belongs to an older heap (formatted again since) is emptied of what it thinks it holds. The caller
 * holds the lock and the cache. */
DM_INLINE void dm_cache_sync(struct dm_heap *heap, struct dm_cache *cache)
{
	if (cache->generation == heap->ctl.generation)
		return;
	__builtin_memset(cache->heads, 0, sizeof(cache->heads));
	__builtin_memset(cache->counts, 0, sizeof(cache->counts));
	cache->blocks = cache->bytes = 0;
	cache->hits = cache->parks = cache->returned = cache->refilled = 0;
	cache->generation = heap->ctl.generation;
	dm_env_cache_adopt(heap, cache);
}

/* The caches' contents and counters, summed over every CPU or thread (a loop body per cache). Other CPUs' and
 * threads' caches are read as they are: exact when they are not in use. */
struct dm_cache_sums {
	dm_u64 blocks, bytes;
	dm_u64 hits; /* allocations the caches added to the heap's count: their hits less the blocks they refilled */
	dm_u64 parks, returned;
	dm_u32 generation;
};
static long dm_sum_cache_step(dm_u64 index, void *ctx)
{
	struct dm_cache_sums *sums = ctx;
	struct dm_heap *heap = dm_env_heap();
	struct dm_cache *cache;

	if (!heap || !(cache = dm_env_cache_of(heap, (dm_u32)index)))
		return 1;
	if (cache->generation == sums->generation) {
		sums->blocks += cache->blocks;
		sums->bytes += cache->bytes;
		sums->hits += cache->hits - cache->refilled;
		sums->parks += cache->parks;
		sums->returned += cache->returned;
	}
	return 0;
}
DM_INLINE struct dm_cache_sums dm_cache_totals(struct dm_heap *heap)
{
	struct dm_cache_sums sums = { .generation = heap->ctl.generation };

	dm_env_repeat(DM_MAX_CACHES, DM_MAX_CACHES, dm_sum_cache_step, &sums);
	sums.hits += heap->ctl.c.retired_hits;
	sums.parks += heap->ctl.c.retired_parks;
	sums.returned += heap->ctl.c.retired_returned;
	return sums;
}

/* ============================================= Internal: static_check ============================================ */

/* One block of the physical walk; stops at the sentinel or at the first broken invariant. */
static long dm_check_block(dm_u64 index, void *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_walk *walk;
	dm_u32 word0, block, size, next, prev;

	(void)index, (void)ctx;
	if (!heap)
		return 1;
	walk = &heap->ctl.walk;
	block = walk->block;
	if (dm_read_header(heap, block, &word0) != DM_HEADER_OK) {
		walk->result = (dm_u64)(long)(block == DM_SENTINEL ? DM_CHECK_SENTINEL : DM_CHECK_HEADER);
		return 1;
	}
	if (!(word0 & DM_PREV_FREE) != !walk->prev_free) {
		walk->result = (dm_u64)(long)DM_CHECK_PREV_FREE;
		return 1;
	}
	if (block == DM_SENTINEL) {
		walk->result = (dm_u64)(long)DM_CHECK_OK;
		return 1;
	}
	size = dm_size(word0);
	if (word0 & DM_FREE) {
		if (walk->prev_free) {
			walk->result = (dm_u64)(long)DM_CHECK_ADJACENT_FREE;
			return 1;
		}
		if (*dm_footer(heap, block, size) != size) {
			walk->result = (dm_u64)(long)DM_CHECK_FOOTER;
			return 1;
		}
		next = *dm_next_link(heap, block);
		prev = *dm_prev_link(heap, block);
		if ((next && (*dm_prev_link(heap, next) != block || dm_class(dm_size(dm_word(heap, next)[0])) !=
									     dm_class(size))) ||
		    (prev ? *dm_next_link(heap, prev) != block : dm_first_block(heap, dm_class(size)) != block)) {
			walk->result = (dm_u64)(long)DM_CHECK_LIST;
			return 1;
		}
		walk->free++;
	} else {
		walk->used++;
		walk->allocated += size - DM_HDR;
		walk->parked += (dm_u64)dm_is_parked(heap, block);
	}
	walk->prev_free = word0 & DM_FREE;
	walk->block = block + size;
	return 0;
}

/* One step of the walk over every free list: counts listed blocks (a list that does not end, or holds a block
 * that is not free, is reported) and checks each class's bitmap bit. */
static long dm_check_list_step(dm_u64 index, void *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_walk *walk;
	dm_u32 word0;

	(void)index, (void)ctx;
	if (!heap)
		return 1;
	walk = &heap->ctl.walk;
	if (!walk->cur) {
		if (++walk->cls >= DM_CLASSES)
			return 1;
		walk->cur = dm_first_block(heap, walk->cls);
		if (dm_class_nonempty(heap, walk->cls) && !walk->cur) {
			walk->result = (dm_u64)(long)DM_CHECK_BITMAP; /* marked non-empty, but no list */
			return 1;
		}
		return 0;
	}
	if (dm_read_header(heap, walk->cur, &word0) != DM_HEADER_OK || !(word0 & DM_FREE) ||
	    ++walk->listed > walk->free) {
		walk->result = (dm_u64)(long)DM_CHECK_LIST;
		return 1;
	}
	walk->cur = *dm_next_link(heap, walk->cur);
	return 0;
}

DM_INLINE int dm_check_locked(struct dm_heap *heap)
{
	struct dm_walk *walk = &heap->ctl.walk;
	const struct dm_counters *c = &heap->ctl.c;

	*walk = (struct dm_walk){ .block = DM_FIRST, .result = (dm_u64)(long)DM_CHECK_SENTINEL };
	dm_env_repeat(DM_MAX_BLOCKS, DM_MAX_BLOCKS, dm_check_block, NULL);
	if (walk->result)
		return (int)walk->result;
#if DM_POLICY == DM_POLICY_SEGREGATED
	for (dm_u32 fl = 0; fl < DM_FL_COUNT; fl++)
		if (!(heap->ctl.first_level & (1u << fl)) != !heap->ctl.second_level[fl])
			return DM_CHECK_BITMAP;
	if (heap->ctl.first_level >> DM_FL_COUNT)
		return DM_CHECK_BITMAP;
#endif
	walk->cls = (dm_u32)-1;
	walk->cur = 0;
	dm_env_repeat(walk->free + DM_CLASSES + 1, DM_MAX_BLOCKS + DM_CLASSES + 1, dm_check_list_step, NULL);
	if (walk->result)
		return (int)walk->result;
	if (walk->listed != walk->free)
		return DM_CHECK_LIST;
	if (walk->used != c->used_blocks || walk->free != c->free_blocks || walk->allocated != c->allocated ||
	    c->allocations - c->frees != c->used_blocks)
		return DM_CHECK_COUNTS;
	if (walk->parked != dm_cache_totals(heap).blocks)
		return DM_CHECK_CACHE;
	return DM_CHECK_OK;
}

/* =========================================== Offset-level entry points =========================================== */
/* What the public functions call. In BPF these are the global subprograms: scalars in, scalars out. */

/* Allocates `size` bytes; returns the payload offset, or 0. */
DM_INLINE dm_u64 dm_heap_malloc(struct dm_heap *heap, dm_u64 size)
{
	dm_u32 block_size = dm_block_size(size);
	struct dm_cache *cache;
	dm_u32 off;

	if (!dm_env_ready(heap)) {
		dm_env_refuse();
		return 0;
	}
	if (!dm_acquire(heap))
		return 0;
	dm_complete_one(heap);
	cache = dm_env_cache();
	if (cache && !dm_env_cache_enter(cache))
		cache = NULL;
	if (cache)
		dm_cache_sync(heap, cache);
	off = dm_allocate(heap, block_size);
	if (!off && block_size && cache && cache->blocks) {
		/* What this CPU or thread parked may be what the request needs: give it back and try again. */
		heap->ctl.c.failed_allocations--;
		dm_cache_flush();
		off = dm_allocate(heap, block_size);
	}
	if (cache)
		dm_env_cache_leave(cache);
	dm_unlock(heap);
	return off;
}
DM_ENTRY dm_u64 dm_malloc_off(dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();

	return heap ? dm_heap_malloc(heap, size) : 0;
}

/* A malloc of `size` (at most DM_CACHE_LIMIT) that found its cache list empty: refills the list (dm_cache_refill)
 * and returns the request's block, or 0 when there is no room for a refill (the caller then asks dm_malloc_off).
 * Called from the fast path, not from dm_malloc_off: in BPF its frame then never sits below the slow path's (Linux
 * 6.1 allows 512 bytes for a program's frames and its callees' together). */
DM_ENTRY dm_u64 dm_refill_off(dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_cache *cache = dm_env_cache();
	dm_u32 off = 0;

	if (!heap || !cache || !dm_env_ready(heap) || !dm_acquire(heap))
		return 0;
	if (dm_env_cache_enter(cache)) {
		dm_cache_sync(heap, cache);
		off = dm_cache_refill(heap, cache, dm_block_size(size));
		dm_env_cache_leave(cache);
	}
	dm_unlock(heap);
	return off;
}

/* Frees the block at payload offset `off` (static_free has dealt with NULL: offset 0 is the control block). A free
 * whose lock cannot be taken is deferred, never dropped. */
DM_INLINE void dm_heap_free(struct dm_heap *heap, dm_u64 off)
{
	if (!dm_acquire(heap)) {
		dm_defer(heap, off);
		return;
	}
	dm_complete_one(heap);
	dm_release(heap, off);
	dm_unlock(heap);
}
DM_ENTRY int dm_free_off(dm_u64 off)
{
	struct dm_heap *heap = dm_env_heap();

	if (heap)
		dm_heap_free(heap, off);
	return 0;
}

/* Resizes in place. Returns `off` on success, 0 on refusal or failure, or DM_MOVE | old usable size when the caller
 * must allocate, copy and free. */
#define DM_MOVE (1ull << 63)
DM_ENTRY dm_u64 dm_resize_off(dm_u64 off, dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 usable, result;

	if (!heap || !dm_acquire(heap))
		return 0;
	result = dm_resize(heap, off, dm_block_size(size), &usable);
	dm_unlock(heap);
	return result ? result : usable ? DM_MOVE | usable : 0;
}

/* Copies `len` bytes from payload offset `src` to `dst`, or zeroes them when `src` is 0. An entry point of its own
 * so that in BPF its loops are checked once, not in every program path that reallocates or callocs. */
DM_ENTRY int dm_copy_off(dm_u64 dst, dm_u64 src, dm_u64 len)
{
	struct dm_heap *heap = dm_env_heap();

	if (!heap)
		return -1;
	if (src)
		dm_env_copy(heap, (dm_u32)dst, (dm_u32)src, (dm_u32)len);
	else
		dm_env_zero(heap, (dm_u32)dst, (dm_u32)len);
	return 0;
}

/* Usable size of the live block at `off`, or 0. */
DM_ENTRY dm_u64 dm_usable_off(dm_u64 off)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 block, word0, next_word0;
	dm_u64 usable = 0;

	if (!heap || !dm_acquire(heap))
		return 0;
	if (dm_live_block(heap, off, &block, &word0, &next_word0) == DM_HEADER_OK)
		usable = dm_size(word0) - DM_HDR; /* asking is not misuse: nothing is counted */
	dm_unlock(heap);
	return usable;
}

DM_ENTRY int dm_check_heap(void)
{
	struct dm_heap *heap = dm_env_heap();
	int result;

	if (!heap || !dm_acquire(heap))
		return DM_CHECK_LOCK;
	dm_complete_deferred();
	result = dm_check_locked(heap);
	dm_unlock(heap);
	return result;
}

DM_ENTRY int dm_stats_into(struct dm_stats *out)
{
	struct dm_heap *heap = dm_env_heap();
	const struct dm_counters *c;
	struct dm_cache_sums cached;
	int locked;

	if (!out)
		return -1;
	if (!dm_env_ready(heap)) {
		*out = (struct dm_stats){ .capacity = DM_CAPACITY, .failed_allocations = dm_env_refused() };
		return -1;
	}
	locked = dm_acquire(heap);
	if (locked)
		dm_complete_deferred();
	c = &heap->ctl.c;
	cached = dm_cache_totals(heap);
	/* Parked blocks are used blocks to the heap and free ones to the program: counted here as the latter. */
	out->capacity = DM_CAPACITY;
	out->allocated = c->allocated - (cached.bytes - DM_HDR * cached.blocks);
	out->peak_allocated = c->peak_allocated;
	out->used_blocks = c->used_blocks - cached.blocks;
	out->free_blocks = c->free_blocks;
	/* Block bytes add up to the capacity plus the first header: what is neither used nor a header is free. */
	out->free = DM_CAPACITY + DM_HDR - c->allocated - DM_HDR * (c->used_blocks + c->free_blocks) + cached.bytes;
	out->largest_free = heap->ctl.magic == DM_MAGIC ? dm_largest_request(heap) : DM_CAPACITY;
	out->allocations = c->allocations + cached.hits;
	out->frees = c->frees + cached.parks - cached.returned;
	out->failed_allocations = c->failed_allocations + dm_env_refused();
	out->invalid_frees = c->invalid_frees + heap->ctl.lockless_invalid_frees;
	out->corruptions = c->corruptions + heap->ctl.lockless_corruptions;
	out->lock_failures = heap->ctl.lock_failures;
	out->cached_blocks = cached.blocks;
	out->cached_bytes = cached.bytes;
	if (locked)
		dm_unlock(heap);
	return locked ? 0 : -1;
}

/* Gives this CPU's or thread's parked blocks back to the heap. */
DM_ENTRY int dm_trim_heap(void)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_cache *cache = dm_env_cache();

	if (!heap || !cache || !dm_acquire(heap))
		return -1;
	dm_complete_deferred();
	if (dm_env_cache_enter(cache)) {
		dm_cache_sync(heap, cache);
		dm_cache_flush();
		dm_env_cache_leave(cache);
	}
	dm_unlock(heap);
	return 0;
}

DM_ENTRY int dm_reset_heap(void)
{
	struct dm_heap *heap = dm_env_heap();

	if (!dm_env_ready(heap) || !dm_lock(heap))
		return -1;
	dm_format_heap();
	dm_unlock(heap);
	return 0;
}

/* ======================================= Front end: the inline fast path ======================================= */
/* What static_malloc and static_free compile to at the call site: no lock, no subprogram call, no loop. Anything out
 * of the ordinary (no block of that size parked, a cache full or in use by an interrupted program, a header that does
 * not check out) returns 0 and the heap itself takes the request, under its lock. */

/* A parked block of the exact size `size` asks for, as a payload offset, or 0. */
DM_INLINE dm_u32 dm_cache_malloc(struct dm_heap *heap, dm_u64 size)
{
	struct dm_cache *cache;
	dm_u32 cls, block, *head;

	if (DM_CACHE_LIMIT == 0 || size > DM_CACHE_LIMIT || !(cache = dm_env_cache()))
		return 0;
	cls = dm_cache_class(dm_block_size(size));
	if (!dm_env_cache_enter(cache))
		return 0;
	head = dm_cache_head(cache, cls);
	block = *head;
	if (!block || cache->generation != heap->ctl.generation) {
		block = 0;
	} else if (!dm_is_parked(heap, block)) { /* written after it was freed: the list cannot be trusted */
		*head = 0;
		*dm_cache_count(cache, cls) = 0;
		dm_env_add(&heap->ctl.lockless_corruptions, 1);
		block = 0;
	} else {
		*head = *dm_word(heap, block + DM_HDR);
		*dm_tag_word(heap, block) = 0;
		*dm_cache_count(cache, cls) -= 1;
		cache->blocks--;
		cache->bytes -= DM_MIN_BLOCK + (cls << DM_ALIGN_LOG2);
		cache->hits++;
	}
	dm_env_cache_leave(cache);
	return block ? block + DM_HDR : 0;
}

/* Parks the block at payload offset `payload` in this CPU's or thread's cache; 0 when the heap must take it. */
DM_INLINE int dm_cache_free(struct dm_heap *heap, dm_u64 payload)
{
	struct dm_cache *cache;
	dm_u32 block = (dm_u32)payload - DM_HDR, word0, next, cls;
	dm_u64 got, after;
	int parked = 0;

	if (DM_CACHE_LIMIT == 0 || payload < DM_FIRST + DM_HDR || payload >= DM_SENTINEL ||
	    (payload & (DM_ALIGN - 1)) || !(cache = dm_env_cache()))
		return 0;
	/* A live block of a cached size, not parked already (double free), and the header after it intact (an overflow
	 * is for the heap to find and count). Read without the lock: a torn read fails the check and goes to the heap. */
	got = dm_header_of(heap, block);
	word0 = (dm_u32)got;
	if ((got >> 32) || (word0 & DM_FREE) || dm_size(word0) > DM_CACHE_MAX_BLOCK || dm_is_parked(heap, block))
		return 0;
	next = block + dm_size(word0);
	after = dm_header_of(heap, next);
	if ((after >> 32) || (after & DM_PREV_FREE))
		return 0;
	cls = dm_cache_class(dm_size(word0));
	if (!dm_env_cache_enter(cache))
		return 0;
	if (cache->generation == heap->ctl.generation && *dm_cache_count(cache, cls) < DM_CACHE_COUNT &&
	    cache->bytes + dm_size(word0) <= DM_CACHE_BYTES && heap->ctl.c.allocated <= DM_CACHE_HIGH_WATER) {
		dm_cache_push(heap, cache, block, cls, dm_size(word0));
		cache->parks++;
		parked = 1;
	}
	dm_env_cache_leave(cache);
	return parked;
}

/* The two operations as the API calls them: the fast path, then the heap itself when the fast path does not serve.
 * In BPF either one global subprogram does all of it inline (one call per operation), or the fast path sits at the
 * call site and the heap is one call away (DM_INLINE_FAST_PATH). */
DM_FAST_ENTRY dm_u64 dm_front_malloc(dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u64 off;

	if (!heap)
		return 0;
	off = dm_cache_malloc(heap, size);
	if (!off && DM_CACHE_REFILL > 1 && size <= DM_CACHE_LIMIT)
		off = dm_refill_off(size);
	if (off)
		return off;
	return DM_INLINE_FAST_PATH ? dm_malloc_off(size) : dm_heap_malloc(heap, size);
}
DM_FAST_ENTRY int dm_front_free(dm_u64 off)
{
	struct dm_heap *heap = dm_env_heap();

	if (!heap || dm_cache_free(heap, off))
		return 0;
	if (DM_INLINE_FAST_PATH)
		dm_free_off(off);
	else
		dm_heap_free(heap, off);
	return 0;
}

#if !defined(__bpf__)
/* A thread's cache when the thread exits: its blocks go back to the heap and its counters to the heap's, and it
 * leaves the registry. */
static void dm_cache_retire(void *arg)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_cache *cache = arg;
	dm_u64 *link;

	if (!dm_acquire(heap))
		return;
	if (cache->generation == heap->ctl.generation) {
		dm_cache_flush();
		heap->ctl.c.retired_hits += cache->hits - cache->refilled;
		heap->ctl.c.retired_parks += cache->parks;
		heap->ctl.c.retired_returned += cache->returned;
	}
	for (link = &heap->ctl.registry; *link; link = &((struct dm_cache *)(uintptr_t)*link)->next)
		if (*link == (dm_u64)(uintptr_t)cache) {
			*link = cache->next;
			break;
		}
	*cache = (struct dm_cache){ 0 };
	dm_unlock(heap);
}
#endif

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
	dm_u64 off;

	if (!heap)
		return NULL;
	off = dm_front_malloc(size);
	return dm_env_payload(heap, off);
}

/*
 * static_free: frees a block returned by static_malloc/calloc/realloc; static_free(NULL) does nothing.
 * A pointer that is not the start of a live block (double free, interior pointer, outside the pool, misaligned)
 * is refused: invalid_frees is counted and nothing else changes. A block whose header or neighbours' headers were
 * damaged (e.g. by writing past its end) is left as it is and corruptions is counted. Time: constant.
 * In BPF, `ptr` must be a pointer the verifier knows (use DM_PTR() on one loaded from memory).
 */
DM_INLINE void static_free(void DM_AS *ptr)
{
	struct dm_heap *heap = dm_env_heap();

	if (ptr && heap)
		dm_front_free(dm_env_off(heap, ptr));
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
	off = dm_malloc_off(bytes);
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
	moved = dm_malloc_off(size);
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
