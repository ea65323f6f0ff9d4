/* SPDX-License-Identifier: MIT */
/* Reads a dm_heap map (shared or per-CPU) from userspace and prints its counters. The counters sit at the start of
 * the control block, at the same place whatever the pool size and policy, so one reader serves every heap. */
#ifndef HEAP_VIEW_H
#define HEAP_VIEW_H

#include "dynamic_memory.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>

/* Prints one line per heap (one per CPU for a per-CPU heap). Returns 0, or -1 when the map cannot be read. */
static int heap_view_print(const struct bpf_map *map)
{
	int percpu = bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY;
	int copies = percpu ? libbpf_num_possible_cpus() : 1;
	size_t stride = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	unsigned char *value = calloc((size_t)copies, stride);
	__u32 zero = 0;

	if (!value || bpf_map_lookup_elem(bpf_map__fd(map), &zero, value)) {
		perror("reading the dm_heap map");
		free(value);
		return -1;
	}
	for (int i = 0; i < copies; i++) {
		const struct dm_control *ctl = (const struct dm_control *)(value + (size_t)i * stride);

		if (percpu)
			printf("  cpu %d:", i);
		if (ctl->magic != DM_MAGIC) {
			printf("  heap not used yet (pool %u bytes)\n", bpf_map__value_size(map));
			continue;
		}
		printf("  heap: %llu B allocated in %llu blocks (peak %llu B), %llu free blocks; %llu allocations, "
		       "%llu frees, %llu failed, %llu invalid frees, %llu corruptions, %llu lock failures\n",
		       (unsigned long long)ctl->c.allocated, (unsigned long long)ctl->c.used_blocks,
		       (unsigned long long)ctl->c.peak_allocated, (unsigned long long)ctl->c.free_blocks,
		       (unsigned long long)ctl->c.allocations, (unsigned long long)ctl->c.frees,
		       (unsigned long long)ctl->c.failed_allocations, (unsigned long long)ctl->c.invalid_frees,
		       (unsigned long long)ctl->c.corruptions, (unsigned long long)ctl->lock_failures);
	}
	free(value);
	return 0;
}

#endif
