/* SPDX-License-Identifier: MIT */
/* dynamic_memory/layout.h: the heap's memory layout: the control block, the caches, the pool, the first block and
 * the sentinel. Every layer below reads it; userspace readers (user/heap_reader.c) read it too.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_LAYOUT_H
#define DYNAMIC_MEMORY_LAYOUT_H

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
	/* Read on every operation, written when the heap is formatted (and `registry` when a thread first uses it). */
	dm_u32 magic;         /* DM_MAGIC once initialised; a zeroed map value is an uninitialised heap */
	dm_u32 generation;    /* formats so far: a cache filled under another generation is stale (0: never formatted) */
	dm_u64 self;          /* the heap's own address, as a number: base of DM_PTR re-derivation */
	dm_u64 registry;      /* native: the first registered thread cache (an address), under the lock */
	dm_u32 pool_size;     /* DM_POOL_SIZE, so that a reader can tell which build made the heap */
	dm_u32 policy;        /* DM_POLICY */
	dm_u32 align;         /* DM_ALIGN */
	dm_u32 guard;         /* DM_GUARD */
	dm_u32 first;         /* offset of the first block header: readers walk the blocks from here... */
	dm_u32 sentinel;      /* ...to the sentinel, whatever the configuration that built the heap */
	dm_u32 scan_limit;    /* DM_SCAN: the bound of the list walks, for readers of a heap another build made */
	dm_u32 crowded;       /* allocated > DM_CACHE_HIGH_WATER as of the last unlock: frees are not parked then */
	/* Written by every lock holder and by lock-free pushes: from here on, apart from the fields above, so that the
	 * fast path's reads of those do not miss whenever another CPU or thread takes the lock. */
	dm_u32 lock __attribute__((aligned(64))); /* 0 = free, 1 = held */
	dm_u32 deferred;      /* frees that could not take the lock: blocks linked through their payloads, pushed with
			       * compare-and-swap, completed by the next lock holder (dm_acquire) */
	dm_u64 lock_failures; /* updated atomically, outside the lock */
	dm_u64 lockless_corruptions;   /* damaged cache lists found by the fast path (atomic, outside the lock) */
	dm_u64 lockless_invalid_frees; /* frees refused while the lock was held elsewhere (atomic, outside the lock) */
	struct dm_walk walk;  /* static_check's scratch, used under the lock */
	struct dm_counters c;
	dm_u32 first_level;   /* segregated: bit f set iff second_level[f] != 0 */
	dm_u32 second_level[DM_CLASSES / (DM_POLICY == DM_POLICY_SEGREGATED ? 1u << (DM_SL_LOG2) : 1u)];
	dm_u32 heads[DM_CLASSES]; /* free-list heads (pool offsets of block headers), valid while marked non-empty */
} __attribute__((aligned(64)));

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

/* Arena heap: the heap starts this far into its arena's 4 GiB window (the low 32 bits of its address, all that the
 * kernel's arena pointers keep), whatever the pool size and DM_ARENA_GLOBALS: userspace readers (dm stat,
 * user/heap_reader.h) find it from the arena's address alone. Never 0, which the kernel's pointer casts take for NULL. */
#define DM_ARENA_HEAP_LOW (1u << 30)

#endif /* DYNAMIC_MEMORY_LAYOUT_H */
