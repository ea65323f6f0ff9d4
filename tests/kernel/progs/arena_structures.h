/* SPDX-License-Identifier: MIT */
/* What tests/kernel/progs/arena_structures.bpf.c builds in the arena heap and tests/kernel/arena.c walks from userspace, through the
 * mmapped arena, with the very same types: `__arena` pointers are plain pointers on both sides. */
#ifndef ARENA_STRUCTURES_H
#define ARENA_STRUCTURES_H

#define LIST_ITEMS 100
#define TABLE_BUCKETS 64 /* table_hash gives 6 bits */
#define TABLE_KEYS 300

struct item {
	__u64 value;
	struct item __arena *next;
};

struct entry {
	__u64 key, value;
	struct entry __arena *next;
};

static inline __u32 table_hash(__u64 key)
{
	return (__u32)((key * 0x9e3779b97f4a7c15ull) >> 58);
}

#endif
