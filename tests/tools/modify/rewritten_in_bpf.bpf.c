/* SPDX-License-Identifier: GPL-2.0 */
/* Includes programs/checksum.h as modify.sh rewrote it (tests/tools/modify.bats puts the rewritten copy first on the
 * include path): the rewritten code must load and run in the kernel. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dynamic_memory.h"
#include "test_progs.h"
#include "checksum.h"

SEC("syscall") __success __retval(1)
int rewritten_checksum(void *ctx)
{
	long expected = 0;

	for (int i = 0; i < 64; i++)
		expected += (unsigned char)(i * 3);
	return checksum(3) == expected;
}

char LICENSE[] SEC("license") = "GPL";
