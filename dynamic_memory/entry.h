/* SPDX-License-Identifier: MIT */
/* dynamic_memory/entry.h: the offset-level entry points (in BPF the global subprograms): the slow path of each
 * operation, under the lock.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_ENTRY_H
#define DYNAMIC_MEMORY_ENTRY_H

/* =========================================== Offset-level entry points =========================================== */
/* What the public functions call. In BPF these are the global subprograms: scalars in, scalars out. */

/* Allocates `size` bytes; returns the payload offset, or 0. A request that fails while this CPU's or thread's cache
 * holds blocks returns DM_TRIM_FIRST instead, uncounted: the caller gives the cache back (dm_flush_heap) and asks once
 * more, with DM_LAST_TRY (dm_after_trim). Both are the caller's so that in BPF the allocation is verified once, in
 * dm_malloc_off (twice inline in it, it was half the one-malloc program's verifier cost), and the flush's loop
 * frame does not sit below dm_malloc_off's (Linux 6.1 adds up the frames of a chain of calls: 512 bytes). */
#define DM_TRIM_FIRST (~1ull)
#define DM_LAST_TRY (1ull << 63)
DM_INLINE dm_u64 dm_heap_malloc(struct dm_heap *heap, dm_u64 size)
{
	dm_u32 block_size = dm_block_size(size & ~DM_LAST_TRY);
	struct dm_cache *cache;
	dm_u64 off;

	if (!dm_env_ready(heap)) {
		dm_env_refuse();
		return 0;
	}
	if (!dm_acquire(heap))
		return 0;
	dm_complete_one(heap);
	cache = dm_env_cache();
	if (cache && !dm_env_cache_enter(cache))
		cache = NULL;
	if (cache)
		dm_cache_sync(heap, cache);
	off = dm_allocate(heap, block_size);
	if (!off && !(size & DM_LAST_TRY) && block_size && cache && cache->blocks) {
		/* What this CPU or thread parked may be what the request needs: the caller gives it back, asks again. */
		heap->ctl.c.failed_allocations--;
		off = DM_TRIM_FIRST;
	}
	if (cache)
		dm_env_cache_leave(cache);
	dm_unlock(heap);
	return off;
}
DM_ENTRY dm_u64 dm_malloc_off(dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();

	return heap ? dm_heap_malloc(heap, size) : 0;
}

/* Gives this CPU's or thread's parked blocks back to the heap as `job` says (dm_cache_flush); with `deferred`,
 * completes the deferred frees too. */
DM_INLINE int dm_trim(struct dm_heap *heap, int deferred, struct dm_flush_job job)
{
	struct dm_cache *cache = dm_env_cache();

	if (!cache || !dm_acquire(heap))
		return -1;
	if (deferred)
		dm_complete_deferred();
	if (dm_env_cache_enter(cache)) {
		dm_cache_sync(heap, cache);
		dm_cache_flush(job);
		dm_env_cache_leave(cache);
	}
	dm_unlock(heap);
	return 0;
}
/* static_trim: the cache, and the deferred frees. */
DM_ENTRY int dm_trim_heap(void)
{
	struct dm_heap *heap = dm_env_heap();

	return heap ? dm_trim(heap, 1, DM_FLUSH_ALL) : -1;
}
/* Before an allocation's second attempt (the whole cache: cls == DM_CACHE_CLASSES, keep 0), and after a free that
 * found its cache full (dm_cache_room_for): the cache only (every lock holder completes a deferred free anyway; here
 * their loop would be a frame more, and BPF allows 8 below dm port's main). An entry point: in BPF its loop is
 * checked once, not at each caller (inline in a free, it took the one-malloc program from 9,500 verified
 * instructions to 13,000). */
