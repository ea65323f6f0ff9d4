/* SPDX-License-Identifier: MIT */
/* dynamic_memory/check.h: static_check: the walk of every block and free list, and the invariants it checks.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_CHECK_H
#define DYNAMIC_MEMORY_CHECK_H

/* ============================================= Internal: static_check ============================================ */

/* One block of the physical walk; stops at the sentinel or at the first broken invariant. */
static long dm_check_block(dm_u64 index, void *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_walk *walk;
	dm_u32 word0, block, size, next, prev;

	(void)index, (void)ctx;
	if (!heap)
		return 1;
	walk = &heap->ctl.walk;
	block = walk->block;
	if (dm_read_header(heap, block, &word0) != DM_HEADER_OK) {
		walk->result = (dm_u64)(long)(block == DM_SENTINEL ? DM_CHECK_SENTINEL : DM_CHECK_HEADER);
		return 1;
	}
	if (!(word0 & DM_PREV_FREE) != !walk->prev_free) {
		walk->result = (dm_u64)(long)DM_CHECK_PREV_FREE;
		return 1;
	}
	if (block == DM_SENTINEL) {
		walk->result = (dm_u64)(long)DM_CHECK_OK;
		return 1;
	}
	size = dm_size(word0);
	if (word0 & DM_FREE) {
		if (walk->prev_free) {
			walk->result = (dm_u64)(long)DM_CHECK_ADJACENT_FREE;
			return 1;
		}
		if (*dm_footer(heap, block, size) != size) {
			walk->result = (dm_u64)(long)DM_CHECK_FOOTER;
			return 1;
		}
		next = *dm_next_link(heap, block);
		prev = *dm_prev_link(heap, block);
		if ((next && (*dm_prev_link(heap, next) != block || dm_class(dm_size(dm_word(heap, next)[0])) !=
									     dm_class(size))) ||
		    (prev ? *dm_next_link(heap, prev) != block : dm_first_block(heap, dm_class(size)) != block)) {
			walk->result = (dm_u64)(long)DM_CHECK_LIST;
			return 1;
		}
		walk->free++;
	} else {
		walk->used++;
		walk->allocated += size - DM_HDR;
		walk->parked += (dm_u64)dm_is_parked(heap, block);
	}
	walk->prev_free = word0 & DM_FREE;
	walk->block = block + size;
	return 0;
}

/* One step of the walk over every free list: counts listed blocks (a list that does not end, or holds a block
 * that is not free, is reported) and checks each class's bitmap bit. */
static long dm_check_list_step(dm_u64 index, void *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_walk *walk;
	dm_u32 word0;

	(void)index, (void)ctx;
	if (!heap)
		return 1;
	walk = &heap->ctl.walk;
	if (!walk->cur) {
		if (++walk->cls >= DM_CLASSES)
			return 1;
		walk->cur = dm_first_block(heap, walk->cls);
		if (dm_class_nonempty(heap, walk->cls) && !walk->cur) {
			walk->result = (dm_u64)(long)DM_CHECK_BITMAP; /* marked non-empty, but no list */
			return 1;
		}
		return 0;
	}
	if (dm_read_header(heap, walk->cur, &word0) != DM_HEADER_OK || !(word0 & DM_FREE) ||
	    ++walk->listed > walk->free) {
		walk->result = (dm_u64)(long)DM_CHECK_LIST;
		return 1;
	}
	walk->cur = *dm_next_link(heap, walk->cur);
	return 0;
}

DM_INLINE int dm_check_locked(struct dm_heap *heap)
{
	struct dm_walk *walk = &heap->ctl.walk;
	const struct dm_counters *c = &heap->ctl.c;

	*walk = (struct dm_walk){ .block = DM_FIRST, .result = (dm_u64)(long)DM_CHECK_SENTINEL };
	dm_env_repeat(DM_MAX_BLOCKS, DM_MAX_BLOCKS, dm_check_block, NULL);
	if (walk->result)
		return (int)walk->result;
#if DM_POLICY == DM_POLICY_SEGREGATED
	for (dm_u32 fl = 0; fl < DM_FL_COUNT; fl++)
		if (!(heap->ctl.first_level & (1u << fl)) != !heap->ctl.second_level[fl])
			return DM_CHECK_BITMAP;
	if (heap->ctl.first_level >> DM_FL_COUNT)
		return DM_CHECK_BITMAP;
#endif
	walk->cls = (dm_u32)-1;
	walk->cur = 0;
	dm_env_repeat(walk->free + DM_CLASSES + 1, DM_MAX_BLOCKS + DM_CLASSES + 1, dm_check_list_step, NULL);
	if (walk->result)
		return (int)walk->result;
	if (walk->listed != walk->free)
		return DM_CHECK_LIST;
	if (walk->used != c->used_blocks || walk->free != c->free_blocks || walk->allocated != c->allocated ||
	    c->allocations - c->frees != c->used_blocks)
		return DM_CHECK_COUNTS;
	if (walk->parked != dm_cache_totals(heap).blocks)
		return DM_CHECK_CACHE;
	return DM_CHECK_OK;
}

#endif /* DYNAMIC_MEMORY_CHECK_H */
