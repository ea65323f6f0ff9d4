/* SPDX-License-Identifier: GPL-2.0 */
/* The per-CPU heap: no lock between CPUs, a guard against a program nested on the same CPU. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#define DM_HEAP_PERCPU
#define DM_POOL_SIZE 16384
#include "dynamic_memory.h"
#include "test_progs.h"

SEC("xdp") __success __retval(1)
int percpu_roundtrip(struct xdp_md *ctx)
{
	return dm_test_roundtrip();
}

SEC("raw_tp/sys_enter") __success __retval(1)
int percpu_in_tracing(void *ctx)
{
	if (dm_test_mine())
		dm_test_report(dm_test_roundtrip());
	return 0;
}

/* A program that interrupted this CPU's heap operation finds the guard taken: it gets NULL, the heap is untouched,
 * lock_failures counts it. Simulated by taking the guard the way the interrupted operation holds it. */
SEC("xdp") __success __retval(1)
int nested_program_is_refused(struct xdp_md *ctx)
{
	struct dm_heap *heap = dm_env_heap();
	struct dm_stats before, after;
	void *p;

	if (!heap)
		return -1;
	static_stats(&before);
	if (dm_env_cas(&heap->ctl.lock, 0, dm_env_lock_id()) != 0)
		return -2;
	p = static_malloc(8);
	dm_env_unlock(&heap->ctl.lock);
	static_stats(&after);
	if (p)
		return -3;
	return after.lock_failures == before.lock_failures + 1 && after.allocations == before.allocations &&
	       static_check() == 0;
}

char LICENSE[] SEC("license") = "GPL";
