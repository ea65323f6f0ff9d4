/* SPDX-License-Identifier: GPL-2.0 */
/* A per-CPU scratch buffer: each packet gets a buffer from this CPU's heap (no lock between CPUs), its first bytes
 * are copied there and checksummed, and the buffer is freed. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#define DM_HEAP_PERCPU
#define DM_POOL_SIZE 16384
#include "dynamic_memory.h"
#include "percpu_scratch.h"

__u64 checksum, packets;

SEC("xdp")
int checksum_packet(struct xdp_md *ctx)
{
	__u8 *scratch = static_malloc(SCRATCH);
	__u64 sum = 0;

	if (!scratch)
		return XDP_ABORTED;
	if (bpf_xdp_load_bytes(ctx, 0, scratch, SCRATCH) == 0)
		for (int i = 0; i < SCRATCH; i++)
			sum += scratch[i] * (i + 1);
	static_free(scratch);
	__sync_fetch_and_add(&checksum, sum);
	__sync_fetch_and_add(&packets, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
