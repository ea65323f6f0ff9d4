/* SPDX-License-Identifier: MIT */
/* Feeds packets of assorted sizes to packet_sizes.bpf.c (XDP, through BPF_PROG_TEST_RUN) and prints the
 * histogram the program keeps in heap memory, read from userspace through user/heap_reader.h. */
#include "user/heap_reader.h"
#include "packet_sizes.skel.h"
#include "packet_sizes.h"
#include "loader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static unsigned char packet[1500];
	struct packet_sizes_bpf *skel;
	struct heap_reader reader;
	struct heap_walk walk;
	__u64 offset, *histogram;

	check_arguments(
		argc == 1, argc, argv,
		"  send 1000 test packets of assorted sizes through an XDP program and show the size histogram it "
		"keeps on the BPF heap");
	skel = packet_sizes_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "packet_sizes: cannot load packet_sizes.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	srand(1);
	for (int i = 0; i < 1000; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = 60 + (unsigned)rand() % 1440);

		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.count_packet), &opts) ||
		    opts.retval != XDP_PASS) {
			fprintf(stderr, "packet_sizes: test run %d failed (retval %u)\n", i, opts.retval);
			return 1;
		}
	}
	/* A copy of the heap, its control block validated before it is used */
	if (heap_reader_open_object(&reader, skel->obj) || heap_reader_snapshot(&reader)) {
		fprintf(stderr, "packet_sizes: reading the heap: %s\n", reader.error);
		return 1;
	}
	if (heap_reader_walk(&reader, 0, &walk, NULL) || !walk.used) {
		fprintf(stderr, "packet_sizes: the heap: %s\n", walk.error[0] ? walk.error : "not formatted");
		return 1;
	}
	/* The program stored the block's kernel address; its offset in the map value is that minus the heap's. */
	offset = (__u64)(unsigned long)skel->bss->histogram - walk.ctl->self;
	if (offset + BUCKETS * sizeof(__u64) > reader.value_size) {
		fprintf(stderr, "packet_sizes: histogram offset %llu outside the heap\n", (unsigned long long)offset);
		return 1;
	}
	histogram = (__u64 *)(reader.values + offset);
	printf("packet sizes seen by the XDP program (histogram at heap offset %llu):\n", (unsigned long long)offset);
	for (int b = 0; b < BUCKETS; b++) {
		char range[16];

		snprintf(range, sizeof(range), b == BUCKETS - 1 ? "%d+" : "%d-%d", b * BUCKET_BYTES,
			 b * BUCKET_BYTES + BUCKET_BYTES - 1);
		printf("  %9s B: %4llu %.*s\n", range, (unsigned long long)histogram[b], (int)(histogram[b] / 8),
		       "##################################################");
	}
	heap_reader_print_object(stdout, skel->obj);
	heap_reader_close(&reader);
	packet_sizes_bpf__destroy(skel);
	return 0;
}
