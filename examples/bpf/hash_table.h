/* SPDX-License-Identifier: MIT */
/* What hash_table.bpf.c and its loader hash_table.c share: the context every operation's program takes. */
#ifndef HASH_TABLE_H
#define HASH_TABLE_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* BPF side: vmlinux.h has the types */
#endif

struct table_op {
	__u64 key, value;
};

#endif
