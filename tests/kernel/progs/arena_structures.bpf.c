/* SPDX-License-Identifier: GPL-2.0 */
/* A list and a chained hash table built by an XDP program in the arena heap, walked by a raw_tp program (and by
 * userspace: tests/kernel/arena.c drives all of it). The walks follow stored pointers as they are, bounded by can_loop. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#ifndef DM_HEAP_ARENA /* the Makefile builds it into build/bpf-arena/ with -DDM_HEAP_ARENA */
#define DM_HEAP_ARENA
#endif
#include "dynamic_memory.h"
#include "arena_structures.h"

struct item __arena *list_head;
struct entry __arena *__arena *table; /* TABLE_BUCKETS chain heads, themselves on the heap */

__u32 walker_pid; /* the raw_tp walk runs for this process only */
__u64 list_sum, list_items, keys_found, keys_wrong, walks;

/* Before dm_arena_init the heap has no memory: the allocation must fail and be counted, nothing else. */
SEC("syscall")
int malloc_before_init(void *ctx)
{
	void __arena *p = static_malloc(16);
	struct dm_stats s;

	static_stats(&s);
	return p == NULL && s.failed_allocations == 1 && s.allocations == 0 && static_check() == DM_CHECK_LOCK;
}

SEC("xdp")
int build(struct xdp_md *ctx)
{
	for (__u64 i = 1; i <= LIST_ITEMS && can_loop; i++) {
		struct item __arena *it = static_malloc(sizeof(*it));

		if (!it)
			return XDP_ABORTED;
		it->value = i;
		it->next = list_head;
		list_head = it;
	}
	table = static_calloc(TABLE_BUCKETS, sizeof(*table));
	if (!table)
		return XDP_ABORTED;
	for (__u64 key = 1; key <= TABLE_KEYS && can_loop; key++) {
		struct entry __arena *e = static_malloc(sizeof(*e));
		__u32 bucket = table_hash(key);

		if (!e)
			return XDP_ABORTED;
		e->key = key;
		e->value = key * key;
		e->next = table[bucket];
		table[bucket] = e;
	}
	return XDP_PASS;
}

static struct entry __arena *table_find(__u64 key)
{
	struct entry __arena *e;

	for (e = DM_PTR(table[table_hash(key)]); e && can_loop; e = e->next)
		if (e->key == key)
			return e;
	return NULL;
}

/* Walks what build() made: the list's sum, and every key (and as many absent ones) looked up in the table. */
SEC("raw_tp/sys_enter")
int walk(void *ctx)
{
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) != walker_pid || !table)
		return 0;
	list_sum = list_items = keys_found = keys_wrong = 0;
	for (struct item __arena *it = DM_PTR(list_head); it && can_loop; it = it->next) {
		list_sum += it->value;
		list_items++;
	}
	for (__u64 key = 1; key <= 2 * TABLE_KEYS && can_loop; key++) {
		struct entry __arena *e = table_find(key);

		if (e)
			keys_found++;
		if (e ? e->value != key * key || key > TABLE_KEYS : key <= TABLE_KEYS)
			keys_wrong++;
	}
	walks++;
	return 0;
}

/* Deletes the even keys: unlinks them from their chains and frees them. Returns how many it freed. */
SEC("syscall")
int delete_even_keys(void *ctx)
{
	int freed = 0;

	for (__u32 b = 0; b < TABLE_BUCKETS && can_loop; b++) {
		struct entry __arena *__arena *link = &table[b];

		while (*link && can_loop) {
			struct entry __arena *e = *link;

			if (e->key % 2 == 0) {
				*link = e->next;
				static_free(e);
				freed++;
			} else {
				link = &e->next;
			}
		}
	}
	return freed;
}

/* Arena accesses never fault loudly, so the allocator must refuse what is not one of its blocks. */
SEC("syscall")
int bad_pointers_refused(void *ctx)
{
	__u8 __arena *p = static_malloc(64);
	struct dm_stats before, after;

	if (!p)
		return -1;
	static_stats(&before);
	static_free(p + 8);                                /* interior */
	static_free((void __arena *)(DM_ARENA_HEAP + 24)); /* the control block */
	static_free((void __arena *)0x1000);               /* outside the arena */
	if (static_realloc(p + 16, 128))                   /* realloc refuses as free does */
		return -2;
	static_free(p);
	static_free(p); /* double */
	static_stats(&after);
	return after.invalid_frees - before.invalid_frees == 5 && after.frees == before.frees + 1 &&
	       static_check() == 0;
}

char LICENSE[] SEC("license") = "GPL";
