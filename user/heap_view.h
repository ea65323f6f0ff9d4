/* SPDX-License-Identifier: MIT */
/* Loader helpers: sets up an arena heap after loading; reads a heap's map (shared, per-CPU or arena) from userspace
 * and prints its counters. The counters sit at the start of the control block, at the same place whatever the pool
 * size and policy, so one reader serves every heap. */
#ifndef HEAP_VIEW_H
#define HEAP_VIEW_H

#include "dynamic_memory.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Where an arena heap starts in an arena of `bytes` mapped at `addr` (dynamic_memory.h: DM_ARENA_HEAP_LOW into its
 * 4 GiB window, after the room for the program's `__arena` globals), or -1 when such an arena holds no heap there. */
static inline long heap_view_arena_offset(__u64 addr, size_t bytes)
{
	__u32 low = (__u32)addr;

	if (low >= DM_ARENA_HEAP_LOW || DM_ARENA_HEAP_LOW - low + sizeof(struct dm_control) > bytes)
		return -1;
	return (long)(DM_ARENA_HEAP_LOW - low);
}

static inline size_t heap_view_arena_bytes(const struct bpf_map *arena)
{
	return (size_t)bpf_map__max_entries(arena) * (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * dm_arena_setup: for an object built with DM_HEAP_ARENA, runs its dm_arena_init program once after loading, which
 * allocates the heap's pages and formats the heap. Returns 0 when the heap is ready (or the object has no arena
 * heap), else a negative errno: -ENOMEM when the kernel would not give the pages, -E2BIG (with a message) when the
 * program's `__arena` globals do not fit the room DM_ARENA_GLOBALS left for them. Call it before running programs.
 */
static inline int dm_arena_setup(struct bpf_object *obj)
{
	struct bpf_program *init = bpf_object__find_program_by_name(obj, "dm_arena_init");
	struct bpf_map *arena = bpf_object__find_map_by_name(obj, "dm_arena");
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	size_t globals = 0;
	long room;

	if (!init || !arena)
		return 0;
	room = heap_view_arena_offset(bpf_map__map_extra(arena), heap_view_arena_bytes(arena));
	bpf_map__initial_value(arena, &globals);
	if (room < 0) {
		fprintf(stderr, "%s: its arena (%zu bytes at 0x%llx) has no heap %u bytes into its 4 GiB window\n",
			bpf_object__name(obj), heap_view_arena_bytes(arena),
			(unsigned long long)bpf_map__map_extra(arena), DM_ARENA_HEAP_LOW);
		return -EINVAL;
	}
	if (globals > (size_t)room) {
		fprintf(stderr, "%s: the program's __arena globals (%zu bytes) do not fit the %ld bytes DM_ARENA_GLOBALS "
				"leaves them in the arena: build it with a larger DM_ARENA_GLOBALS\n",
			bpf_object__name(obj), globals, room);
		return -E2BIG;
	}
	if (bpf_prog_test_run_opts(bpf_program__fd(init), &opts))
		return -errno;
	return (int)opts.retval;
}

/* The control block of an arena heap, read in place at the heap's address: the arena must be mapped in this process
 * (libbpf maps it for the object that creates it, which also serves every object sharing it in this process). */
static inline const struct dm_control *heap_view_arena(const struct bpf_map *map)
{
	__u64 addr = bpf_map__map_extra(map);
	long at = heap_view_arena_offset(addr, heap_view_arena_bytes(map));

	return bpf_map__type(map) == BPF_MAP_TYPE_ARENA && at >= 0 ? (const void *)(uintptr_t)(addr + (__u64)at) : NULL;
}

/* What the front-end caches (the per-CPU map dm_cache, open as `fd`) hold and counted for heap generation
 * `generation`: every CPU's (cpu -1: a shared or arena heap) or one CPU's (a per-CPU heap). To the control block
 * parked blocks are used blocks, and the caches' own allocations and frees are not in its counters. All zero without
 * caches (fd < 0). */
static inline struct dm_cache_sums heap_view_cache_sums_fd(int fd, __u32 generation, int cpu)
{
	int cpus = libbpf_num_possible_cpus();
	struct dm_cache *caches = fd >= 0 && cpus > 0 ? calloc((size_t)cpus, sizeof(*caches)) : NULL;
	struct dm_cache_sums sums = { .generation = generation };
	__u32 zero = 0;

	if (caches && !bpf_map_lookup_elem(fd, &zero, caches))
		for (int c = 0; c < cpus; c++) {
			if ((cpu >= 0 && c != cpu) || caches[c].generation != generation)
				continue;
			sums.blocks += caches[c].blocks, sums.bytes += caches[c].bytes;
			sums.hits += caches[c].hits - caches[c].refilled;
			sums.parks += caches[c].parks, sums.returned += caches[c].returned;
		}
	free(caches);
	return sums;
}
/* The same for a loaded object's own dm_cache map. */
static inline struct dm_cache_sums heap_view_cache_sums(struct bpf_object *obj, __u32 generation, int cpu)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "dm_cache");

	return heap_view_cache_sums_fd(map ? bpf_map__fd(map) : -1, generation, cpu);
}

/* Prints one line per heap (one per CPU for a per-CPU heap), the object's caches accounted as static_stats does.
 * Returns 0, or -1 when the map cannot be read. `map` is the object's dm_heap map, or its dm_arena map for an arena
 * heap. */
static inline int heap_view_print(struct bpf_object *obj, const struct bpf_map *map)
{
	int percpu = bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY, arena = bpf_map__type(map) == BPF_MAP_TYPE_ARENA;
	int copies = percpu ? libbpf_num_possible_cpus() : 1;
	size_t stride = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	unsigned char *value = arena ? NULL : calloc((size_t)copies, stride);
	__u32 zero = 0;

	if (arena ? !heap_view_arena(map) : !value || bpf_map_lookup_elem(bpf_map__fd(map), &zero, value)) {
		perror("reading the heap's map");
		free(value);
		return -1;
	}
	for (int i = 0; i < copies; i++) {
		const struct dm_control *ctl =
			arena ? heap_view_arena(map) : (const struct dm_control *)(value + (size_t)i * stride);
		struct dm_cache_sums cached;

		if (percpu)
			printf("  cpu %d:", i);
		if (ctl->magic != DM_MAGIC) {
			printf("  heap not used yet (pool %u bytes)\n", bpf_map__value_size(map));
			continue;
		}
		cached = heap_view_cache_sums(obj, ctl->generation, percpu ? i : -1);
		printf("  heap: %llu B allocated in %llu blocks (peak %llu B), %llu free blocks, %llu parked in caches; "
		       "%llu allocations, %llu frees, %llu failed, %llu invalid frees, %llu corruptions, %llu lock "
		       "failures\n",
		       (unsigned long long)(ctl->c.allocated - (cached.bytes - DM_HDR * cached.blocks)),
		       (unsigned long long)(ctl->c.used_blocks - cached.blocks),
		       (unsigned long long)ctl->c.peak_allocated, (unsigned long long)ctl->c.free_blocks,
		       (unsigned long long)cached.blocks, (unsigned long long)(ctl->c.allocations + cached.hits),
		       (unsigned long long)(ctl->c.frees + cached.parks - cached.returned),
		       (unsigned long long)ctl->c.failed_allocations, (unsigned long long)ctl->c.invalid_frees,
		       (unsigned long long)ctl->c.corruptions, (unsigned long long)ctl->lock_failures);
	}
	free(value);
	return 0;
}

#endif
