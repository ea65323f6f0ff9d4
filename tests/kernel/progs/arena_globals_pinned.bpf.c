/* SPDX-License-Identifier: GPL-2.0 */
/* The first of two objects on one pinned arena (DM_PIN), with arena_globals_peer.bpf.c: both declare the same
 * `__arena` globals (struct shared_globals) and push onto one list in one heap; this one walks it from raw_tp. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#ifndef DM_HEAP_ARENA
#define DM_HEAP_ARENA
#endif
#define DM_PIN
#include "dynamic_memory.h"
#include "arena_globals.h"

struct shared_globals __arena shared = SHARED_GLOBALS_INIT;

__u32 walker_pid;
__u64 walked_items, walked_sum;
struct places places;

SEC("xdp")
int push(struct xdp_md *ctx)
{
	return push_shared(&shared) ? XDP_PASS : XDP_ABORTED;
}

SEC("raw_tp/sys_enter")
int walk(void *ctx)
{
	if (walker(walker_pid))
		walked_items = count_items(shared.head, shared.count, &walked_sum);
	return 0;
}

SEC("syscall")
int where(void *ctx)
{
	return record_shared_places(&places, &shared);
}

char LICENSE[] SEC("license") = "GPL";
