/* SPDX-License-Identifier: MIT */
/* dm arena-init: makes a pinned arena heap ready. */
#include "user/heap_reader.h" /* heap_reader_arena_room */
#include "user/dm/dm.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
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

/* The program's `__arena` globals: the size of the section libbpf put them in, from the program's BTF (0: none). */
static size_t arena_globals(const struct bpf_prog_info *info)
{
	struct btf *btf = info->btf_id ? btf__load_from_kernel_by_id(info->btf_id) : NULL;
	__s32 id = btf ? btf__find_by_name_kind(btf, ".addr_space.1", BTF_KIND_DATASEC) : -1;
	size_t size = id > 0 ? btf__type_by_id(btf, (__u32)id)->size : 0;

	btf__free(btf);
	return size;
}

/* The check dm_arena_setup makes of a loaded object, made of the pinned program's arena dm_arena: dm_arena_init would
 * format the heap over globals that do not fit their room. */
static int check_globals_room(const char *path, int fd, const struct bpf_prog_info *info)
{
	__u32 ids[64], n = info->nr_map_ids < 64 ? info->nr_map_ids : 64;
	struct bpf_prog_info maps = { .nr_map_ids = n, .map_ids = (__u64)(uintptr_t)ids };
	__u32 len = sizeof(maps);
	char error[320];

	if (bpf_prog_get_info_by_fd(fd, &maps, &len))
		return EXIT_OK; /* nothing to check it by: run it, as before the check existed */
	for (__u32 i = 0; i < n && i < maps.nr_map_ids; i++) {
		struct bpf_map_info map = { 0 };
		__u32 map_len = sizeof(map);
		int map_fd = bpf_map_get_fd_by_id(ids[i]), found;

		if (map_fd < 0)
			continue;
		found = !bpf_map_get_info_by_fd(map_fd, &map, &map_len) && map.type == BPF_MAP_TYPE_ARENA &&
			!strcmp(map.name, "dm_arena");
		close(map_fd);
		if (found)
			return heap_reader_arena_room(path, map.map_extra,
						      (size_t)map.max_entries * (size_t)sysconf(_SC_PAGESIZE),
						      arena_globals(info), error, sizeof(error))
				       ? fail(EXIT_BAD_INPUT, "%s", error)
				       : EXIT_OK;
	}
	return EXIT_OK;
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
	status = check_globals_room(path, fd, &info);
	if (!status && bpf_prog_test_run_opts(fd, &opts))
		status = fail(errno == EPERM ? EXIT_PERMISSION : EXIT_KERNEL, "%s: the kernel would not run it: %s",
			      path, strerror(errno));
	else if (!status && opts.retval)
		status = fail(EXIT_KERNEL,
			      "%s: dm_arena_init failed: %d (%s): the kernel would not give the arena's pages", path,
			      (int)opts.retval, strerror(-(int)opts.retval));
	close(fd);
	if (status == EXIT_OK)
		printf("arena heap ready\n");
	return status;
}
