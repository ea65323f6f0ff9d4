/* SPDX-License-Identifier: GPL-2.0 */
/* A packet-size histogram kept in heap memory: the first packet allocates it (zeroed), every packet bumps its
 * bucket (packet_sizes.h). The loader reads it straight from the heap map. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "packet_sizes.h"

__u64 *histogram; /* raw address of the heap block; the loader turns it into an offset in the map */

SEC("xdp")
int count_packet(struct xdp_md *ctx)
{
	__u64 *h = DM_PTR(histogram);
	__u32 bucket = bpf_xdp_get_buff_len(ctx) / BUCKET_BYTES;

	if (!h) {
		h = static_calloc(BUCKETS, sizeof(*h));
		if (!h)
			return XDP_ABORTED;
		histogram = h;
	}
	if (bucket >= BUCKETS)
		bucket = BUCKETS - 1;
	__sync_fetch_and_add(&h[bucket], 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
