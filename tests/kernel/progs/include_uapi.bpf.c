/* SPDX-License-Identifier: GPL-2.0 */
/* The second include style: <linux/bpf.h> instead of vmlinux.h. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "test_progs.h"

SEC("xdp") __success __retval(1)
int uapi_roundtrip(struct xdp_md *ctx)
{
	return dm_test_roundtrip();
}

char LICENSE[] SEC("license") = "GPL";
