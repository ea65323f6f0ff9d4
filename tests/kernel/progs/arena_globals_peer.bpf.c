/* SPDX-License-Identifier: GPL-2.0 */
/* The second object on the pinned arena of arena_globals_pinned.bpf.c: the same `__arena` globals, its own programs.
 * It pushes onto the same list and counts it from the shared root. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#ifndef DM_HEAP_ARENA
#define DM_HEAP_ARENA
#endif
#define DM_PIN
#include "dynamic_memory.h"
#include "arena_globals.h"

struct shared_globals __arena shared = SHARED_GLOBALS_INIT;

struct places places;

SEC("syscall")
int peer_push(void *ctx)
{
	return push_shared(&shared);
}

SEC("syscall")
int peer_count(void *ctx)
{
	__u64 sum;

	return (int)count_items(shared.head, shared.count, &sum);
}

SEC("syscall")
int peer_where(void *ctx)
{
	return record_shared_places(&places, &shared);
}

char LICENSE[] SEC("license") = "GPL";
