/* SPDX-License-Identifier: MIT */
/* For cmocka tests of BPF objects (tests/kernel/arena.c, tests/kernel/arena_globals.c); include after <cmocka.h> and libbpf. */
#ifndef TEST_RUN_H
#define TEST_RUN_H

/* Runs a program once with BPF_PROG_TEST_RUN (XDP: with a zeroed 64-byte packet) and returns its return value. */
static int run_program(struct bpf_program *prog)
{
	char packet[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	assert_non_null(prog);
	if (bpf_program__type(prog) == BPF_PROG_TYPE_XDP) {
		opts.data_in = packet;
		opts.data_size_in = sizeof(packet);
	}
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
	return (int)opts.retval;
}

#endif
