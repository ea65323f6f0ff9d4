/* SPDX-License-Identifier: MIT */
/* dynamic_memory/heap.h: the back end: formatting, the lock, allocating, freeing and coalescing blocks, the
 * deferred frees. Everything here runs under the heap's lock.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_HEAP_H
#define DYNAMIC_MEMORY_HEAP_H

/* ============================================ Internal: heap operations ========================================== */

/* One retry of a contended lock (a loop body, so that in BPF the verifier checks it once). The waiter's id is asked
 * again rather than passed: Linux 6.1 counts every byte of a frame against 512 for a whole chain of calls. */
static long dm_lock_retry(dm_u64 index, void *locked)
{
	struct dm_heap *heap = dm_env_heap();

	if (!heap)
		return 1;
	dm_env_relax(index);
	/* Read before the compare-and-swap: waiters share the lock's cache line until it is free. */
	*(int *)locked =
		!*(volatile dm_u32 *)&heap->ctl.lock && dm_env_cas(&heap->ctl.lock, 0, dm_env_lock_id()) == 0;
	return *(int *)locked;
}

/* Takes the heap lock, waiting at most DM_LOCK_ATTEMPTS attempts; 0 (counted in lock_failures) when it gives up.
 * A holder this program interrupted (in BPF: the lock holds this CPU's id) cannot go on before the program ends:
 * then it gives up at once instead of waiting in vain. */
DM_INLINE int dm_lock(struct dm_heap *heap)
{
	dm_u32 holder;
	int locked = 0;

	if (dm_env_single_threaded() || !(holder = dm_env_cas(&heap->ctl.lock, 0, dm_env_lock_id())))
		return 1;
	if (!dm_env_holder_interrupted(holder))
		dm_env_repeat(DM_LOCK_ATTEMPTS - 1, DM_LOCK_ATTEMPTS, dm_lock_retry, &locked);
	if (!locked)
		dm_env_add(&heap->ctl.lock_failures, 1);
	return locked;
}
/* Also publishes whether the heap is crowded for the fast path, which reads it instead of `allocated`: a field that
 * changes only when the heap crosses DM_CACHE_HIGH_WATER, on a cache line lock holders do not write otherwise. */
DM_INLINE void dm_unlock(struct dm_heap *heap)
{
	dm_u32 crowded = heap->ctl.c.allocated > DM_CACHE_HIGH_WATER;

	if (heap->ctl.crowded != crowded)
		heap->ctl.crowded = crowded;
	if (!dm_env_single_threaded())
		dm_env_unlock(&heap->ctl.lock);
}

/* Turns [block, block + size) into a listed free block; the caller has settled both neighbours. */
DM_INLINE void dm_make_free(struct dm_heap *heap, dm_u32 block, dm_u32 size)
{
	dm_write_header(heap, block, size | DM_FREE);
	*dm_footer(heap, block, size) = size;
	dm_list_insert(heap, block, size);
	heap->ctl.c.free_blocks++;
}

/* Makes the heap one free block; the caller holds the lock. Keeps lock_failures, which is not under the lock.
 * An entry point of its own so that the verifier checks it once, not in every caller. */
DM_ENTRY int dm_format_heap(void)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 size = DM_SENTINEL - DM_FIRST;

	if (!heap)
		return -1;

	heap->ctl.c = (struct dm_counters){ 0 };
	heap->ctl.lockless_corruptions = 0;
	heap->ctl.lockless_invalid_frees = 0;
	heap->ctl.first_level = 0;
	__builtin_memset(heap->ctl.second_level, 0, sizeof(heap->ctl.second_level));
	heap->ctl.heads[0] = 0; /* the first-fit list's emptiness */
	heap->ctl.self = (dm_u64)(unsigned long)heap;
	heap->ctl.pool_size = DM_POOL_SIZE;
	heap->ctl.policy = DM_POLICY;
	heap->ctl.align = DM_ALIGN;
	heap->ctl.guard = DM_GUARD;
	heap->ctl.first = DM_FIRST;
	heap->ctl.sentinel = DM_SENTINEL;
	heap->ctl.scan_limit = DM_SCAN;
	heap->ctl.deferred = 0;
	heap->ctl.generation++; /* what the caches hold belongs to the old heap */
	dm_write_header(heap, DM_SENTINEL, DM_PREV_FREE);
	dm_make_free(heap, DM_FIRST, size);
	heap->ctl.magic = DM_MAGIC;
	return 0;
}

