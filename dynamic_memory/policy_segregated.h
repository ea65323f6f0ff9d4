/* SPDX-License-Identifier: MIT */
/* dynamic_memory/policy_segregated.h: DM_POLICY_SEGREGATED: two-level segregated free lists with bitmaps (TLSF's
 * mapping), good fit within DM_FIT_SCAN blocks of a class, O(1) by bitmaps beyond.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_POLICY_SEGREGATED_H
#define DYNAMIC_MEMORY_POLICY_SEGREGATED_H

/* The class whose list holds free blocks of `size` (TLSF's mapping_insert). */
DM_INLINE dm_u32 dm_class(dm_u32 size)
{
	dm_u32 top, fl, sl;

	if (size < DM_SMALL_BLOCK)
		return size >> DM_ALIGN_LOG2;
	top = dm_fls(size);
	sl = (size >> (top - DM_SL_LOG2)) - DM_SL_COUNT;
	fl = top - (DM_SL_LOG2 + DM_ALIGN_LOG2) + 1;
	return fl * DM_SL_COUNT + sl;
}
/* The first class all of whose blocks are >= `size` (TLSF's mapping_search); may be DM_CLASSES (none). */
DM_INLINE dm_u32 dm_class_above(dm_u32 size)
{
	if (size >= DM_SMALL_BLOCK)
		size += (1u << (dm_fls(size) - DM_SL_LOG2)) - 1;
	return dm_class(size);
}
DM_INLINE int dm_class_nonempty(struct dm_heap *heap, dm_u32 cls)
{
	return (heap->ctl.second_level[dm_env_bounded(cls / DM_SL_COUNT, DM_FL_COUNT)] >> (cls % DM_SL_COUNT)) & 1;
}
DM_INLINE void dm_mark_class(struct dm_heap *heap, dm_u32 cls, int nonempty)
{
	dm_u32 fl = (cls / DM_SL_COUNT) & 31, sl = cls % DM_SL_COUNT;
	dm_u32 *second = &heap->ctl.second_level[dm_env_bounded(fl, DM_FL_COUNT)];

	if (nonempty) {
		*second |= 1u << sl;
		heap->ctl.first_level |= 1u << fl;
	} else {
		*second &= ~(1u << sl);
		if (!*second)
			heap->ctl.first_level &= ~(1u << fl);
	}
}
/* First non-empty class >= cls, or DM_CLASSES. */
DM_INLINE dm_u32 dm_first_nonempty(struct dm_heap *heap, dm_u32 cls)
{
	dm_u32 fl = cls / DM_SL_COUNT, sl = cls % DM_SL_COUNT, map;

	if (cls >= DM_CLASSES)
		return DM_CLASSES;
	map = heap->ctl.second_level[dm_env_bounded(fl, DM_FL_COUNT)] & (~0u << sl);
	if (!map) {
		map = fl + 1 < 32 ? heap->ctl.first_level & (~0u << (fl + 1)) : 0;
		if (!map)
			return DM_CLASSES;
		fl = dm_ffs(map);
		map = heap->ctl.second_level[dm_env_bounded(fl, DM_FL_COUNT)];
		if (!map)
			return DM_CLASSES; /* bitmaps damaged: static_check reports it */
	}
	return fl * DM_SL_COUNT + dm_ffs(map);
}
/* New free blocks go to the front: O(1). */
DM_INLINE dm_u32 dm_insert_after(struct dm_heap *heap, dm_u32 block, dm_u32 cls)
{
	(void)heap, (void)block, (void)cls;
	return 0;
}
/* The list examined first for a request, and how many of its blocks. */
#define DM_SCAN DM_FIT_SCAN
DM_INLINE dm_u32 dm_scan_class(dm_u32 size) { return dm_class(size); }
/* The class whose first DM_SCAN blocks bound the largest request that can succeed. */
DM_INLINE dm_u32 dm_top_class(struct dm_heap *heap)
{
	dm_u32 fl, map;

	if (!heap->ctl.first_level)
		return DM_CLASSES;
	fl = dm_fls(heap->ctl.first_level);
	map = heap->ctl.second_level[dm_env_bounded(fl, DM_FL_COUNT)];
	return map ? fl * DM_SL_COUNT + dm_fls(map) : DM_CLASSES;
}

#endif /* DYNAMIC_MEMORY_POLICY_SEGREGATED_H */
