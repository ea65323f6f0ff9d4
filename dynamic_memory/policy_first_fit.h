/* SPDX-License-Identifier: MIT */
/* dynamic_memory/policy_first_fit.h: DM_POLICY_FIRST_FIT: one address-ordered free list, every walk bounded by
 * DM_FIRST_FIT_SCAN.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_POLICY_FIRST_FIT_H
#define DYNAMIC_MEMORY_POLICY_FIRST_FIT_H

#define DM_SCAN DM_FIRST_FIT_SCAN

DM_INLINE dm_u32 dm_class(dm_u32 size)
{
	(void)size;
	return 0;
}
/* The one list's emptiness is its head: an empty list stores 0 there. */
DM_INLINE int dm_class_nonempty(struct dm_heap *heap, dm_u32 cls) { return *dm_head(heap, cls) != 0; }
DM_INLINE void dm_mark_class(struct dm_heap *heap, dm_u32 cls, int nonempty)
{
	if (!nonempty)
		*dm_head(heap, cls) = 0;
}
/* No larger class to fall back on: the scan of the one list is the whole search. */
DM_INLINE dm_u32 dm_first_nonempty(struct dm_heap *heap, dm_u32 cls)
{
	(void)heap, (void)cls;
	return DM_CLASSES;
}
DM_INLINE dm_u32 dm_class_above(dm_u32 size)
{
	(void)size;
	return DM_CLASSES;
}
/* Address order, the walk bounded: past DM_FIRST_FIT_SCAN blocks the block goes where the walk stopped. */
DM_INLINE dm_u32 dm_insert_after(struct dm_heap *heap, dm_u32 block, dm_u32 cls)
{
	dm_u32 prev = 0, cur = dm_first_block(heap, cls);

	for (dm_u32 left = DM_SCAN; left && cur && cur < block; left--) {
		prev = cur;
		cur = *dm_next_link(heap, cur);
	}
	return prev;
}
DM_INLINE dm_u32 dm_scan_class(dm_u32 size)
{
	(void)size;
	return 0;
}
DM_INLINE dm_u32 dm_top_class(struct dm_heap *heap) { return heap->ctl.heads[0] ? 0 : DM_CLASSES; }

#endif /* DYNAMIC_MEMORY_POLICY_FIRST_FIT_H */
