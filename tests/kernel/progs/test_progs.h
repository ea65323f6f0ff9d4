/* SPDX-License-Identifier: MIT */
/*
 * Expectations of in-kernel test programs, written next to them as in the kernel's BPF selftests and checked by
 * tests/kernel/bpf_runner.c (they travel in the object's BTF as decl tags):
 *   __success           the program loads
 *   __failure __msg(m)  the verifier rejects it, and its log contains m ("a|b": a or b, as kernels differ)
 *   __retval(n)         running it gives n: test_run's return value, or (tracing types, which are attached and
 *                       triggered) the value it passed to dm_test_report()
 *   __runs(n)           run it n times (the last run's value counts): state must persist across runs
 * Programs of one object that load are loaded together and run in the order they appear, so they share a heap.
 */
#ifndef TEST_PROGS_H
#define TEST_PROGS_H

#define __success __attribute__((btf_decl_tag("comment:dm_expect_success")))
#define __failure __attribute__((btf_decl_tag("comment:dm_expect_failure")))
#define __msg(m) __attribute__((btf_decl_tag("comment:dm_expect_msg=" m)))
#define __retval(n) __attribute__((btf_decl_tag("comment:dm_expect_retval=" #n)))
#define __runs(n) __attribute__((btf_decl_tag("comment:dm_runs=" #n)))

/* [0]: the process whose syscalls trigger tracing programs; [1]: what the last triggered program reported. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} dm_test_io SEC(".maps") __attribute__((weak));

static __always_inline int dm_test_mine(void)
{
	__u32 key = 0;
	__u64 *pid = bpf_map_lookup_elem(&dm_test_io, &key);

	return pid && *pid == bpf_get_current_pid_tgid() >> 32;
}

static __always_inline void dm_test_report(__u64 value)
{
	__u32 key = 1;
	__u64 *out = bpf_map_lookup_elem(&dm_test_io, &key);

	if (out)
		*out = value;
}

/* What every program type must be able to do: malloc, write, read back, free. 1 on success, else which step
 * failed. */
static __always_inline int dm_test_roundtrip(void)
{
	struct dm_stats before, after;
	__u64 __arena *p;

	static_stats(&before);
	p = static_malloc(4 * sizeof(*p));
	if (!p)
		return 2;
	p[0] = 0x1122334455667788ull;
	p[3] = p[0] + 1;
	if (p[3] != 0x1122334455667789ull)
		return 3;
	static_free(p);
	static_stats(&after);
	if (after.allocations != before.allocations + 1 || after.frees != before.frees + 1)
		return 4;
	return static_check() == 0 ? 1 : 5;
}

#endif