/* Takes the lock, formatting a fresh (zeroed) heap on first use. Fails when the heap's memory does not exist yet
 * (an arena heap before dm_arena_init): nothing there may be touched, not even the lock. */
DM_INLINE int dm_acquire(struct dm_heap *heap)
{
	if (!dm_env_ready(heap) || !dm_lock(heap))
		return 0;
	if (heap->ctl.magic != DM_MAGIC)
		dm_format_heap();
	return 1;
}

DM_INLINE void dm_set_prev_free(struct dm_heap *heap, dm_u32 block, dm_u32 word0, int prev_free)
{
	dm_write_header(heap, block, prev_free ? word0 | DM_PREV_FREE : word0 & ~DM_PREV_FREE);
}

DM_INLINE void dm_count_allocated(struct dm_heap *heap, dm_u32 usable)
{
	heap->ctl.c.allocated += usable;
	if (heap->ctl.c.allocated > heap->ctl.c.peak_allocated)
		heap->ctl.c.peak_allocated = heap->ctl.c.allocated;
}

/* Gives back the tail [block + keep, block + size) of a used block (keep < size, the tail >= DM_MIN_BLOCK),
 * merging it with the next block when that one is free. `next_word0` is the validated header at block + size. */
DM_INLINE void dm_release_tail(struct dm_heap *heap, dm_u32 block, dm_u32 keep, dm_u32 size, dm_u32 next_word0)
{
	dm_u32 tail = block + keep, tail_size = size - keep, next = block + size;

	if (next_word0 & DM_FREE) {
		dm_list_remove(heap, next, dm_size(next_word0));
		dm_erase_header(heap, next);
		heap->ctl.c.free_blocks--;
		tail_size += dm_size(next_word0);
	} else {
		dm_set_prev_free(heap, next, next_word0, 1);
	}
	dm_make_free(heap, tail, tail_size);
}

/* Allocates a block of `size` bytes (a dm_block_size); the caller holds the lock. Returns the payload offset or 0. */
DM_INLINE dm_u32 dm_allocate(struct dm_heap *heap, dm_u32 size)
{
	dm_u32 block = size ? (dm_u32)dm_find_free_block(size) : 0, word0, next_word0, have;

	if (!block) {
		heap->ctl.c.failed_allocations++;
		return 0;
	}
	if (dm_read_header(heap, block, &word0) != DM_HEADER_OK || !(word0 & DM_FREE) || dm_size(word0) < size ||
	    dm_read_header(heap, block + dm_size(word0), &next_word0) != DM_HEADER_OK) {
		heap->ctl.c.corruptions++;
		heap->ctl.c.failed_allocations++;
		return 0;
	}
	have = dm_size(word0);
	dm_list_remove(heap, block, have);
	heap->ctl.c.free_blocks--;
	/* The header is written in each branch: joining them first costs the verifier ~75 insns a program. */
	if (have - size >= DM_MIN_BLOCK) {
		/* The next block keeps PREV_FREE: the remainder before it is free. */
		dm_write_header(heap, block, size | (word0 & DM_PREV_FREE));
		dm_make_free(heap, block + size, have - size);
	} else {
		size = have;
		dm_write_header(heap, block, size | (word0 & DM_PREV_FREE));
		dm_set_prev_free(heap, block + size, next_word0, 0);
	}
	heap->ctl.c.used_blocks++;
	heap->ctl.c.allocations++;
	dm_count_allocated(heap, size - DM_HDR);
	*dm_tag_word(heap, block) = 0; /* a tag left from an earlier life of this memory must not mark it parked */
	return block + DM_HDR;
}

/* Validates a payload offset handed back by the user: DM_HEADER_OK when *block and *word0 describe a live block
 * and *next_word0 is the valid header after it; DM_HEADER_NOT_A_BLOCK for misuse (not a block start, double free);
 * DM_HEADER_DAMAGED when this block's or the next header was overwritten. */
