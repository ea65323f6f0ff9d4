/* SPDX-License-Identifier: MIT */
/* Drives hash_table.bpf.c: inserts N keys, replaces some, deletes the even ones, looks every key up, and checks
 * each answer against what it should be. Usage: hash_table [N] (default 200). */
#include "user/heap_reader.h"
#include "hash_table.skel.h"
#include "hash_table.h"
#include "loader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long call(const struct bpf_program *prog, __u64 key, __u64 value)
{
	struct table_op req = { key, value };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &req, .ctx_size_in = sizeof(req));

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts)) {
		fprintf(stderr, "hash_table: %s(%llu) failed: %s\n", bpf_program__name(prog), (unsigned long long)key,
			strerror(errno));
		exit(1);
	}
	return (int)opts.retval;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200, wrong = 0, found = 0;
	struct hash_table_bpf *skel;

	check_arguments(argc <= 2 && n > 0, argc, argv,
			"[N]   insert, replace, delete and look up N keys in an in-kernel hash table");
	skel = hash_table_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "hash_table: cannot load hash_table.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	for (long k = 1; k <= n; k++)
		wrong += call(skel->progs.put, (__u64)k, (__u64)k * 10) != 1;
	for (long k = 1; k <= n; k += 3)
		wrong += call(skel->progs.put, (__u64)k, (__u64)k * 100) != 0; /* replace */
	for (long k = 2; k <= n; k += 2)
		wrong += call(skel->progs.delete, (__u64)k, 0) != 1;
	for (long k = 1; k <= n; k++) {
		long expect = k % 2 == 0         ? -1
			      : (k - 1) % 3 == 0 ? k * 100
						 : k * 10,
		     got = call(skel->progs.get, (__u64)k, 0);

		wrong += got != expect;
		found += got != -1;
	}
	printf("inserted %ld keys, replaced every third, deleted the even ones: %ld left (%llu entries in the table), "
	       "%ld wrong answers\n",
	       n, found, (unsigned long long)skel->bss->entries, wrong);
	heap_reader_print_object(stdout, skel->obj);
	hash_table_bpf__destroy(skel);
	return wrong ? 1 : 0;
}
