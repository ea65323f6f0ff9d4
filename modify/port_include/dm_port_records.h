/* SPDX-License-Identifier: MIT */
/* What a ported program (dm_port_runtime.h) tells `dm run` (user/dm.c): ring buffer records and its return value. */
#ifndef DM_PORT_RECORDS_H
#define DM_PORT_RECORDS_H

#include <linux/types.h>

/* A record starts with its kind: text to print, or a struct dm_port_failure. */
enum dm_port_record { DM_PORT_TEXT = 0, DM_PORT_FAILURE = 1 };
enum dm_port_failure_kind {
	DM_PORT_NO_MEMORY = 1,  /* value: the allocation function, 1 malloc, 2 calloc, 3 realloc */
	DM_PORT_LOOP_LIMIT = 2, /* a loop ran out of the verifier's budget */
	DM_PORT_BAD_INDEX = 3,  /* value: the index; bound: the array's length */
	DM_PORT_BAD_FUNCTION = 4, /* value: what a function pointer called through held (no function of its type) */
};
struct dm_port_failure {
	__u8 record; /* DM_PORT_FAILURE */
	__u8 pad[3];
	__u32 line, kind, bound;
	__u64 value;
};

/* dm_port_run's return value: main's status in the low byte, and these. */
#define DM_PORT_OUTPUT_LOST 0x100 /* the ring buffer was full: some output is missing */

#endif
