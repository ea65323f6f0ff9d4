/* SPDX-License-Identifier: MIT */
/* dynamic_memory/cache.h: the front-end caches' slow side: parking, refills, flushes, their sums. Under the
 * lock, or the cache's own busy flag.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_CACHE_H
#define DYNAMIC_MEMORY_CACHE_H

/* ========================================= Internal: parked blocks ============================================ */
/* Blocks the allocator holds for later: a front-end cache's lists, and frees that could not take the lock. */

/* Gives a parked block back to the heap (the caller holds the lock); 0 when it no longer carries its tag (a write
 * after free damaged the list it was in: counted, and the rest of that list is lost to the heap). */
DM_INLINE int dm_unpark(struct dm_heap *heap, dm_u32 block)
{
	if (!dm_is_parked(heap, block)) {
		heap->ctl.c.corruptions++;
		return 0;
	}
	*dm_tag_word(heap, block) = 0;
	dm_release(heap, block + DM_HDR);
	return 1;
}

/* Completes the deferred free at the top of the list, if any; the caller holds the lock. Others may push meanwhile
 * (then the compare-and-swap fails and the block waits for the next lock holder); only the lock holder pops, so the
 * top cannot be popped and pushed again under its feet. Returns 1 when one was completed. */
DM_INLINE int dm_complete_one(struct dm_heap *heap)
{
	dm_u32 block = heap->ctl.deferred;

	if (!block || dm_env_cas(&heap->ctl.deferred, block, *dm_word(heap, block + DM_HDR)) != block)
		return 0;
	dm_unpark(heap, block);
	return 1;
}
static long dm_complete_step(dm_u64 index, void *ctx)
{
	struct dm_heap *heap = dm_env_heap();

	(void)index, (void)ctx;
	return !heap || !dm_complete_one(heap);
}
/* Completes every deferred free; the caller holds the lock. Each malloc and free of the heap itself completes one;
 * statistics, checks and trims complete them all. An entry point so that the verifier checks its loop once. */
DM_ENTRY int dm_complete_deferred(void)
{
	/* One bpf_loop call's worth (the rest, if ever, waits for the next lock holder): a bound that does not depend
	 * on the pool size keeps the verifier's work flat. */
	dm_env_repeat(DM_LOOP_MAX, DM_LOOP_MAX, dm_complete_step, NULL);
	return 0;
}

/* Whether `payload` is a live block, judged without the lock. A lock holder may be rewriting this very header (the
 * PREV_FREE bit, when a neighbour changes), but it stores the header whole (dm_store_header): what is read is the old
 * header or the new one, and both tell the truth about this block. */
DM_INLINE int dm_live_unlocked(struct dm_heap *heap, dm_u64 payload)
{
	dm_u32 block = (dm_u32)payload - DM_HDR;
	dm_u64 got;

	if (!dm_is_payload_offset(payload))
		return 0;
	got = dm_get_header(block);
	return !(got >> 32) && !(got & DM_FREE) && !dm_is_parked(heap, block);
}

/* One attempt at pushing job[0] onto the deferred list (a loop body); job[1] = 1 once it is there. */
static long dm_defer_step(dm_u64 index, void *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 *job = ctx, head;

	(void)index;
	if (!heap)
		return 1;
	head = heap->ctl.deferred;
	*dm_word(heap, job[0] + DM_HDR) = head;
	job[1] = dm_env_cas(&heap->ctl.deferred, head, job[0]) == head;
	return job[1];
}
/* A free whose lock could not be taken: the block is parked on the deferred list, lock-free, and the next lock holder
 * completes it, so that no free is lost to contention. Only an implausible run of DM_DEFER_ATTEMPTS pushes by others
 * between each read and compare-and-swap could make it fail (counted in lock_failures). */
