/* SPDX-License-Identifier: GPL-2.0 */
/* The per-CPU twin of stat_fixture.bpf.c, for tests/dm_stat.bats: run once, it allocates 100, 200, 300 and 400 bytes and frees the 200. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#define DM_HEAP_PERCPU
#define DM_POOL_SIZE 16384
#include "dynamic_memory.h"

SEC("xdp")
int allocate_known_set(struct xdp_md *ctx)
{
	void *keep1 = static_malloc(100), *hole = static_malloc(200), *keep2 = static_malloc(300);
	void *keep3 = static_malloc(400);

	if (!keep1 || !hole || !keep2 || !keep3)
		return XDP_ABORTED;
	static_free(hole);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