DM_INLINE enum dm_header_status dm_live_block(struct dm_heap *heap, dm_u64 payload, dm_u32 *block, dm_u32 *word0,
					      dm_u32 *next_word0)
{
	enum dm_header_status status;

	if (!dm_is_payload_offset(payload))
		return DM_HEADER_NOT_A_BLOCK;
	*block = (dm_u32)payload - DM_HDR;
	status = dm_read_header(heap, *block, word0);
	if (status != DM_HEADER_OK)
		return status;
	if ((*word0 & DM_FREE) || dm_is_parked(heap, *block))
		return DM_HEADER_NOT_A_BLOCK; /* double free */
	if (dm_read_header(heap, *block + dm_size(*word0), next_word0) != DM_HEADER_OK ||
	    (*next_word0 & DM_PREV_FREE))
		return DM_HEADER_DAMAGED;
	return DM_HEADER_OK;
}

/* Counts a refused free/realloc; returns nonzero when there was one. */
DM_INLINE int dm_refused(struct dm_heap *heap, enum dm_header_status status)
{
	if (status == DM_HEADER_NOT_A_BLOCK)
		heap->ctl.c.invalid_frees++;
	else if (status == DM_HEADER_DAMAGED)
		heap->ctl.c.corruptions++;
	return status != DM_HEADER_OK;
}

/* Frees the live block at payload offset `payload`; the caller holds the lock. */
DM_INLINE void dm_release(struct dm_heap *heap, dm_u64 payload)
{
	dm_u32 block, word0, next_word0, size, prev = 0, prev_word0 = 0;

	if (dm_refused(heap, dm_live_block(heap, payload, &block, &word0, &next_word0)))
		return;
	size = dm_size(word0);
	if (word0 & DM_PREV_FREE) {
		dm_u32 prev_size = *dm_word(heap, block - 4);

		prev = block - prev_size;
		if (prev_size > block || dm_read_header(heap, prev, &prev_word0) != DM_HEADER_OK ||
		    !(prev_word0 & DM_FREE) || dm_size(prev_word0) != prev_size) {
			heap->ctl.c.corruptions++;
			return;
		}
	}
	heap->ctl.c.used_blocks--;
	heap->ctl.c.frees++;
	heap->ctl.c.allocated -= size - DM_HDR;
	if (prev) {
		dm_list_remove(heap, prev, dm_size(prev_word0));
		heap->ctl.c.free_blocks--;
		dm_erase_header(heap, block);
		block = prev;
		size += dm_size(prev_word0);
	}
	/* The merged block's predecessor is used (free neighbours are always merged): no PREV_FREE on it. */
	dm_release_tail(heap, block, 0, size, next_word0);
}

/* realloc in place, `size` a dm_block_size (0: too large for any block). Returns the payload offset when the block
 * now has `size` bytes; 0 when it must move (*usable = its usable size) or was refused (*usable = 0, counted). */
DM_INLINE dm_u32 dm_resize(struct dm_heap *heap, dm_u64 payload, dm_u32 size, dm_u32 *usable)
{
	dm_u32 block, word0, next_word0, have;

	*usable = 0;
	if (dm_refused(heap, dm_live_block(heap, payload, &block, &word0, &next_word0)))
		return 0;
	if (!size) {
		heap->ctl.c.failed_allocations++;
		return 0;
	}
	have = dm_size(word0);
	*usable = have - DM_HDR;
	if (size > have && (next_word0 & DM_FREE) && have + dm_size(next_word0) >= size) {
		dm_u32 next = block + have, after_word0;

		/* Absorb the free next block; the one after it is used and loses its PREV_FREE below or in the split. */
		if (dm_read_header(heap, next + dm_size(next_word0), &after_word0) != DM_HEADER_OK) {
			heap->ctl.c.corruptions++;
			return 0;
		}
		dm_list_remove(heap, next, dm_size(next_word0));
		dm_erase_header(heap, next);
		heap->ctl.c.free_blocks--;
		have += dm_size(next_word0);
		dm_write_header(heap, block, have | (word0 & DM_PREV_FREE));
		dm_set_prev_free(heap, block + have, after_word0, 0);
		next_word0 = after_word0 & ~DM_PREV_FREE;
	}
	if (size > have)
		return 0;
	if (have - size >= DM_MIN_BLOCK) {
		dm_write_header(heap, block, size | (word0 & DM_PREV_FREE));
		dm_release_tail(heap, block, size, have, next_word0);
		have = size;
	}
	/* Counted once, at the final size, so that the peak never includes a tail split off again. */
	heap->ctl.c.allocated -= *usable;
	dm_count_allocated(heap, have - DM_HDR);
	return block + DM_HDR;
}

#endif /* DYNAMIC_MEMORY_HEAP_H */
