/* SPDX-License-Identifier: GPL-2.0 */
/* Linked with linked_check.bpf.c by `bpftool gen object`: the weak heap of both files (dm_heap, or dm_arena with
 * dm_arena_init) becomes one heap. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "test_progs.h"

__u64 __arena *shared_block;

SEC("syscall") __success __retval(1)
int linked_build(void *ctx)
{
	__u64 __arena *p = static_malloc(32);

	if (!p)
		return 0;
	*p = 4242;
	shared_block = p;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
