/* SPDX-License-Identifier: MIT */
/* The <errno.h> of programs ported by `dm port`: errno (set by strtol & co and by a failed allocation) and the
 * common E* numbers, Linux's (dm_port_libc.h). */
#ifndef DM_PORT_ERRNO_H
#define DM_PORT_ERRNO_H
#if defined(__bpf__)
#include "dm_port_runtime.h"
#else
extern int errno;
#define errno errno
#include "dm_port_errno_numbers.h"
#endif
#endif
