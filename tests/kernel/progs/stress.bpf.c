/* SPDX-License-Identifier: GPL-2.0 */
/* 2-CPU stress of the shared heap: tests/kernel/bpf_runner.c runs `stress_ops` on each CPU at once (raw_tp test_run pinned
 * to a CPU), then `stress_drain` on each CPU, then `stress_verdict`. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "test_progs.h"

#define SLOTS 64
#define OPS_PER_RUN 5000

/* Each CPU's live blocks, as raw addresses: DM_PTR re-derives them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

__u64 overwritten;

static long one_op(__u64 index, void *ctx)
{
	__u32 r = bpf_get_prandom_u32(), key = r % SLOTS;
	__u64 *slot = bpf_map_lookup_elem(&slots, &key);
	__u64 __arena *block;

	if (!slot)
		return 1;
	if (*slot) {
		block = DM_PTR((__u64 __arena *)*slot);
		if (block && *block != *slot) /* each block holds its own address: another CPU wrote here */
			__sync_fetch_and_add(&overwritten, 1);
		static_free(block);
		*slot = 0;
	} else {
		block = static_malloc(8 + (r >> 8) % 600);
		if (block) {
			*slot = (__u64)block;
			*block = (__u64)block;
		}
	}
	return 0;
}

SEC("raw_tp") __success int stress_ops(void *ctx)
{
	bpf_loop(OPS_PER_RUN, one_op, NULL, 0);
	return 0;
}

static long drain_slot(__u64 index, void *ctx)
{
	__u32 key = index;
	__u64 *slot = bpf_map_lookup_elem(&slots, &key);

	if (slot && *slot) {
		static_free(DM_PTR((__u64 __arena *)*slot));
		*slot = 0;
	}
	return 0;
}

SEC("raw_tp") __success int stress_drain(void *ctx)
{
	bpf_loop(SLOTS, drain_slot, NULL, 0);
	return 0;
}

/* 1 when the heap is consistent and every block came back: no free was lost to contention (a free that could not
 * take the lock is deferred, not dropped), and no block was written by another CPU. */
SEC("syscall") __success int stress_verdict(void *ctx)
{
	struct dm_stats s;

	static_stats(&s);
	return static_check() == 0 && s.allocations == s.frees && s.used_blocks == 0 && s.allocated == 0 &&
	       s.invalid_frees == 0 && s.corruptions == 0 && overwritten == 0;
}

/* Requests made, as the heap counted them (the caches' included). */
SEC("syscall") __success int stress_requests(void *ctx)
{
	struct dm_stats s;

	static_stats(&s);
	return (int)(s.allocations + s.failed_allocations);
}

char LICENSE[] SEC("license") = "GPL";