DM_ENTRY int dm_flush_heap(dm_u64 cls, dm_u64 keep)
{
	struct dm_heap *heap = dm_env_heap();

	return heap ? dm_trim(heap, 0, (struct dm_flush_job){ (dm_u32)cls, (dm_u32)keep }) : -1;
}
/* The result of a first dm_malloc_off, or of a second one after this CPU's or thread's cache went back to the heap:
 * through dm_flush_heap, or inline on `heap` where the caller is itself a global subprogram (a call of dm_flush_heap
 * would be a frame more below the program's: BPF allows 8, and dm port's recursion uses them). */
DM_INLINE dm_u64 dm_after_trim(dm_u64 size, dm_u64 first, struct dm_heap *heap)
{
	if (first != DM_TRIM_FIRST)
		return first;
	if (heap)
		dm_trim(heap, 0, DM_FLUSH_ALL);
	else
		dm_flush_heap(DM_FLUSH_ALL.cls, DM_FLUSH_ALL.keep);
	return dm_malloc_off(size | DM_LAST_TRY);
}

/* A malloc of `size` (at most DM_CACHE_LIMIT) that found its cache list empty: refills the list (dm_cache_refill)
 * and returns the request's block; 0 when there is no room for a refill (the caller then asks dm_malloc_off);
 * DM_NO_LOCK when the heap's lock could not be taken (counted in lock_failures: the request fails). Called from the
 * fast path, not from dm_malloc_off: in BPF its frame then never sits below the slow path's (Linux 6.1 allows 512
 * bytes for a program's frames and its callees' together). */
#define DM_NO_LOCK (~0ull)
DM_ENTRY dm_u64 dm_refill_off(dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_cache *cache = dm_env_cache();
	dm_u32 off = 0;

	if (!heap || !cache || !dm_env_ready(heap))
		return 0;
	if (!dm_acquire(heap))
		return DM_NO_LOCK;
	if (dm_env_cache_enter(cache)) {
		dm_cache_sync(heap, cache);
		off = dm_cache_refill(heap, cache, dm_block_size(size));
		dm_env_cache_leave(cache);
	}
	dm_unlock(heap);
	return off;
}

/* Frees the block at payload offset `off` (static_free has dealt with NULL: offset 0 is the control block), then,
 * with `make_room`, makes room in a full cache (dm_cache_room_for, through dm_flush_heap). A free whose lock cannot
 * be taken is deferred, never dropped. */
DM_INLINE void dm_heap_free(struct dm_heap *heap, dm_u64 off, int make_room)
{
	struct dm_flush_job room = DM_FLUSH_NONE;

	if (!dm_acquire(heap)) {
		dm_defer(heap, off);
		return;
	}
	dm_complete_one(heap);
	if (make_room)
		room = dm_cache_room_for(heap, off);
	dm_release(heap, off);
	dm_unlock(heap);
	if (room.keep < DM_CACHE_COUNT)
		dm_flush_heap(room.cls, room.keep);
}
/* The free of the inline fast path's slow side: the block, then room in a full cache list. */
DM_ENTRY int dm_free_making_room(dm_u64 off)
{
	struct dm_heap *heap = dm_env_heap();

	if (heap)
		dm_heap_free(heap, off, 1);
	return 0;
}
/* A free that makes no room (realloc's of a moved block, dm port's runtime): its callers sit deep in the program's
 * calls, and the flush would be two frames more (BPF allows 8; a ported program was refused with "the call stack of
 * 8 frames is too deep"). */
DM_ENTRY int dm_free_off(dm_u64 off)
{
	struct dm_heap *heap = dm_env_heap();

	if (heap)
		dm_heap_free(heap, off, 0);
	return 0;
}

/* Resizes in place. Returns `off` on success, 0 on refusal or failure, or DM_MOVE | old usable size when the caller
 * must allocate, copy and free. */
#define DM_MOVE (1ull << 63)
DM_ENTRY dm_u64 dm_resize_off(dm_u64 off, dm_u64 size)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 usable, result;

	if (!heap || !dm_acquire(heap))
		return 0;
	result = dm_resize(heap, off, dm_block_size(size), &usable);
	dm_unlock(heap);
	return result ? result : usable ? DM_MOVE | usable : 0;
}

