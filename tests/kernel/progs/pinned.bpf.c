/* SPDX-License-Identifier: GPL-2.0 */
/* A pinned heap (DM_PIN): tests/kernel/bpf_runner.c --pin loads this object twice; both loads use one heap. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#define DM_PIN
#define DM_POOL_SIZE 4096
#include "dynamic_memory.h"
#include "test_progs.h"

/* Allocates one block (kept) and returns how many allocations the heap has seen: 1, then 2 from the second load. */
SEC("syscall") __success int pinned_alloc(void *ctx)
{
	struct dm_stats s;

	if (!static_malloc(16))
		return -1;
	static_stats(&s);
	return (int)s.allocations;
}

char LICENSE[] SEC("license") = "GPL";