#ifndef DM_DEFER_ATTEMPTS
#define DM_DEFER_ATTEMPTS 4096
#endif
DM_INLINE void dm_defer(struct dm_heap *heap, dm_u64 payload)
{
	dm_u32 job[2] = { (dm_u32)payload - DM_HDR, 0 };

	if (!dm_env_ready(heap))
		return;
	if (!dm_live_unlocked(heap, payload)) {
		dm_env_add(&heap->ctl.lockless_invalid_frees, 1);
		return;
	}
	*dm_tag_word(heap, job[0]) = dm_parked_tag(job[0]);
	dm_env_repeat(DM_DEFER_ATTEMPTS, DM_DEFER_ATTEMPTS, dm_defer_step, job);
	if (!job[1]) {
		*dm_tag_word(heap, job[0]) = 0;
		dm_env_add(&heap->ctl.lock_failures, 1);
	}
}

DM_INLINE dm_u32 dm_cache_class(dm_u32 block_size) { return (block_size - DM_MIN_BLOCK) >> DM_ALIGN_LOG2; }
DM_INLINE dm_u32 *dm_cache_head(struct dm_cache *cache, dm_u32 cls)
{
	return &cache->heads[dm_env_bounded(cls, DM_CACHE_CLASSES)];
}
DM_INLINE dm_u8 *dm_cache_count(struct dm_cache *cache, dm_u32 cls)
{
	return &cache->counts[dm_env_bounded(cls, DM_CACHE_CLASSES)];
}

/* Parks the used block `block` of `size` bytes (class `cls`) on top of its list; the caller holds the cache. */
DM_INLINE void dm_cache_push(struct dm_heap *heap, struct dm_cache *cache, dm_u32 block, dm_u32 cls, dm_u32 size)
{
	dm_u32 *head = dm_cache_head(cache, cls);

	*dm_word(heap, block + DM_HDR) = *head;
	*dm_tag_word(heap, block) = dm_parked_tag(block);
	*head = block;
	*dm_cache_count(cache, cls) += 1;
	cache->blocks++;
	cache->bytes += size;
}

/* Refills the empty list of blocks of `piece_size` bytes (a block size) in `cache`: one block of DM_CACHE_REFILL
 * times the size taken from the heap and cut in pieces, all but the last parked, the last returned (its payload
 * offset; it keeps whatever the heap added to the block). 0 when the cache or the heap has no room for it. The
 * caller holds the lock and the cache. */
DM_INLINE dm_u32 dm_cache_refill(struct dm_heap *heap, struct dm_cache *cache, dm_u32 piece_size)
{
	dm_u32 cls = dm_cache_class(piece_size), block, word0, last, i;
	dm_u64 peak;

	if (DM_CACHE_REFILL < 2 || DM_CACHE_LIMIT == 0 || piece_size > DM_CACHE_MAX_BLOCK ||
	    *dm_cache_head(cache, cls) || *dm_cache_count(cache, cls) + DM_CACHE_REFILL - 1 > DM_CACHE_COUNT ||
	    cache->bytes + (DM_CACHE_REFILL - 1) * piece_size > DM_CACHE_BYTES ||
	    heap->ctl.c.allocated + DM_CACHE_REFILL * piece_size > DM_CACHE_HIGH_WATER)
		return 0;
	peak = heap->ctl.c.peak_allocated; /* dm_allocate counts one header where the pieces have R */
	block = dm_allocate(heap, DM_CACHE_REFILL * piece_size);
	if (!block) {
		heap->ctl.c.failed_allocations--; /* not the program's request: the heap itself takes that next */
		return 0;
	}
	block -= DM_HDR;
	word0 = *dm_word(heap, block); /* valid: dm_allocate has just written it, under the lock */
	/* Headers stored here, not through dm_put_header: no call to keep values alive across, a smaller stack frame
	 * (Linux 6.1 allows 512 bytes for a program's frames and its callees' together). */
	last = block + (DM_CACHE_REFILL - 1) * piece_size;
	dm_store_header(heap, last, dm_size(word0) - (DM_CACHE_REFILL - 1) * piece_size);
	*dm_tag_word(heap, last) = 0;
	dm_store_header(heap, block, piece_size | (word0 & DM_PREV_FREE));
	for (i = 0; i < DM_CACHE_REFILL - 1; i++) {
		if (i)
			dm_store_header(heap, block + i * piece_size, piece_size);
		dm_cache_push(heap, cache, block + i * piece_size, cls, piece_size);
	}
	/* The pieces are allocations to the heap (static_check's counts hold), not to the program: `refilled` takes
	 * them off the caches' hits in dm_stats. */
	heap->ctl.c.used_blocks += DM_CACHE_REFILL - 1;
	heap->ctl.c.allocations += DM_CACHE_REFILL - 1;
	heap->ctl.c.allocated -= (DM_CACHE_REFILL - 1) * DM_HDR; /* R headers where one was counted */
	heap->ctl.c.peak_allocated = heap->ctl.c.allocated > peak ? heap->ctl.c.allocated : peak;
	cache->refilled += DM_CACHE_REFILL - 1;
	return last + DM_HDR;
}

