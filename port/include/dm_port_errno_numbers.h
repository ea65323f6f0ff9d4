/* SPDX-License-Identifier: MIT */
/* The errno numbers of dm port's libc, Linux's: for the native analysis (errno.h) and the BPF side (dm_port_libc.h). */
#ifndef DM_PORT_ERRNO_NUMBERS_H
#define DM_PORT_ERRNO_NUMBERS_H
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
