/* SPDX-License-Identifier: MIT */
/*
 * struct dm_stats as a table: a column per field of DM_STATS_FIELDS (dynamic_memory.h), generated from the list, and
 * fragmentation last, so that a new counter is a new column in every table: dm stat's, dm preload's, the loaders' (all
 * through user/heap_reader.h) and the native programs' (user/native_demo.c, tests/native/stress.c), which have no
 * libbpf and include this header alone.
 */
#ifndef STATS_COLUMNS_H
#define STATS_COLUMNS_H

#include "dynamic_memory.h"

#include <stdio.h>

/* 1 - largest free / free: 0 when every free byte is in one block. */
static inline double dm_stats_fragmentation(const struct dm_stats *s)
{
	return s->free ? 1.0 - (double)s->largest_free / (double)s->free : 0.0;
}

/* A column is as wide as its title, and never narrower than 9 (up to 999,999,999 bytes aligned) */
#define DM_STATS_COLUMN_WIDTH(title) ((int)(sizeof(title) - 1 > 9 ? sizeof(title) - 1 : 9))

/* The columns' titles, and one row's values. The caller prints the row's label columns first, and ends the line. */
static inline void dm_stats_print_titles(FILE *out)
{
#define DM_STATS_TITLE(member, unit, type, column, meaning) fprintf(out, " %*s", DM_STATS_COLUMN_WIDTH(column), column);
	DM_STATS_FIELDS(DM_STATS_TITLE)
#undef DM_STATS_TITLE
	fprintf(out, " %6s", "frag");
}

static inline void dm_stats_print_values(FILE *out, const struct dm_stats *s)
{
#define DM_STATS_VALUE(member, unit, type, column, meaning)                                                            \
	fprintf(out, " %*llu", DM_STATS_COLUMN_WIDTH(column), (unsigned long long)s->member);
	DM_STATS_FIELDS(DM_STATS_VALUE)
#undef DM_STATS_VALUE
	fprintf(out, " %6.3f", dm_stats_fragmentation(s));
}

#endif