/* What a flush gives back: the blocks of class `cls` above `keep` of them, or with `cls` == DM_CACHE_CLASSES those
 * of every class. */
struct dm_flush_job {
	dm_u32 cls, keep;
};
/* Step `index` of a flush (a loop body): gives back one parked block of the job's class, or of class
 * index / (DM_CACHE_COUNT + 1) for every class, if that class has more than `keep` left; 1 (stop) once the cache, or
 * the one class, is down to that. The caller holds the lock and the cache. The class comes from the index, not from
 * a counter kept across steps: the verifier knows a counter's every value and would check the step once for each of
 * them (6.12: 28,000 instructions for 64 classes), where an index it checks once. */
static long dm_flush_step(dm_u64 index, void *ctx)
{
	const struct dm_flush_job *job = ctx;
	struct dm_heap *heap = dm_env_heap();
	struct dm_cache *cache = dm_env_cache();
	dm_u32 one = job->cls < DM_CACHE_CLASSES, cls = one ? job->cls : (dm_u32)(index / (DM_CACHE_COUNT + 1));
	dm_u32 block, size;

	if (!heap || !cache || !cache->blocks || cls >= DM_CACHE_CLASSES)
		return 1;
	block = *dm_cache_head(cache, cls);
	if (!block || *dm_cache_count(cache, cls) <= job->keep)
		return one;
	size = DM_MIN_BLOCK + (cls << DM_ALIGN_LOG2);
	*dm_cache_head(cache, cls) = *dm_word(heap, block + DM_HDR);
	if (dm_unpark(heap, block)) {
		cache->returned++;
		cache->blocks--;
		cache->bytes -= size;
		*dm_cache_count(cache, cls) -= 1;
	} else { /* the rest of this list cannot be trusted: it stays with the heap as used blocks */
		*dm_cache_head(cache, cls) = 0;
		cache->blocks -= *dm_cache_count(cache, cls);
		cache->bytes -= size * *dm_cache_count(cache, cls);
		*dm_cache_count(cache, cls) = 0;
	}
	return 0;
}
/* Gives the calling CPU's or thread's cache (dm_env_cache(), which each step looks up again: a loop body in BPF gets
 * no map pointer) back to the heap as `job` says. The caller holds the lock and the cache. A class holds at most
 * DM_CACHE_COUNT blocks: its share of steps is enough. */
DM_INLINE void dm_cache_flush(struct dm_flush_job job)
{
	dm_env_repeat(job.cls < DM_CACHE_CLASSES ? DM_CACHE_COUNT : DM_CACHE_CLASSES * (DM_CACHE_COUNT + 1),
		      DM_CACHE_CLASSES * (DM_CACHE_COUNT + 1), dm_flush_step, &job);
}
#define DM_FLUSH_ALL ((struct dm_flush_job){ DM_CACHE_CLASSES, 0 })
#define DM_FLUSH_NONE ((struct dm_flush_job){ DM_CACHE_CLASSES, DM_CACHE_COUNT }) /* keeps every block */

