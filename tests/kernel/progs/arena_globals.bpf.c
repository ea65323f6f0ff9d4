/* SPDX-License-Identifier: GPL-2.0 */
/* Issue 15's program on the arena heap, with its own `__arena` globals of several sizes, initialised and zero (the
 * arrays one byte past a page, so that the globals span pages): XDP pushes onto a list whose root is an `__arena`
 * global, raw_tp walks it from that root. tests/kernel/arena_globals.c drives it and reads the same globals through the
 * skeleton; it is also built with a DM_ARENA_GLOBALS too small for its globals, which dm_arena_setup must refuse. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#ifndef DM_HEAP_ARENA /* the Makefile builds it into build/bpf-arena/ with -DDM_HEAP_ARENA */
#define DM_HEAP_ARENA
#endif
#include "dynamic_memory.h"
#include "arena_globals.h"

struct item __arena *__arena head;
__u64 __arena count;
__u8 __arena init_byte = INIT_BYTE;
__u16 __arena init_half = INIT_HALF;
__u64 __arena init_word = INIT_WORD;
__u8 __arena init_page_plus_one[PAGE_PLUS_ONE] = {
	[0] = INIT_FIRST, [4095] = INIT_LAST_OF_PAGE, [4096] = INIT_PAST_PAGE
};
__u8 __arena zero_byte;
__u32 __arena zero_words[3];
__u8 __arena zero_page_plus_one[PAGE_PLUS_ONE]; /* the pushes are counted in its last byte */

__u32 walker_pid;
__u64 walked_items, walked_sum, walks;
struct places places;

/* Before dm_arena_init: libbpf has written every global, the heap has no pages and refuses allocations. Returns 1.
 * XDP, so that bpftool can run it too (it runs syscall programs with no input, which it cannot give). */
SEC("xdp")
int globals_before_init(struct xdp_md *ctx)
{
	return head == NULL && count == 0 && init_byte == INIT_BYTE && init_half == INIT_HALF &&
	       init_word == INIT_WORD && init_page_plus_one[0] == INIT_FIRST &&
	       init_page_plus_one[4095] == INIT_LAST_OF_PAGE && init_page_plus_one[4096] == INIT_PAST_PAGE &&
	       zero_byte == 0 && zero_words[0] == 0 && zero_words[2] == 0 && zero_page_plus_one[0] == 0 &&
	       zero_page_plus_one[4096] == 0 && static_malloc(8) == NULL;
}

SEC("xdp")
int push(struct xdp_md *ctx)
{
	return push_item(&head, &count, &zero_page_plus_one[4096]) ? XDP_PASS : XDP_ABORTED;
}

SEC("raw_tp/sys_enter")
int walk(void *ctx)
{
	if (!walker(walker_pid))
		return 0;
	walked_items = count_items(head, count, &walked_sum);
	walks++;
	return 0;
}

SEC("syscall")
int where(void *ctx)
{
	record_places(&places, &head, &count, &zero_page_plus_one[4096]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
