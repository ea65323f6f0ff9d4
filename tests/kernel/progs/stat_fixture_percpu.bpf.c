/* SPDX-License-Identifier: GPL-2.0 */
/* The per-CPU twin of stat_fixture.bpf.c, for tests/tools/dm_stat.bats: the same programs over a per-CPU heap. */
#define DM_HEAP_PERCPU
#define DM_POOL_SIZE 16384
#include "stat_fixture.bpf.c"
