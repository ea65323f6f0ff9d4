/* SPDX-License-Identifier: GPL-2.0 */
/* A linked list that grows across invocations: each run allocates one item on the shared heap, pushes it, and
 * walks the whole list (DM_PTR re-derives each stored `next`). Every third run also removes the oldest item. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"

struct item {
	__u64 value;
	struct item *next;
};

struct item *head; /* survives between runs: globals are map memory */
__u64 runs;        /* read by the loader */
__u64 length, sum; /* what the last walk found */

struct walk {
	struct item *cur, *before_last;
	__u64 length, sum;
};

static long visit(__u64 index, void *ctx)
{
	struct walk *w = ctx;
	struct item *next;

	if (!w->cur)
		return 1;
	w->length++;
	w->sum += w->cur->value;
	next = DM_PTR(w->cur->next);
	if (next && !next->next)
		w->before_last = w->cur;
	w->cur = next;
	return 0;
}

SEC("syscall")
int grow_list(void *ctx)
{
	struct item *it = static_malloc(sizeof(*it));
	struct walk w = { 0 };

	if (!it)
		return -1;
	runs++;
	it->value = runs * runs;
	it->next = head;
	head = it;
	if (runs % 3 == 0) { /* drop the oldest item: find the one before the tail */
		w.cur = DM_PTR(head);
		bpf_loop(1 << 16, visit, &w, 0);
		if (w.before_last) {
			static_free(DM_PTR(w.before_last->next));
			w.before_last->next = NULL;
		}
	}
	w = (struct walk){ .cur = DM_PTR(head) };
	bpf_loop(1 << 16, visit, &w, 0);
	length = w.length;
	sum = w.sum;
	return static_check();
}

char LICENSE[] SEC("license") = "GPL";
