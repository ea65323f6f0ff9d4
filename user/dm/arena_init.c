/* SPDX-License-Identifier: MIT */
/* dm arena-init: makes a pinned arena heap ready. */
#include "user/dm/dm.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void arena_init_help(void)
{
	printf("usage: dm arena-init PIN_PATH\n\n"
	       "Runs the pinned program dm_arena_init of an arena heap (DM_HEAP_ARENA) once: it allocates the\n"
	       "arena's pages and formats the heap. Until then every allocation fails. Running it again is "
	       "harmless.\n");
	print_exit_statuses((const int[]){ EXIT_OK, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_PERMISSION, EXIT_KERNEL, -1 });
}

/* Runs a pinned dm_arena_init: what a loader does after loading an arena heap, for objects loaded with bpftool
 * (whose `prog run` cannot run syscall programs). */
int arena_init_command(int argc, char **argv)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	const char *path = NULL, *operand;
	int fd, status;

	for (int i = 0; i < argc; i++) {
		if (next_argument("arena-init", NULL, argc, argv, &i, &operand) == ARGUMENT_BAD)
			return EXIT_USAGE;
		if (path)
			return unexpected_argument("arena-init", operand);
		path = operand;
	}
	if (!path)
		return fail(EXIT_USAGE, "arena-init: which heap? give the path of its pinned dm_arena_init (see dm "
					"arena-init --help)");
	status = open_pinned(path, "program", "the pinned program dm_arena_init of an arena heap", &fd);
	if (status)
		return status;
	if (bpf_prog_get_info_by_fd(fd, &info, &len) || info.type != BPF_PROG_TYPE_SYSCALL ||
	    strcmp(info.name, "dm_arena_init")) {
		close(fd);
		return fail(EXIT_BAD_INPUT, "%s: the pinned program '%s', expected dm_arena_init (a syscall program)",
			    path, info.name);
	}
	if (bpf_prog_test_run_opts(fd, &opts))
		status = fail(errno == EPERM ? EXIT_PERMISSION : EXIT_KERNEL, "%s: the kernel would not run it: %s",
			      path, strerror(errno));
	else if (opts.retval)
		status = fail(EXIT_KERNEL,
			      "%s: dm_arena_init failed: %d (%s): the kernel would not give the arena's pages", path,
			      (int)opts.retval, strerror(-(int)opts.retval));
	close(fd);
	if (status == EXIT_OK)
		printf("arena heap ready\n");
	return status;
}
