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
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ENOSPC 28
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#endif
#endif