/* Copies `len` bytes from payload offset `src` to `dst`, or zeroes them when `src` is 0. An entry point of its own
 * so that in BPF its loops are checked once, not in every program path that reallocates or callocs. */
DM_ENTRY int dm_copy_off(dm_u64 dst, dm_u64 src, dm_u64 len)
{
	struct dm_heap *heap = dm_env_heap();

	if (!heap)
		return -1;
	if (src)
		dm_env_copy(heap, (dm_u32)dst, (dm_u32)src, (dm_u32)len);
	else
		dm_env_zero(heap, (dm_u32)dst, (dm_u32)len);
	return 0;
}

/* Usable size of the live block at `off`, or 0. */
DM_ENTRY dm_u64 dm_usable_off(dm_u64 off)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 block, word0, next_word0;
	dm_u64 usable = 0;

	if (!heap || !dm_acquire(heap))
		return 0;
	if (dm_live_block(heap, off, &block, &word0, &next_word0) == DM_HEADER_OK)
		usable = dm_size(word0) - DM_HDR; /* asking is not misuse: nothing is counted */
	dm_unlock(heap);
	return usable;
}

DM_ENTRY int dm_check_heap(void)
{
	struct dm_heap *heap = dm_env_heap();
	int result;

	if (!heap || !dm_acquire(heap))
		return DM_CHECK_LOCK;
	dm_complete_deferred();
	result = dm_check_locked(heap);
	dm_unlock(heap);
	return result;
}

DM_ENTRY int dm_stats_into(struct dm_stats *out)
{
	struct dm_heap *heap = dm_env_heap();
	const struct dm_counters *c;
	struct dm_cache_sums cached;
	int locked;

	if (!out)
		return -1;
	if (!dm_env_ready(heap)) {
		*out = (struct dm_stats){ .capacity = DM_CAPACITY, .failed_allocations = dm_env_refused() };
		return -1;
	}
	locked = dm_acquire(heap);
	if (locked)
		dm_complete_deferred();
	c = &heap->ctl.c;
	cached = dm_cache_totals(heap);
	/* Parked blocks are used blocks to the heap and free ones to the program: counted here as the latter. */
	out->capacity = DM_CAPACITY;
	out->allocated = c->allocated - (cached.bytes - DM_HDR * cached.blocks);
	out->peak_allocated = c->peak_allocated;
	out->used_blocks = c->used_blocks - cached.blocks;
	out->free_blocks = c->free_blocks;
	/* Block bytes add up to the capacity plus the first header: what is neither used nor a header is free. */
	out->free = DM_CAPACITY + DM_HDR - c->allocated - DM_HDR * (c->used_blocks + c->free_blocks) + cached.bytes;
	out->largest_free = heap->ctl.magic == DM_MAGIC ? dm_largest_request(heap) : DM_CAPACITY;
	out->allocations = c->allocations + cached.hits;
	out->frees = c->frees + cached.parks - cached.returned;
	out->failed_allocations = c->failed_allocations + dm_env_refused();
	out->invalid_frees = c->invalid_frees + heap->ctl.lockless_invalid_frees;
	out->corruptions = c->corruptions + heap->ctl.lockless_corruptions;
	out->lock_failures = heap->ctl.lock_failures;
	out->cached_blocks = cached.blocks;
	out->cached_bytes = cached.bytes;
	if (locked)
		dm_unlock(heap);
	return locked ? 0 : -1;
}

DM_ENTRY int dm_reset_heap(void)
{
	struct dm_heap *heap = dm_env_heap();

	if (!dm_env_ready(heap) || !dm_lock(heap))
		return -1;
	dm_format_heap();
	dm_unlock(heap);
	return 0;
}

#endif /* DYNAMIC_MEMORY_ENTRY_H */
