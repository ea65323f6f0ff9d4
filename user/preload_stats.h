/* SPDX-License-Identifier: MIT */
/*
 * The live-metrics file of a process running on libdynamic_memory.so (user/preload.c), and what dm reads from it.
 *
 * The file (/dev/shm/dm-PID, or DM_STATS=PATH) is two pages:
 *   page 0  struct dm_preload_info: who owns the heap, where it is, the pool asked for, the DM_FALLBACK counters
 *   page 1  the heap's first page, control block included, mapped MAP_SHARED at the heap's own address: the
 *           counters a reader sees are the ones the allocator updates, at no cost to it.
 * The pool itself stays private memory. A process removes its file at exit; a forked child gets a file of its own.
 */
#ifndef PRELOAD_STATS_H
#define PRELOAD_STATS_H

#include "dynamic_memory.h"

#include <stddef.h>

#define DM_PRELOAD_MAGIC 0x444d504cu /* "DMPL" */
#define DM_PRELOAD_PAGE 4096u

struct dm_preload_info {
	dm_u32 magic;                /* DM_PRELOAD_MAGIC */
	dm_u32 pid;                  /* the process whose heap this is */
	dm_u64 heap;                 /* its address in that process */
	dm_u64 pool;                 /* DM_POOL: bytes the program may have (capacity + one header) */
	dm_u64 fence;                /* bytes of the block that stands for the pages beyond DM_POOL (never touched) */
	dm_u64 fallback_allocations; /* DM_FALLBACK=libc: requests glibc served because the heap could not */
	dm_u64 fallback_frees;       /* frees of those, handed back to glibc */
	char program[16];            /* the process's name (comm) */
};

/* What the process appends to DM_REPORT=PATH at exit (dm preload, user/dm/preload.c, reads them). */
struct dm_preload_record {
	struct dm_preload_info info;
	struct dm_stats stats;
};

/* The fence is a live block the program never asked for: take it out of the heap's counters. */
static inline void dm_preload_discount(struct dm_stats *s, const struct dm_preload_info *info)
{
	s->capacity -= info->fence;
	s->allocated -= info->fence - DM_HDR;
	s->peak_allocated -= info->fence - DM_HDR;
	s->used_blocks--;
	s->allocations--;
}

/* dm's side, user/preload_stats.c. */

/* Whether `path` is a preload stats file (tells it from a pinned BPF map). */
int dm_preload_is_file(const char *path);
/* Reads the file at `path`: its info and the heap's counters, the fence taken out. largest_free is exact when this
 * process may read the other's memory (process_vm_readv), else the lower bound of the largest non-empty class.
 * Returns 0, or with a message naming the file in `error`: -2 when this user may not read it, -1 otherwise. */
int dm_preload_read(const char *path, struct dm_preload_info *info, struct dm_stats *stats, char *error,
		    size_t error_size);

#endif
