/* SPDX-License-Identifier: GPL-2.0 */
/* The verifier's cost of one malloc + write + free, built per pool size and policy (see the Makefile): the runner
 * checks that verified_insns stays within 5% across pool sizes. Built for the ARRAY and the arena heap. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "test_progs.h"

SEC("xdp") __success __retval(1)
int one_malloc(struct xdp_md *ctx)
{
	__u64 __arena *p = static_malloc(64);

	if (!p)
		return 0;
	p[0] = 1;
	p[7] = 2;
	static_free(p);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
