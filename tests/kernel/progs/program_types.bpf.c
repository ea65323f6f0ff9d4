/* SPDX-License-Identifier: GPL-2.0 */
/* malloc, write, read back, free in every program type this kernel can run (perf_event included). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "test_progs.h"

SEC("xdp") __success __retval(1)
int xdp_roundtrip(struct xdp_md *ctx)
{
	return dm_test_roundtrip();
}

SEC("tc") __success __retval(1)
int tc_roundtrip(struct __sk_buff *skb)
{
	return dm_test_roundtrip();
}

SEC("syscall") __success __retval(1)
int syscall_roundtrip(void *ctx)
{
	return dm_test_roundtrip();
}

SEC("socket") __success __retval(1)
int socket_roundtrip(struct __sk_buff *skb)
{
	return dm_test_roundtrip();
}

SEC("raw_tp/sys_enter") __success __retval(1)
int raw_tp_roundtrip(void *ctx)
{
	if (dm_test_mine())
		dm_test_report(dm_test_roundtrip());
	return 0;
}

SEC("tp_btf/sys_enter") __success __retval(1)
int tp_btf_roundtrip(void *ctx)
{
	if (dm_test_mine())
		dm_test_report(dm_test_roundtrip());
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid") __success __retval(1)
int tracepoint_roundtrip(void *ctx)
{
	if (dm_test_mine())
		dm_test_report(dm_test_roundtrip());
	return 0;
}

SEC("iter/task") __success __retval(1)
int iter_roundtrip(struct bpf_iter__task *ctx)
{
	if (ctx->meta->seq_num == 0)
		dm_test_report(dm_test_roundtrip());
	return 0;
}

SEC("perf_event") __success __retval(1)
int perf_event_roundtrip(void *ctx)
{
	if (dm_test_mine())
		dm_test_report(dm_test_roundtrip());
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
