/* SPDX-License-Identifier: MIT */
/* dm stat's parts: stat.c (the command, the table, JSON and layout) and prometheus.c (/metrics). */
#ifndef DM_STAT_H
#define DM_STAT_H

#include "user/heap_reader.h"
#include "user/preload_stats.h"
#include "user/dm/dm.h"

#include <stdio.h>

/* What dm stat shows: a pinned heap (user/heap_reader.h) or a process on libdynamic_memory.so (its stats file). */
struct stat_target {
	const char *path, *name;
	int copies, percpu, process;
	struct heap_reader reader;   /* a pinned heap */
	struct dm_preload_info info; /* a process */
	struct dm_control shape;     /* a process: its pool, policy and align, where a walk of a map finds them */
	struct heap_walk *walks;     /* one per copy, filled by stat_snapshot */
	unsigned char *used;         /* --layout: one byte map per copy, filled by the walk, or NULL */
};

/* Reads the heap and walks every copy of it; a damaged one is reported on `errors` ("dm: PATH[, cpu N]: what").
 * Returns an exit status. */
int stat_snapshot(struct stat_target *t, FILE *errors);
/* "all" for a shared heap, the CPU's number for a per-CPU one. */
const char *stat_cpu_label(const struct stat_target *t, int copy, char buf[16]);
/* Serves /metrics on [ADDR:]PORT until SIGINT or SIGTERM. */
int serve_prometheus(const char *listen_on, struct stat_target *t);

#endif
