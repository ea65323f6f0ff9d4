/* SPDX-License-Identifier: MIT */
/* dynamic_memory/blocks.h: block headers: check words, sizes, the parked tag, header reads and writes.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_BLOCKS_H
#define DYNAMIC_MEMORY_BLOCKS_H

/* ================================================ Internal: blocks =============================================== */

/* Status of a header read back from the pool. */
enum dm_header_status {
	DM_HEADER_OK = 0,
	DM_HEADER_NOT_A_BLOCK = 1, /* no header was ever written at this offset (or it was absorbed by coalescing) */
	DM_HEADER_DAMAGED = 2,     /* a header belongs here but its contents were overwritten */
};

/* Result codes of static_check(), in the order it tests them. */
enum dm_check_result {
	DM_CHECK_OK = 0,
	DM_CHECK_LOCK = -1,          /* the lock could not be taken */
	DM_CHECK_HEADER = -2,        /* a block header is damaged or a block size is impossible */
	DM_CHECK_PREV_FREE = -3,     /* a PREV_FREE flag disagrees with the block before it */
	DM_CHECK_ADJACENT_FREE = -4, /* two free blocks touch (coalescing missed) */
	DM_CHECK_FOOTER = -5,        /* a free block's footer disagrees with its header */
	DM_CHECK_LIST = -6,          /* free-list links are inconsistent, or a block sits in the wrong list */
	DM_CHECK_BITMAP = -7,        /* segregated bitmaps disagree with the lists */
	DM_CHECK_COUNTS = -8,        /* the counters disagree with the blocks found */
	DM_CHECK_SENTINEL = -9,      /* the end-of-pool sentinel is damaged or was not reached */
	DM_CHECK_CACHE = -10,        /* parked blocks and the caches' counts disagree */
};

DM_INLINE dm_u32 *dm_word(struct dm_heap *heap, dm_u32 off) { return (dm_u32 *)dm_env_ptr(heap, off); }

/* One multiply each: the high half of a product by an odd constant depends on every bit of the input, so a tag
 * changes (but for 1 in 2^16) when its offset, its word 0 or the heap's generation does. The generation keeps the
 * headers an earlier format of the heap left inside today's blocks from validating (static_reset and
 * dm_arena_init do not clear the pool): a free of an interior pointer that lands on one is refused, not obeyed. */
DM_INLINE dm_u32 dm_offset_tag(dm_u32 block, dm_u32 generation)
{
	return ((block ^ DM_CHECK_SEED ^ (generation * 0x27d4eb2fu)) * 0x9e3779b1u) & 0xffff0000u;
}
DM_INLINE dm_u32 dm_check_word(dm_u32 block, dm_u32 word0, dm_u32 generation)
{
	return dm_offset_tag(block, generation) | (((word0 ^ (block * 0x85ebca77u)) * 0xc2b2ae3du) >> 16);
}

/* A header is one aligned 64-bit word (word 0, then the check word), stored and loaded whole: a reader without
 * the lock (a free parked or deferred while a lock holder flips this block's PREV_FREE bit) sees the old header or
 * the new one, never half of each. Two 32-bit stores did tear: a holder interrupted between them (or its vCPU
 * descheduled) left the header torn for as long as the deferring CPU kept reading, and a valid free was refused. */
union dm_header {
	dm_u64 whole;
	dm_u32 word[2]; /* word 0 (size and flags), the check word: at block and block + 4 in either byte order */
};
DM_INLINE dm_u64 *dm_header_word(struct dm_heap *heap, dm_u32 block) { return (dm_u64 *)dm_env_ptr(heap, block); }

/* The heap's own header reads and writes, list updates and search are entry points of their own: in BPF each is then
 * checked once, not at every use (the slow path pays a call for each; the fast path needs none of them). */
DM_INLINE void dm_store_header(struct dm_heap *heap, dm_u32 block, dm_u32 word0)
{
	union dm_header header = { .word = { word0, dm_check_word(block, word0, heap->ctl.generation) } };

	*dm_header_word(heap, block) = header.whole;
}
DM_ENTRY int dm_put_header(dm_u64 block, dm_u64 word0)
{
	struct dm_heap *heap = dm_env_heap();

	if (!heap)
		return -1;
	dm_store_header(heap, (dm_u32)block, (dm_u32)word0);
	return 0;
}
DM_INLINE void dm_write_header(struct dm_heap *heap, dm_u32 block, dm_u32 word0)
{
	(void)heap;
	dm_put_header(block, word0);
}
/* A header absorbed by coalescing must never validate again (double free of a merged block). */
DM_INLINE void dm_erase_header(struct dm_heap *heap, dm_u32 block)
{
	dm_word(heap, block + 4)[0] = ~dm_offset_tag(block, heap->ctl.generation) & 0xffff0000u;
}