/* What a free that the fast path did not park gives back from its cache: half the list of its size when that list is
 * full, so that the next frees of that size park again (the lock taken once for DM_CACHE_COUNT / 2 of them; without
 * it, a full list sent every free of its size to the heap until mallocs emptied it: two threads queued on the lock
 * at 8% of their frees, 3-4x glibc); nothing (DM_FLUSH_NONE) otherwise, the cache's bytes full included:
 * giving back a list then, or the whole cache, cost the in-kernel random workload 40-110 ns per operation instead of
 * 34 (a whole flush is a loop of DM_CACHE_CLASSES * (DM_CACHE_COUNT + 1) steps in BPF). Read without the cache: a
 * hint, acted on under the lock. */
DM_INLINE struct dm_flush_job dm_cache_room_for(struct dm_heap *heap, dm_u64 payload)
{
	struct dm_cache *cache = dm_env_cache();
	dm_u32 size, cls;

	if (DM_CACHE_LIMIT == 0 || !dm_is_payload_offset(payload) || !cache ||
	    cache->generation != heap->ctl.generation)
		return DM_FLUSH_NONE;
	size = dm_size(*dm_word(heap, (dm_u32)payload - DM_HDR));
	if (size < DM_MIN_BLOCK || size > DM_CACHE_MAX_BLOCK)
		return DM_FLUSH_NONE;
	cls = dm_cache_class(size);
	if (*dm_cache_count(cache, cls) < DM_CACHE_COUNT)
		return DM_FLUSH_NONE;
	return (struct dm_flush_job){ cls, DM_CACHE_COUNT / 2 };
}

/* A cache that belongs to an older heap (formatted again since) is emptied of what it thinks it holds. The caller
 * holds the lock and the cache. */
DM_INLINE void dm_cache_sync(struct dm_heap *heap, struct dm_cache *cache)
{
	if (cache->generation == heap->ctl.generation)
		return;
	__builtin_memset(cache->heads, 0, sizeof(cache->heads));
	__builtin_memset(cache->counts, 0, sizeof(cache->counts));
	cache->blocks = cache->bytes = 0;
	cache->hits = cache->parks = cache->returned = cache->refilled = 0;
	cache->generation = heap->ctl.generation;
	dm_env_cache_adopt(heap, cache);
}

/* The caches' contents and counters, summed over every CPU or thread (a loop body per cache). Other CPUs' and
 * threads' caches are read as they are: exact when they are not in use. */
struct dm_cache_sums {
	dm_u64 blocks, bytes;
	dm_u64 hits; /* allocations the caches added to the heap's count: their hits less the blocks they refilled */
	dm_u64 parks, returned;
	dm_u32 generation;
};
static long dm_sum_cache_step(dm_u64 index, void *ctx)
{
	struct dm_cache_sums *sums = ctx;
	struct dm_heap *heap = dm_env_heap();
	struct dm_cache *cache;

	if (!heap || !(cache = dm_env_cache_of(heap, (dm_u32)index)))
		return 1;
	if (cache->generation == sums->generation) {
		sums->blocks += cache->blocks;
		sums->bytes += cache->bytes;
		sums->hits += cache->hits - cache->refilled;
		sums->parks += cache->parks;
		sums->returned += cache->returned;
	}
	return 0;
}
DM_INLINE struct dm_cache_sums dm_cache_totals(struct dm_heap *heap)
{
	struct dm_cache_sums sums = { .generation = heap->ctl.generation };

	dm_env_repeat(DM_MAX_CACHES, DM_MAX_CACHES, dm_sum_cache_step, &sums);
	sums.hits += heap->ctl.c.retired_hits;
	sums.parks += heap->ctl.c.retired_parks;
	sums.returned += heap->ctl.c.retired_returned;
	return sums;
}

#endif /* DYNAMIC_MEMORY_CACHE_H */
