/* SPDX-License-Identifier: MIT */
/*
 * dm's reader of libdynamic_memory.so's live-metrics file (dm stat --pid, dm stat STATS_FILE). Built with the
 * library's heap configuration (user/preload_heap.h), so that the control block it reads has the library's layout.
 */
#define _GNU_SOURCE
#define DM_NATIVE_HEAP NULL /* a reader: it has no heap of its own */
#include "user/preload_heap.h"
#include "user/heap_reader.h" /* the control block's checks and counters, shared with dm stat's reader of maps */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

_Static_assert(DM_FIRST < DM_PRELOAD_PAGE, "the control block must fit the stats file's heap page");

int dm_preload_is_file(const char *path)
{
	struct dm_preload_info info;
	int fd = open(path, O_RDONLY | O_CLOEXEC), is;

	if (fd < 0)
		return 0;
	is = pread(fd, &info, sizeof(info), 0) == (ssize_t)sizeof(info) && info.magic == DM_PRELOAD_MAGIC;
	close(fd);
	return is;
}

/* Smallest block of a class (inverse of dm_class). */
static dm_u32 class_floor(dm_u32 cls)
{
	dm_u32 fl = cls / DM_SL_COUNT, sl = cls % DM_SL_COUNT;

	return fl ? (DM_SL_COUNT + sl) << (fl + DM_ALIGN_LOG2 - 1) : cls << DM_ALIGN_LOG2;
}

/* What dm_largest_request computes in the process, from its control block and the headers of the top class's
 * first blocks, read from its memory. The header's class functions take the heap and read its control block only:
 * gcc cannot know that they stay inside the page. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
static dm_u64 largest_free(const struct dm_control *ctl, const struct dm_preload_info *info)
{
	struct dm_heap *view = (struct dm_heap *)(uintptr_t)ctl; /* only its control block is read */
	dm_u32 cls = dm_top_class(view), cur, best = 0;

	if (cls >= DM_CLASSES)
		return 0;
	cur = dm_first_block(view, cls);
	for (dm_u32 left = ctl->scan_limit; left && cur; left--) {
		dm_u32 words[3]; /* word 0, check word, next link */
		struct iovec local = { words, sizeof(words) },
			     remote = { (void *)(uintptr_t)(info->heap + cur), sizeof(words) };

		if (process_vm_readv((pid_t)info->pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(words))
			return class_floor(cls) -
			       DM_HDR; /* no permission to read its memory: what the class promises */
		best = dm_size(words[0]) > best ? dm_size(words[0]) : best;
		cur = words[2];
	}
	return best ? best - DM_HDR : 0;
}
#pragma GCC diagnostic pop

int dm_preload_read(const char *path, struct dm_preload_info *info, struct dm_stats *out, char *error,
		    size_t error_size)
{
	union {
		struct dm_control ctl;
		unsigned char page[DM_PRELOAD_PAGE];
	} first;
	const struct dm_counters *c = &first.ctl.c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : pread(fd, info, sizeof(*info), 0);

	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		snprintf(error, error_size, "%s: permission denied (a process's stats file, unreadable to this user)",
			 path);
		return -2;
	}
	if (fd < 0) {
		snprintf(error, error_size, "%s: cannot open: %s (is the process running on libdynamic_memory.so?)",
			 path, strerror(errno));
		return -1;
	}
	if (got == (ssize_t)sizeof(*info))
		got = pread(fd, first.page, sizeof(first.page), DM_PRELOAD_PAGE);
	close(fd);
	if (got != (ssize_t)sizeof(first.page) || info->magic != DM_PRELOAD_MAGIC) {
		snprintf(error, error_size,
			 "%s: not a libdynamic_memory.so stats file (expected %u bytes starting with "
			 "magic 0x%x)",
			 path, 2 * DM_PRELOAD_PAGE, DM_PRELOAD_MAGIC);
		return -1;
	}
	if (kill((pid_t)info->pid, 0) && errno == ESRCH) {
		snprintf(error, error_size,
			 "%s: process %u has exited without removing its file (killed, or _exit "
			 "without exec); remove it",
			 path, info->pid);
		return -1;
	}
	/* a heap, and this library's: the pool and alignment it is built with put the blocks where this reader looks */
	if (!heap_reader_control_valid(&first.ctl) || first.ctl.pool_size != DM_POOL_SIZE ||
	    first.ctl.align != DM_ALIGN || first.ctl.first != DM_FIRST || first.ctl.sentinel != DM_SENTINEL) {
		snprintf(error, error_size,
			 "%s: heap of pool %u, align %u: not the layout of this dm's "
			 "libdynamic_memory.so (pool %u, align %u)",
			 path, first.ctl.pool_size, first.ctl.align, (unsigned)DM_POOL_SIZE, DM_ALIGN);
		return -1;
	}
	/* Read while the process runs: each counter is current, together they may be a few operations apart. Its
	 * blocks are the process's private memory: their counts and free bytes come from the counters too. */
	*out = (struct dm_stats){
		.free = DM_CAPACITY + DM_HDR - c->allocated - DM_HDR * (c->used_blocks + c->free_blocks),
		.largest_free = largest_free(&first.ctl, info),
		.used_blocks = c->used_blocks,
		.free_blocks = c->free_blocks,
	};
	heap_reader_control_counters(&first.ctl, out);
	dm_preload_discount(out, info);
	return 0;
}
