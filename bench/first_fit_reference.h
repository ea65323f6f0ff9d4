/* SPDX-License-Identifier: MIT */
/*
 * A simple address-ordered first fit over a 64 KiB pool, for the fragmentation benchmark only: what an allocator
 * without size classes achieves on the same workload. Blocks carry a 4-byte header and a 4-byte footer (size | used)
 * inside the pool, payloads are 8-byte aligned, the walk visits every block from the lowest address, a free block
 * is split when the rest can hold a block, and frees coalesce with both neighbours.
 */
#ifndef FIRST_FIT_REFERENCE_H
#define FIRST_FIT_REFERENCE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FF_POOL 65536u
#define FF_USED 1u
#define FF_MIN 16u

static _Alignas(8) uint8_t ff_pool[FF_POOL];

static uint32_t *ff_word(uint32_t off)
{
	return (uint32_t *)(ff_pool + off);
}
static void ff_mark(uint32_t block, uint32_t size, uint32_t used)
{
	*ff_word(block) = size | used;
	*ff_word(block + size - 4) = size | used;
}

/* Blocks start 4 bytes before an 8-byte boundary (payloads aligned); the first 4 and last 4 bytes stay unused. */
static void ff_reset(void)
{
	ff_mark(4, FF_POOL - 8, 0);
}

static void *ff_malloc(size_t request)
{
	uint32_t need = (uint32_t)((request + 8 + 7) & ~(size_t)7);

	if (need < FF_MIN)
		need = FF_MIN;
	for (uint32_t block = 4; block < FF_POOL - 4; block += *ff_word(block) & ~FF_USED) {
		uint32_t size = *ff_word(block);

		if (size & FF_USED || size < need)
			continue;
		if (size - need >= FF_MIN) {
			ff_mark(block + need, size - need, 0);
			size = need;
		}
		ff_mark(block, size, FF_USED);
		return ff_pool + block + 4;
	}
	return NULL;
}

static void ff_free(void *p)
{
	uint32_t block = (uint32_t)((uint8_t *)p - ff_pool) - 4, size = *ff_word(block) & ~FF_USED;

	if (block + size < FF_POOL - 4 && !(*ff_word(block + size) & FF_USED))
		size += *ff_word(block + size);
	if (block > 4 && !(*ff_word(block - 4) & FF_USED)) {
		block -= *ff_word(block - 4);
		size += *ff_word(block) & ~FF_USED;
	}
	ff_mark(block, size, 0);
}

#endif
