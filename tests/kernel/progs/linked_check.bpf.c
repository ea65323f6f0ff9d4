/* SPDX-License-Identifier: GPL-2.0 */
/* Arena build: dm_arena_init comes from linked_build.bpf.c (libbpf 1.4's linker cannot merge its kfunc). */
#define DM_ARENA_INIT_ELSEWHERE
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "test_progs.h"

extern __u64 __arena *shared_block;

/* Reads and frees, through the other file's code, the block the other file allocated: one heap. */
SEC("syscall") __success __retval(1)
int linked_check(void *ctx)
{
	__u64 __arena *p = DM_PTR(shared_block);
	struct dm_stats s;

	if (!p || *p != 4242)
		return 0;
	static_free(p);
	static_stats(&s);
	return s.allocations == 1 && s.frees == 1;
}

char LICENSE[] SEC("license") = "GPL";
