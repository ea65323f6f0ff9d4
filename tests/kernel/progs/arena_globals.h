/* SPDX-License-Identifier: MIT */
/* Arena heap programs with their own `__arena` globals (issue 15): the types, the globals' initial values and the
 * list code shared by tests/kernel/progs/arena_globals*.bpf.c; tests/kernel/arena_globals.c includes it for the types and values and
 * reads the globals themselves through the skeletons. */
#ifndef ARENA_GLOBALS_H
#define ARENA_GLOBALS_H

#define PAGE_PLUS_ONE 4097
#define INIT_BYTE 0x5a
#define INIT_HALF 0xbeef
#define INIT_WORD 0x0123456789abcdefull
#define INIT_FIRST 1 /* in the arrays of PAGE_PLUS_ONE initialised bytes: [0], [4095] and [4096] */
#define INIT_LAST_OF_PAGE 2
#define INIT_PAST_PAGE 3

struct item {
	struct item __arena *next;
	__u64 val;
};

/* Where one object's programs see the globals and the heap: userspace and other objects must see them there too. */
struct places {
	__u64 head, count, page_plus_one_end, heap;
};

/* The `__arena` globals of objects that share one pinned arena. libbpf puts every object's `__arena` globals at the
 * same offset, and clang orders separate globals differently from one object to the next (by first use): objects
 * sharing an arena declare theirs as one struct, the same in each, so that they lie at the same addresses. */
struct shared_globals {
	struct item __arena *head;
	__u64 count;
	__u64 init_word;
	__u8 init_page_plus_one[PAGE_PLUS_ONE];
	__u8 zero_page_plus_one[PAGE_PLUS_ONE]; /* the pushes are counted in its last byte */
};
#define SHARED_GLOBALS_INIT                                                                                            \
	{                                                                                                              \
		.init_word = INIT_WORD,                                                                                \
		.init_page_plus_one = { [0] = INIT_FIRST, [4095] = INIT_LAST_OF_PAGE, [4096] = INIT_PAST_PAGE },       \
	}

#if defined(__bpf__)
/* Pushes one item whose value is the new count: the list holds count, ..., 2, 1 from its head. */
static __always_inline int push_item(struct item __arena *__arena *head, __u64 __arena *count, __u8 __arena *pushes)
{
	struct item __arena *it = static_malloc(sizeof(*it));

	if (!it)
		return 0;
	it->val = ++*count;
	it->next = *head;
	*head = it;
	++*pushes;
	return 1;
}

/* The items from head on whose values are count, count - 1, ... in order; their sum in *sum. */
static __always_inline __u64 count_items(struct item __arena *head, __u64 count, __u64 *sum)
{
	__u64 items = 0;

	*sum = 0;
	for (struct item __arena *it = head; it && can_loop && it->val == count - items; it = it->next) {
		*sum += it->val;
		items++;
	}
	return items;
}

static __always_inline void record_places(struct places *out, struct item __arena *__arena *head, __u64 __arena *count,
					  __u8 __arena *page_plus_one_end)
{
	out->head = (__u64)head;
	out->count = (__u64)count;
	out->page_plus_one_end = (__u64)page_plus_one_end;
	out->heap = DM_ARENA_HEAP;
}

/* Where the programs of an object sharing the arena see its globals; 1 when the first load's initial values are
 * there. */
static __always_inline int record_shared_places(struct places *out, struct shared_globals __arena *g)
{
	record_places(out, &g->head, &g->count, &g->zero_page_plus_one[4096]);
	return g->init_word == INIT_WORD && g->init_page_plus_one[4096] == INIT_PAST_PAGE;
}

static __always_inline int push_shared(struct shared_globals __arena *g)
{
	return push_item(&g->head, &g->count, &g->zero_page_plus_one[4096]);
}

/* The programs' raw_tp walk runs for this process only. */
static __always_inline int walker(__u32 pid)
{
	return (__u32)(bpf_get_current_pid_tgid() >> 32) == pid;
}
#endif

#endif
