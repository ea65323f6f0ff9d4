/* SPDX-License-Identifier: MIT */
/* dynamic_memory/free_lists.h: the free-list index both policies share: list insertion and removal, the search for
 * a free block (each policy supplies its classes in policy_*.h).
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_FREE_LISTS_H
#define DYNAMIC_MEMORY_FREE_LISTS_H

/* =========================================== Internal: free-list index =========================================== */
/* The policy decides which list a free block goes in, where in it, and which block serves a request. The lists
 * themselves (doubly linked through pool offsets) are common to both policies. */

/* A list head, the index proven below DM_CLASSES (the verifier needs the bound; native code never fails it).
 * A head means something only while its class is marked non-empty (dm_first_block): formatting a heap then
 * resets the bitmaps, not every head. */
DM_INLINE dm_u32 *dm_head(struct dm_heap *heap, dm_u32 cls)
{
	return &heap->ctl.heads[dm_env_bounded(cls, DM_CLASSES)];
}
DM_INLINE int dm_class_nonempty(struct dm_heap *heap, dm_u32 cls);
/* The first block of a class's list, 0 when it is empty. */
DM_INLINE dm_u32 dm_first_block(struct dm_heap *heap, dm_u32 cls)
{
	return dm_class_nonempty(heap, cls) ? *dm_head(heap, cls) : 0;
}

#if DM_POLICY == DM_POLICY_SEGREGATED
#include "policy_segregated.h"
#else
#include "policy_first_fit.h"
#endif

/* Points prev's next link (or the list head, when prev is 0) at `after_prev`, and next's prev link at `before_next`:
 * linking a block in between, or unlinking it. */
DM_INLINE void dm_relink(struct dm_heap *heap, dm_u32 *head, dm_u32 prev, dm_u32 next, dm_u32 after_prev,
			 dm_u32 before_next)
{
	if (next)
		*dm_prev_link(heap, next) = before_next;
	if (prev)
		*dm_next_link(heap, prev) = after_prev;
	else
		*head = after_prev;
}

DM_ENTRY int dm_list_insert_block(dm_u64 block, dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 cls, *head, prev, next;

	if (!heap)
		return -1;
	cls = dm_class((dm_u32)size);
	head = dm_head(heap, cls);
	prev = dm_insert_after(heap, (dm_u32)block, cls);
	next = prev ? *dm_next_link(heap, prev) : dm_first_block(heap, cls);
	*dm_next_link(heap, (dm_u32)block) = next;
	*dm_prev_link(heap, (dm_u32)block) = prev;
	dm_relink(heap, head, prev, next, (dm_u32)block, (dm_u32)block);
	dm_mark_class(heap, cls, 1);
	return 0;
}
DM_INLINE void dm_list_insert(struct dm_heap *heap, dm_u32 block, dm_u32 size)
{
	(void)heap;
	dm_list_insert_block(block, size);
}
DM_ENTRY int dm_list_remove_block(dm_u64 block, dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 cls, *head, next, prev;

	if (!heap)
		return -1;
	cls = dm_class((dm_u32)size);
	head = dm_head(heap, cls);
	next = *dm_next_link(heap, (dm_u32)block);
	prev = *dm_prev_link(heap, (dm_u32)block);
	dm_relink(heap, head, prev, next, next, prev);
	if (!prev && !next)
		dm_mark_class(heap, cls, 0);
	return 0;
}
DM_INLINE void dm_list_remove(struct dm_heap *heap, dm_u32 block, dm_u32 size)
{
	(void)heap;
	dm_list_remove_block(block, size);
}

/* A free block of at least `size` bytes, or 0: first fit among the first DM_SCAN blocks of the scanned class, then
 * (segregated) the head of the first non-empty class whose every block fits. */
DM_ENTRY dm_u64 dm_find_free_block(dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 cur, cls;

	if (!heap)
		return 0;
	cur = dm_first_block(heap, dm_scan_class((dm_u32)size));

	for (dm_u32 left = DM_SCAN; left && cur; left--) {
		if (dm_size(dm_word(heap, cur)[0]) >= size)
			return cur;
		cur = *dm_next_link(heap, cur);
	}
	cls = dm_first_nonempty(heap, dm_class_above((dm_u32)size));
	return cls < DM_CLASSES ? *dm_head(heap, cls) : 0;
}

/* Largest request that dm_find_free_block would satisfy now (it follows the same steps: exact, not an estimate). */
DM_INLINE dm_u32 dm_largest_request(struct dm_heap *heap)
{
	dm_u32 cls = dm_top_class(heap), best = 0, cur;

	if (cls >= DM_CLASSES)
		return 0;
	cur = dm_first_block(heap, cls);
	for (dm_u32 left = DM_SCAN; left && cur; left--) {
		dm_u32 size = dm_size(dm_word(heap, cur)[0]);

		best = size > best ? size : best;
		cur = *dm_next_link(heap, cur);
	}
	return best ? best - DM_HDR : 0;
}

#endif /* DYNAMIC_MEMORY_FREE_LISTS_H */
