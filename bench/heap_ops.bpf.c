/* SPDX-License-Identifier: GPL-2.0 */
/* In-kernel benchmark programs over one heap, built once per heap and policy (build/bench/heap-HEAP-POLICY.bpf.o,
 * see the Makefile) and driven by bench/kernel.c. One source for every heap: `__arena` means nothing outside the
 * arena build, DM_PTR is the identity there. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"

#define SLOTS 16384 /* blocks a prefill may hold */
#define LIST_NODES 1000

/* Set by the driver between runs (its own map, mmapped: no lookup in the measured programs). */
__u64 pair_size SEC(".data.params") = 64;
__u64 fill_target SEC(".data.params") = 0; /* prefill: bytes allocated to reach */

/* The blocks a prefill holds, as raw pointers (DM_PTR re-derives them on the ARRAY heaps). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");
__u32 live;

struct list_node {
	__u64 value;
	struct list_node __arena *next;
};
struct list_node __arena *list_head;
__u64 walked_sum;

/* One malloc + free pair: the figure everything else is compared with. */
SEC("xdp")
int pair(struct xdp_md *ctx)
{
	void __arena *p = static_malloc(pair_size);

	if (!p)
		return XDP_ABORTED;
	static_free(p);
	return XDP_PASS;
}

/* The random workload: each run picks one of RANDOM_SLOTS slots and frees its block, or allocates 8..512 bytes
 * into it when it is empty (half the slots full on average, the sizes of the native workload's W1). */
#define RANDOM_SLOTS 512
__u64 random_slots[RANDOM_SLOTS];

SEC("xdp")
int random_op(struct xdp_md *ctx)
{
	__u32 draw = bpf_get_prandom_u32(), index = draw % RANDOM_SLOTS;
	__u64 *slot = &random_slots[index];

	if (*slot) {
		static_free(DM_PTR((void __arena *)*slot));
		*slot = 0;
	} else {
		*slot = (__u64)static_malloc(8 + (draw >> 16) % 505);
	}
	return XDP_PASS;
}

static __u64 allocated(void)
{
	struct dm_stats s;

	static_stats(&s);
	return s.allocated;
}

static long fill_step(__u64 index, void *ctx)
{
	__u32 key = live, size = 8 + bpf_get_prandom_u32() % 505; /* uniform 8..512 */
	__u64 *slot = bpf_map_lookup_elem(&slots, &key);
	void __arena *p;

	if (!slot || allocated() >= fill_target + fill_target / 4)
		return 1;
	p = static_malloc(size);
	if (!p)
		return 1;
	*slot = (__u64)p;
	live++;
	return 0;
}

/* Frees a random held block (the last slot moves into its place) until the heap is down to the target: the holes
 * make the heap look like one that has been in use, not a fresh stack of blocks. */
static long thin_step(__u64 index, void *ctx)
{
	__u32 last = live - 1, key;
	__u64 *slot, *moved;

	if (!live || allocated() <= fill_target)
		return 1;
	key = bpf_get_prandom_u32() % live;
	slot = bpf_map_lookup_elem(&slots, &key);
	moved = bpf_map_lookup_elem(&slots, &last);
	if (!slot || !moved)
		return 1;
	static_free(DM_PTR((void __arena *)*slot));
	*slot = *moved;
	live--;
	return 0;
}

/* Fills the heap to fill_target bytes with random sizes: a quarter more, then random frees back down. */
SEC("syscall")
int prefill(void *ctx)
{
	static_reset();
	live = 0;
	bpf_loop(SLOTS, fill_step, NULL, 0);
	bpf_loop(SLOTS, thin_step, NULL, 0);
	return static_check();
}

static long push_node(__u64 index, void *ctx)
{
	struct list_node __arena *n = static_malloc(sizeof(*n));

	if (!n)
		return 1;
	n->value = index;
	n->next = list_head;
	list_head = n;
	return 0;
}

SEC("syscall")
int build_list(void *ctx)
{
	static_reset();
	list_head = NULL;
	bpf_loop(LIST_NODES, push_node, NULL, 0);
	return 0;
}

/* Pointer chasing: every stored `next` goes through DM_PTR (a mask on the ARRAY heaps, nothing on the arena). */
SEC("xdp")
int walk(struct xdp_md *ctx)
{
	__u64 sum = 0;

	for (struct list_node __arena *n = DM_PTR(list_head); n && can_loop; n = DM_PTR(n->next))
		sum += n->value;
	walked_sum = sum;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
