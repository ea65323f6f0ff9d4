/* SPDX-License-Identifier: GPL-2.0 */
/* What a malloc + free pair is compared with (bench/kernel.c runs them in the same run as the heaps): an empty
 * program, the two lock floors, the kernel's own allocator, a fixed-slot pool in a queue map, an arena page. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct locks {
	__u32 cas;
	struct bpf_spin_lock spin;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locks);
} lock_map SEC(".maps");

/* Fixed 64-byte slots, by index: the driver pushes every index before running. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1024);
	__type(value, __u32);
} free_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 16);
} page_arena SEC(".maps");

struct object64 {
	__u64 word[8];
};

SEC("xdp")
int empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int cas_lock(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct locks *l = bpf_map_lookup_elem(&lock_map, &zero);

	if (!l)
		return XDP_ABORTED;
	if (__sync_val_compare_and_swap(&l->cas, 0, 1) == 0)
		__sync_lock_test_and_set(&l->cas, 0);
	return XDP_PASS;
}

SEC("xdp")
int spin_lock(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct locks *l = bpf_map_lookup_elem(&lock_map, &zero);

	if (!l)
		return XDP_ABORTED;
	bpf_spin_lock(&l->spin);
	bpf_spin_unlock(&l->spin);
	return XDP_PASS;
}

SEC("xdp")
int obj_new(struct xdp_md *ctx)
{
	struct object64 *o = bpf_obj_new_impl(bpf_core_type_id_local(struct object64), NULL);

	if (!o)
		return XDP_ABORTED;
	bpf_obj_drop_impl(o, NULL);
	return XDP_PASS;
}

SEC("xdp")
int queue_slot(struct xdp_md *ctx)
{
	__u32 slot;

	if (bpf_map_pop_elem(&free_slots, &slot))
		return XDP_ABORTED;
	bpf_map_push_elem(&free_slots, &slot, 0);
	return XDP_PASS;
}

/* The allocator's entry points are global subprograms: what 10 calls of an empty one cost. */
__attribute__((noinline)) int global_nothing(int x)
{
	return x + 1;
}

SEC("xdp")
int ten_calls(struct xdp_md *ctx)
{
	int x = 0;

	for (int i = 0; i < 10; i++)
		x = global_nothing(x);
	return x == 10 ? XDP_PASS : XDP_DROP;
}

/* Sleepable only, and BPF_PROG_TEST_RUN runs syscall programs once: timed inside, the ns returned (0: failed). */
SEC("syscall")
int arena_page(void *ctx)
{
	__u64 start = bpf_ktime_get_ns();
	void *page = bpf_arena_alloc_pages(&page_arena, NULL, 1, -1, 0);

	if (!page)
		return 0;
	bpf_arena_free_pages(&page_arena, page, 1);
	return (int)(bpf_ktime_get_ns() - start);
}

char LICENSE[] SEC("license") = "GPL";
