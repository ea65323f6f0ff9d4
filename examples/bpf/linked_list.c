/* SPDX-License-Identifier: MIT */
/* Loads linked_list.bpf.o and runs its syscall program N times: the list it keeps on the heap grows between
 * runs. Prints what each run found and the heap's counters. Usage: linked_list [RUNS] (default 6). */
#include "user/heap_reader.h"
#include "linked_list.skel.h"
#include "loader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 6, err;
	struct linked_list_bpf *skel;

	check_arguments(argc <= 2 && n > 0, argc, argv,
			"[RUNS]   run the in-kernel linked list RUNS times (default 6)");
	skel = linked_list_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr,
			"linked_list: cannot load linked_list.bpf.o: %s (root and a BPF-enabled kernel "
			"are needed)\n",
			strerror(errno));
		return 1;
	}
	printf("BPF program grow_list (syscall) loaded; each run mallocs one list item in the kernel:\n");
	for (int i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts);

		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.grow_list), &opts);
		if (err || (int)opts.retval) {
			fprintf(stderr, "linked_list: run %d failed: %s, static_check() = %d\n", i + 1,
				err ? strerror(errno) : "ok", (int)opts.retval);
			linked_list_bpf__destroy(skel);
			return 1;
		}
		printf("  run %llu: pushed %llu%s; list now %llu items, sum %llu\n",
		       (unsigned long long)skel->bss->runs, (unsigned long long)(skel->bss->runs * skel->bss->runs),
		       skel->bss->runs % 3 == 0 ? ", dropped the oldest" : "", (unsigned long long)skel->bss->length,
		       (unsigned long long)skel->bss->sum);
	}
	err = heap_reader_print_object(stdout, skel->obj);
	linked_list_bpf__destroy(skel);
	return err ? 1 : 0;
}
