/* SPDX-License-Identifier: MIT */
/* What a ported program (dm_port_runtime.h) tells `dm run` (user/dm/run.c): ring buffer records and its return value. */
#ifndef DM_PORT_RECORDS_H
#define DM_PORT_RECORDS_H

#include <linux/types.h>

/* A record starts with its kind: text for standard output or standard error, or a struct dm_port_failure. */
enum dm_port_record { DM_PORT_TEXT = 0, DM_PORT_FAILURE = 1, DM_PORT_ERROR_TEXT = 2 };
enum dm_port_failure_kind {
	DM_PORT_NO_MEMORY = 1,    /* value: the allocation function, 1 malloc, 2 calloc, 3 realloc */
	DM_PORT_LOOP_LIMIT = 2,   /* a loop ran out of the verifier's budget */
	DM_PORT_BAD_INDEX = 3,    /* value: the index; bound: the array's length */
	DM_PORT_BAD_FUNCTION = 4, /* value: what a function pointer called through held (no function of its type) */
	DM_PORT_NO_ARGUMENTS = 5, /* the heap is too small for the arguments; value: their bytes */
	DM_PORT_RECURSION = 6,    /* the heap has no room for another frame of a recursive function; value: the depth */
};
struct dm_port_failure {
	__u8 record; /* DM_PORT_FAILURE */
	__u8 pad[3];
	__u32 line, kind, bound;
	__u64 value;
};

/* dm_port_run's return value: main's status (or exit's) in the low byte, and these. */
#define DM_PORT_OUTPUT_LOST 0x100 /* the ring buffer was full: some output is missing */
#define DM_PORT_ABORTED 0x200     /* the program called abort() (or an assert failed): dm run dies of SIGABRT */

/* What dm run gives dm_port_run (its context, BPF_PROG_TEST_RUN's ctx_in): the program's arguments and standard
 * input, in dm run's memory, read with bpf_copy_from_user. */
struct dm_port_context {
	__u64 arguments;       /* argc strings, each ending with a NUL, one after the other; argv[0] first */
	__u64 arguments_bytes; /* their length, NULs included */
	__u64 input;           /* standard input, read whole before the run (when the program reads input) */
	__u64 input_bytes;
	__u32 argc;
	__u32 pad;
};
/* dm_port_copy_in reads dm run's memory this many bytes at a time; dm run leaves as many readable bytes after the
 * arguments and the input, so that every read is of this constant size. */
#define DM_PORT_COPY_BYTES 4096

#endif
