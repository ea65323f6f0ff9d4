/* SPDX-License-Identifier: MIT */
/*
 * The one userspace reader of a heap's memory, for dm, the examples' loaders, the tests and the benchmarks:
 *
 *   open      a pinned map (heap_reader_open_fd) or a loaded object's (heap_reader_open_object): dm_heap (shared or
 *             per-CPU ARRAY) or dm_arena (an arena heap, mapped read-only at its own address), and the per-CPU
 *             dm_cache beside it when there is one;
 *   snapshot  a copy of every heap (one per CPU for a per-CPU map) taken at once, never changing the heap;
 *   walk      one copy's blocks, each header validated before it is followed, into struct dm_stats as static_stats
 *             reports it (blocks parked in the front-end caches counted as the program sees them: free).
 *
 * Also the loaders' arena helpers: dm_arena_setup (format an arena heap after loading) and heap_reader_arena (a
 * loaded arena heap's live control block). Built from user/heap_reader.c; the counters' table printers, generated from
 * DM_STATS_FIELDS (dynamic_memory.h), are user/stats_columns.h's.
 */
#ifndef HEAP_READER_H
#define HEAP_READER_H

#include "dynamic_memory.h"
#include "user/stats_columns.h" /* the counters' table: dm_stats_print_titles, _values */

#include <bpf/libbpf.h>
#include <stdio.h>

/* What went wrong when a reader function fails: the message is in the reader's `error`. */
enum heap_reader_result {
	HEAP_READ_OK,
	HEAP_READ_NOT_A_HEAP, /* the map is not a dm heap: its type, name, value or BTF says so */
	HEAP_READ_PERMISSION, /* the kernel refused: root or CAP_BPF / CAP_SYS_ADMIN is needed */
	HEAP_READ_KERNEL,     /* the map could not be read or the arena mapped */
	HEAP_READ_NO_MEMORY,
	HEAP_READ_CORRUPT, /* a walk found a damaged header (heap_walk.error says where) */
};

struct heap_reader {
	const char *path;                /* the pin, or the object's name: for messages */
	char name[BPF_OBJ_NAME_LEN];     /* dm_heap or dm_arena */
	int fd, cache_fd;                /* the heap's map; the caches' map or -1 */
	int percpu, copies;              /* a per-CPU heap has one copy per possible CPU */
	int arena;                       /* an arena heap, read in place at its own address */
	__u32 value_size;                /* bytes of one copy */
	size_t stride;                   /* bytes between copies in the snapshot */
	unsigned char *values;           /* the snapshot: copies x stride bytes */
	const unsigned char *arena_base; /* the arena's mapping */
	size_t arena_size;
	long heap_offset; /* where the heap starts in the arena (after room for the program's globals) */
	int mapped;       /* the reader mapped the arena (a pin), rather than libbpf (a loaded object) */
	char error[256];
};

/* What a walk of one copy found. */
struct heap_walk {
	const struct dm_control *ctl; /* its control block, in the snapshot */
	int used;                     /* formatted (a zeroed map value, an arena before dm_arena_init: not used yet) */
	struct dm_stats stats;        /* as static_stats reports them */
	unsigned largest_at[5], largest_size[5]; /* the five largest free blocks: offset and usable bytes */
	char error[128];                         /* "block at offset N: bad header", or empty */
};

/* Opens the heap whose map `fd` is (the reader owns it from here; `path` names it in messages, and an arena pin is
 * opened again from it, writable, to map it). The caches are looked for beside the pin: PATH's directory/dm_cache. */
enum heap_reader_result heap_reader_open_fd(struct heap_reader *r, int fd, const char *path);
/* Opens a loaded object's heap: its dm_arena map when it has one, else its dm_heap. */
enum heap_reader_result heap_reader_open_object(struct heap_reader *r, struct bpf_object *obj);
/* Copies every copy of the heap into r->values. */
enum heap_reader_result heap_reader_snapshot(struct heap_reader *r);
/* Walks copy `copy` of the snapshot. `used` (optional, r->stride bytes) receives a byte map of the pool: 1 where a
 * used block (header included) lies. */
enum heap_reader_result heap_reader_walk(const struct heap_reader *r, int copy, struct heap_walk *w,
					 unsigned char *used);
void heap_reader_close(struct heap_reader *r);

/* A control block as every reader checks it before following it, whatever build made the heap (the fields read sit
 * at the same place in every configuration): its magic, an alignment of 8 or 16, a pool of a power of two from 4096
 * bytes, the first block header after the control block's fixed part and before the sentinel, inside the pool. */
int heap_reader_control_valid(const struct dm_control *ctl);
/* The counters a control block keeps, into `s` as static_stats reports them: capacity, allocated, peak, allocations,
 * frees, failed allocations, invalid frees and corruptions (the fast path's, counted outside the lock, included),
 * lock failures. The block counts, free bytes and largest free block are the caller's to fill (a walk's). */
void heap_reader_control_counters(const struct dm_control *ctl, struct dm_stats *s);

/* "segregated" or "first-fit". */
const char *heap_reader_policy(const struct dm_control *ctl);

/* A loaded object's heap as dm stat shows it: a row per heap (per CPU for a per-CPU heap). Returns 0, or -1 when
 * the heap cannot be read (a message on stderr) or is damaged (where, in its row). */
int heap_reader_print_object(FILE *out, struct bpf_object *obj);

/* Where an arena heap starts in an arena of `bytes` mapped at `addr` (dynamic_memory.h: DM_ARENA_HEAP_LOW into its
 * 4 GiB window, after the room for the program's `__arena` globals), or -1 when such an arena holds no heap there. */
long heap_reader_arena_offset(__u64 addr, size_t bytes);
size_t heap_reader_arena_bytes(const struct bpf_map *arena);
/* Whether an arena of `bytes` mapped at `addr` holds a heap, after room for its program's `globals` bytes of `__arena`
 * globals (DM_ARENA_GLOBALS): 0, or -EINVAL (no heap in such an arena) or -E2BIG (the globals do not fit) with why,
 * naming `name` and the sizes, in `error`. dm_arena_setup and dm arena-init check with it before formatting the heap
 * over the globals. */
int heap_reader_arena_room(const char *name, __u64 addr, size_t bytes, size_t globals, char *error, size_t size);
/* The live control block of a loaded object's arena heap, in place (libbpf maps the arena for the object that
 * creates it, which also serves every object sharing it in this process); NULL when `map` is not such an arena. */
const struct dm_control *heap_reader_arena(const struct bpf_map *map);
/* What the front-end caches (the per-CPU map dm_cache, open as `fd`; -1: none, all zero) hold and counted for heap
 * generation `generation`: every CPU's (cpu -1: a shared or arena heap) or one CPU's (a per-CPU heap). */
struct dm_cache_sums heap_reader_cache_sums(int fd, __u32 generation, int cpu);

/*
 * dm_arena_setup: for an object built with DM_HEAP_ARENA, runs its dm_arena_init program once after loading, which
 * allocates the heap's pages and formats the heap. Returns 0 when the heap is ready (or the object has no arena
 * heap), else a negative errno: -ENOMEM when the kernel would not give the pages, -E2BIG (with a message) when the
 * program's `__arena` globals do not fit the room DM_ARENA_GLOBALS left for them. Call it before running programs.
 */
int dm_arena_setup(struct bpf_object *obj);

#endif
