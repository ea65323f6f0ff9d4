/* SPDX-License-Identifier: MIT */
/* Runs percpu_scratch.bpf.c on every CPU (XDP test runs pinned to a CPU is not possible, so the loader moves
 * itself from CPU to CPU) and prints each CPU's heap: every CPU has its own. */
#define _GNU_SOURCE
#include "user/heap_reader.h"
#include "percpu_scratch.skel.h"
#include "percpu_scratch.h"
#include "loader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static unsigned char packet[256];
	struct percpu_scratch_bpf *skel;
	int cpus = libbpf_num_possible_cpus();

	check_arguments(argc == 1, argc, argv,
			"  checksum test packets on every CPU with scratch buffers from per-CPU heaps");
	skel = percpu_scratch_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "percpu_scratch: cannot load percpu_scratch.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < (int)sizeof(packet); i++)
		packet[i] = (unsigned char)i;
	for (int cpu = 0; cpu < cpus; cpu++) {
		cpu_set_t set;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof(packet),
			    .repeat = 1000 * (cpu + 1));

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) ||
		    bpf_prog_test_run_opts(bpf_program__fd(skel->progs.checksum_packet), &opts) ||
		    opts.retval != XDP_PASS) {
			fprintf(stderr, "percpu_scratch: run on CPU %d failed: %s\n", cpu, strerror(errno));
			return 1;
		}
	}
	printf("%llu packets checksummed (total %llu), each with a %d-byte scratch buffer from its CPU's heap:\n",
	       (unsigned long long)skel->bss->packets, (unsigned long long)skel->bss->checksum, SCRATCH);
	heap_reader_print_object(stdout, skel->obj);
	percpu_scratch_bpf__destroy(skel);
	return 0;
}
