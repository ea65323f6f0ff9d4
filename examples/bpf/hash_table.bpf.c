/* SPDX-License-Identifier: GPL-2.0 */
/* A hash table with chaining and deletion on the shared heap. The bucket array and every entry are heap blocks;
 * chains are walked with bounded loops, every stored pointer re-derived with DM_PTR. One syscall program per
 * operation; the loader passes the key and value as the program's context. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "hash_table.h"

#define BUCKETS 32 /* 32 pointers: 256 bytes, every index provable below DM_GUARD */
#define MAX_CHAIN 64

struct entry {
	__u64 key, value;
	struct entry *next;
};

struct entry **table;
__u64 entries;

static __always_inline __u32 bucket_of(__u64 key)
{
	return (__u32)((key * 0x9E3779B97F4A7C15ull) >> 59);
}

static __always_inline struct entry **buckets(void)
{
	struct entry **t = DM_PTR(table);

	if (!t) {
		t = static_calloc(BUCKETS, sizeof(*t));
		table = t;
	}
	return t;
}

/* The key's entry in bucket b (NULL when absent) and the entry before it in the chain (NULL when first). */
struct found {
	struct entry *entry, *before;
};

static __always_inline struct found find(struct entry **t, __u32 b, __u64 key)
{
	struct found f = { DM_PTR(t[b]), NULL };

	for (int i = 0; i < MAX_CHAIN && f.entry; i++) {
		if (f.entry->key == key)
			return f;
		f.before = f.entry;
		f.entry = DM_PTR(f.entry->next);
	}
	return (struct found){ NULL, NULL };
}

/* Returns 1 when the key was added, 0 when its value was replaced, negative on failure. */
SEC("syscall")
int put(struct table_op *req)
{
	struct entry **t = buckets(), *e;
	__u32 b = bucket_of(req->key);
	struct found f;

	if (!t)
		return -1;
	f = find(t, b, req->key);
	if (f.entry) {
		f.entry->value = req->value;
		return 0;
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
	struct entry **t = buckets();
	struct found f;

	if (!t)
		return -1;
	f = find(t, bucket_of(req->key), req->key);
	return f.entry ? (long)f.entry->value : -1;
}

/* Unlinks and frees the key's entry: 1 when it was there, 0 when not. */
SEC("syscall")
int delete (struct table_op *req)
{
	struct entry **t = buckets();
	__u32 b = bucket_of(req->key);
	struct found f;

	if (!t)
		return -1;
	f = find(t, b, req->key);
	if (!f.entry)
		return 0;
	if (f.before)
		f.before->next = f.entry->next;
	else
		t[b] = f.entry->next;
	static_free(f.entry);
	entries--;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
