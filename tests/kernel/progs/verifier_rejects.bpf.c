/* SPDX-License-Identifier: GPL-2.0 */
/* Misuse the verifier must reject, with the message a user will see. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "test_progs.h"

/* The pointer is a scalar to 6.13 and later, whose verifier knows an ARRAY map's value exists, and
 * map_value_or_null to older ones (6.1, 6.12): either way the unchecked use is refused. */
SEC("xdp")
__failure __msg("invalid mem access 'scalar'|arithmetic on map_value_or_null prohibited, null-check it first")
int use_without_null_check(struct xdp_md *ctx)
{
	__u8 *p = static_malloc(16);

	p[0] = 1;
	static_free(p);
	return 0;
}

SEC("xdp") __failure __msg("invalid access to map value")
int access_at_guard(struct xdp_md *ctx)
{
	__u8 *p = static_malloc(16);

	if (!p)
		return 0;
	p[DM_GUARD] = 1;
	static_free(p);
	return 0;
}

SEC("xdp") __failure __msg("invalid mem access 'scalar'")
int stored_pointer_without_dm_ptr(struct xdp_md *ctx)
{
	__u64 **slot = static_malloc(sizeof(*slot));
	__u64 *q;

	if (!slot)
		return 0;
	*slot = (__u64 *)slot;
	q = *(__u64 *volatile *)slot; /* loaded: a plain number to the verifier, DM_PTR(*slot) is needed */
	*q = 1;
	static_free(slot);
	return 0;
}

/* The bounds rule's positive side: the last byte below the guard, and a bounded index. */
SEC("xdp") __success __retval(1)
int access_below_guard(struct xdp_md *ctx)
{
	__u8 *p = static_malloc(DM_GUARD);
	__u32 i = bpf_get_prandom_u32() % DM_GUARD;

	if (!p)
		return 0;
	p[DM_GUARD - 1] = 1;
	p[i] = 2;
	static_free(p);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
