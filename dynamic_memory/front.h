/* SPDX-License-Identifier: MIT */
/* dynamic_memory/front.h: the front end's fast path: a malloc or free served by this CPU's or thread's cache
 * without the lock, inline at the call site.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_FRONT_H
#define DYNAMIC_MEMORY_FRONT_H

/* ======================================= Front end: the inline fast path ======================================= */
/* What static_malloc and static_free compile to at the call site: no lock, no subprogram call, no loop. Anything out
 * of the ordinary (no block of that size parked, a cache full or in use by an interrupted program, a header that does
 * not check out) returns 0 and the heap itself takes the request, under its lock. */

/* A parked block of the exact size `size` asks for, as a payload offset, or 0. */
DM_INLINE dm_u32 dm_cache_malloc(struct dm_heap *heap, dm_u64 size)
{
	struct dm_cache *cache;
	dm_u32 cls, block, *head;

	if (DM_CACHE_LIMIT == 0 || size > DM_CACHE_LIMIT || !(cache = dm_env_cache()))
		return 0;
	cls = dm_cache_class(dm_block_size(size));
	if (!dm_env_cache_enter(cache))
		return 0;
	head = dm_cache_head(cache, cls);
	block = *head;
	if (!block || cache->generation != heap->ctl.generation) {
		block = 0;
	} else if (!dm_is_parked(heap, block)) { /* written after it was freed: the list cannot be trusted */
		*head = 0;
		*dm_cache_count(cache, cls) = 0;
		dm_env_add(&heap->ctl.lockless_corruptions, 1);
		block = 0;
	} else {
		*head = *dm_word(heap, block + DM_HDR);
		*dm_tag_word(heap, block) = 0;
		*dm_cache_count(cache, cls) -= 1;
		cache->blocks--;
		cache->bytes -= DM_MIN_BLOCK + (cls << DM_ALIGN_LOG2);
		cache->hits++;
	}
	dm_env_cache_leave(cache);
	return block ? block + DM_HDR : 0;
}

/* Parks the block at payload offset `payload` in this CPU's or thread's cache; 0 when the heap must take it. */
DM_INLINE int dm_cache_free(struct dm_heap *heap, dm_u64 payload)
{
	struct dm_cache *cache;
	dm_u32 block = (dm_u32)payload - DM_HDR, word0, cls;
	dm_u64 got;
	int parked = 0;

	if (DM_CACHE_LIMIT == 0 || !dm_is_payload_offset(payload) || !(cache = dm_env_cache()))
		return 0;
	/* A live block of a cached size, not parked already (double free). Not the header after it: an overflow is for
	 * the heap to find when the block comes back to it (see static_free). Read without the lock, whole (see
	 * dm_store_header). */
	got = dm_header_of(heap, block);
	word0 = (dm_u32)got;
	if ((got >> 32) || (word0 & DM_FREE) || dm_size(word0) > DM_CACHE_MAX_BLOCK || dm_is_parked(heap, block))
		return 0;
	cls = dm_cache_class(dm_size(word0));
	if (!dm_env_cache_enter(cache))
		return 0;
	if (cache->generation == heap->ctl.generation && *dm_cache_count(cache, cls) < DM_CACHE_COUNT &&
	    cache->bytes + dm_size(word0) <= DM_CACHE_BYTES && !heap->ctl.crowded) {
		dm_cache_push(heap, cache, block, cls, dm_size(word0));
		cache->parks++;
		parked = 1;
	}
	dm_env_cache_leave(cache);
	return parked;
}

/* The two operations as the API calls them (with the heap the caller looked up: once per operation, ~1 ns of a
 * pair's ~20): the fast path, then the heap itself when the fast path does not serve. In BPF the fast path sits
 * either at the call site (DM_INLINE_FAST_PATH) or in a global subprogram per operation; a malloc's slow path is
 * dm_malloc_off (verified once, whoever calls it), a free's is dm_free_making_room or, in the global free, inline (a
 * call less: dm port's recursion reaches the heap through a free, and BPF allows 8 frames). That inline free makes
 * no room in a full cache list (dm_heap_free): the flush's loop body and its callee would be two frames more. */
DM_INLINE dm_u64 dm_front_malloc_inline(struct dm_heap *heap, dm_u64 size)
{
	dm_u64 off = dm_cache_malloc(heap, size);

	if (!off && DM_CACHE_REFILL > 1 && size <= DM_CACHE_LIMIT)
		off = dm_refill_off(size);
	if (off == DM_NO_LOCK)
		return 0;
	if (off)
		return off;
	return dm_after_trim(size, dm_malloc_off(size), DM_INLINE_FAST_PATH ? NULL : heap);
}
DM_INLINE void dm_front_free_inline(struct dm_heap *heap, dm_u64 off)
{
	if (dm_cache_free(heap, off))
		return;
	if (DM_INLINE_FAST_PATH)
		dm_free_making_room(off);
	else
		dm_heap_free(heap, off, 0);
}
#if DM_INLINE_FAST_PATH
DM_INLINE dm_u64 dm_front_malloc_on(struct dm_heap *heap, dm_u64 size) { return dm_front_malloc_inline(heap, size); }
DM_INLINE void dm_front_free_on(struct dm_heap *heap, dm_u64 off) { dm_front_free_inline(heap, off); }
#else
DM_ENTRY dm_u64 dm_front_malloc(dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();

	return heap ? dm_front_malloc_inline(heap, size) : 0;
}
DM_ENTRY int dm_front_free(dm_u64 off)
{
	struct dm_heap *heap = dm_env_heap();

	if (heap)
		dm_front_free_inline(heap, off);
	return 0;
}
DM_INLINE dm_u64 dm_front_malloc_on(struct dm_heap *heap, dm_u64 size) { return heap ? dm_front_malloc(size) : 0; }
DM_INLINE void dm_front_free_on(struct dm_heap *heap, dm_u64 off) { (void)heap, dm_front_free(off); }
#endif

#if !defined(__bpf__)
/* A thread's cache when the thread exits: its blocks go back to the heap and its counters to the heap's, and it
 * leaves the registry. */
static void dm_cache_retire(void *arg)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_cache *cache = arg;
	dm_u64 *link;

	if (!dm_acquire(heap))
		return;
	if (cache->generation == heap->ctl.generation) {
		dm_cache_flush(DM_FLUSH_ALL);
		heap->ctl.c.retired_hits += cache->hits - cache->refilled;
		heap->ctl.c.retired_parks += cache->parks;
		heap->ctl.c.retired_returned += cache->returned;
	}
	for (link = &heap->ctl.registry; *link; link = &((struct dm_cache *)(uintptr_t)*link)->next)
		if (*link == (dm_u64)(uintptr_t)cache) {
			*link = cache->next;
			break;
		}
	*cache = (struct dm_cache){ 0 };
	dm_unlock(heap);
}
#endif

#endif /* DYNAMIC_MEMORY_FRONT_H */
