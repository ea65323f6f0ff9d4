/* SPDX-License-Identifier: GPL-2.0 */
/* A known heap for tests/tools/dm_stat.bats: allocate_known_set, run once, allocates 100, 200, 300 and 400 bytes and
 * frees the 200 (given back to the heap itself, so that it is a hole in the layout); park_a_block frees a 48-byte
 * block into this CPU's cache; overflow_a_block damages a header. Built for the ARRAY heap and for the arena heap. */
/* One block at a time from the heap: a refill would park pieces beside each block, and the layout would no longer
 * be the four blocks and the hole the tests expect (the refill's own accounting is tested in tests/native/unit.c). */
#define DM_CACHE_REFILL 1
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"

SEC("xdp")
int allocate_known_set(struct xdp_md *ctx)
{
	void __arena *keep1 = static_malloc(100), *hole = static_malloc(200), *keep2 = static_malloc(300);
	void __arena *keep3 = static_malloc(400);

	if (!keep1 || !hole || !keep2 || !keep3)
		return XDP_ABORTED;
	static_free(hole);
	static_trim();
	return XDP_PASS;
}

SEC("xdp")
int park_a_block(struct xdp_md *ctx)
{
	void __arena *p = static_malloc(48);

	if (!p)
		return XDP_ABORTED;
	static_free(p);
	return XDP_PASS;
}

/* Writes one byte past a block: the next header is damaged, and dm stat must say where. */
SEC("xdp")
int overflow_a_block(struct xdp_md *ctx)
{
	__u8 __arena *p = static_malloc(40);

	if (!p)
		return XDP_ABORTED;
	p[static_usable_size(p) & 0x7f] ^= 0x5a;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
