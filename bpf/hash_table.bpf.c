/* SPDX-License-Identifier: GPL-2.0 */
/* A hash table with chaining and deletion on the shared heap. The bucket array and every entry are heap blocks;
 * chains are walked with bounded loops, every stored pointer re-derived with DM_PTR. One syscall program per
 * operation; the loader passes the key and value as the program's context. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"

#define BUCKETS 32 /* 32 pointers: 256 bytes, every index provable below DM_GUARD */
#define MAX_CHAIN 64

struct entry {
	__u64 key, value;
	struct entry *next;
};

struct table_op {
	__u64 key, value;
};

struct entry **table;
__u64 entries;

static __always_inline __u32 bucket_of(__u64 key) { return (__u32)((key * 0x9E3779B97F4A7C15ull) >> 59); }

static __always_inline struct entry **buckets(void)
{
	struct entry **t = DM_PTR(table);

	if (!t) {
		t = static_calloc(BUCKETS, sizeof(*t));
		table = t;
	}
	return t;
}

/* Returns 1 when the key was added, 0 when its value was replaced, negative on failure. */
SEC("syscall")
int put(struct table_op *req)
{
	struct entry **t = buckets(), *e;
	__u32 b = bucket_of(req->key);

	if (!t)
		return -1;
	e = DM_PTR(t[b]);
	for (int i = 0; i < MAX_CHAIN && e; i++) {
		if (e->key == req->key) {
			e->value = req->value;
			return 0;
		}
		e = DM_PTR(e->next);
	}
	e = static_malloc(sizeof(*e));
	if (!e)
		return -2;
	e->key = req->key;
	e->value = req->value;
	e->next = t[b];
	t[b] = e;
	entries++;
	return 1;
}

/* Returns the value, or -1 when the key is absent. */
SEC("syscall")
long get(struct table_op *req)
{
	struct entry **t = buckets(), *e;

	if (!t)
		return -1;
	e = DM_PTR(t[bucket_of(req->key)]);
	for (int i = 0; i < MAX_CHAIN && e; i++) {
		if (e->key == req->key)
			return (long)e->value;
		e = DM_PTR(e->next);
	}
	return -1;
}

/* Unlinks and frees the key's entry: 1 when it was there, 0 when not. */
SEC("syscall")
int delete(struct table_op *req)
{
	struct entry **t = buckets(), *e, *prev = NULL;
	__u32 b = bucket_of(req->key);

	if (!t)
		return -1;
	e = DM_PTR(t[b]);
	for (int i = 0; i < MAX_CHAIN && e; i++) {
		if (e->key == req->key) {
			if (prev)
				prev->next = e->next;
			else
				t[b] = e->next;
			static_free(e);
			entries--;
			return 1;
		}
		prev = e;
		e = DM_PTR(e->next);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