/* Whether `payload` can be a block's payload offset at all: past the first header, before the sentinel, aligned. */
DM_INLINE int dm_is_payload_offset(dm_u64 payload)
{
	return payload >= DM_FIRST + DM_HDR && payload < DM_SENTINEL && !(payload & (DM_ALIGN - 1));
}

/* Validates the header at `block`: returns word 0 in the low 32 bits and the enum dm_header_status above them. */
DM_INLINE dm_u64 dm_header_of(struct dm_heap *heap, dm_u64 block)
{
	union dm_header header;
	dm_u32 w0, check, size;

	if (block < DM_FIRST || block > DM_SENTINEL || ((block + DM_HDR) & (DM_ALIGN - 1)))
		return (dm_u64)DM_HEADER_NOT_A_BLOCK << 32;
	header.whole = *dm_header_word(heap, (dm_u32)block);
	w0 = header.word[0];
	check = header.word[1];
	if (check != dm_check_word((dm_u32)block, w0, heap->ctl.generation))
		return (dm_u64)((check & 0xffff0000u) == dm_offset_tag((dm_u32)block, heap->ctl.generation)
					? DM_HEADER_DAMAGED
					: DM_HEADER_NOT_A_BLOCK)
		       << 32;
	size = w0 & ~DM_FLAGS;
	if (block == DM_SENTINEL ? (w0 & ~DM_PREV_FREE) != 0
				  : (size < DM_MIN_BLOCK || (size & (DM_ALIGN - 1)) || size > DM_SENTINEL - block ||
				     (w0 & DM_FLAGS & ~(DM_FREE | DM_PREV_FREE))))
		return (dm_u64)DM_HEADER_DAMAGED << 32;
	return w0;
}
DM_ENTRY dm_u64 dm_get_header(dm_u64 block)
{
	struct dm_heap *heap = dm_env_heap();

	return heap ? dm_header_of(heap, block) : (dm_u64)DM_HEADER_NOT_A_BLOCK << 32;
}
/* Reads the header at `block`, validates it and returns its status; *word0 receives word 0 when it is OK. */
DM_INLINE enum dm_header_status dm_read_header(struct dm_heap *heap, dm_u32 block, dm_u32 *word0)
{
	dm_u64 got = dm_get_header(block);

	(void)heap;
	*word0 = (dm_u32)got;
	return (enum dm_header_status)(got >> 32);
}

DM_INLINE dm_u32 dm_size(dm_u32 word0) { return word0 & ~DM_FLAGS; }
DM_INLINE dm_u32 *dm_next_link(struct dm_heap *heap, dm_u32 block) { return dm_word(heap, block + DM_HDR); }
DM_INLINE dm_u32 *dm_prev_link(struct dm_heap *heap, dm_u32 block) { return dm_word(heap, block + DM_HDR + 4); }
DM_INLINE dm_u32 *dm_footer(struct dm_heap *heap, dm_u32 block, dm_u32 size)
{
	return dm_word(heap, block + size - 4);
}

/* A parked block (in a cache or on the deferred list) is a used block to the heap; what marks it parked is this tag
 * at payload + 8, which only the allocator writes: a free of it is a double free. One multiply by an odd constant:
 * distinct for every offset, never 0. User data holding exactly the tag of its own block (1 in 2^64) would make a
 * free of it refused. */
DM_INLINE dm_u64 dm_parked_tag(dm_u32 block) { return ((dm_u64)(block ^ DM_CHECK_SEED) * 0x9e3779b97f4a7c15ull) | 1; }
DM_INLINE dm_u64 *dm_tag_word(struct dm_heap *heap, dm_u32 block)
{
	return (dm_u64 *)dm_env_ptr(heap, block + DM_HDR + 8);
}
DM_INLINE int dm_is_parked(struct dm_heap *heap, dm_u32 block) { return *dm_tag_word(heap, block) == dm_parked_tag(block); }

/* Block size for a request: header included, aligned, at least DM_MIN_BLOCK; 0 when no block could be that big. */
DM_INLINE dm_u32 dm_block_size(dm_u64 request)
{
	dm_u32 size;

	if (request > DM_CAPACITY)
		return 0;
	size = ((dm_u32)request + DM_HDR + DM_ALIGN - 1) & ~(dm_u32)(DM_ALIGN - 1);
	return size < DM_MIN_BLOCK ? DM_MIN_BLOCK : size;
}

/* Index of the highest set bit; x != 0. */
DM_INLINE dm_u32 dm_fls(dm_u32 x) { return 31u - (dm_u32)__builtin_clz(x); }
DM_INLINE dm_u32 dm_ffs(dm_u32 x) { return (dm_u32)__builtin_ctz(x); }

#endif /* DYNAMIC_MEMORY_BLOCKS_H */
