/* SPDX-License-Identifier: MIT */
/* The <stdio.h> of programs ported by `dm port`: printf, puts and putchar, nothing else. Natively analysed as
 * libc's; in BPF (dm_port_runtime.h) they write to the ring buffer `dm run` prints from. */
#ifndef DM_PORT_STDIO_H
#define DM_PORT_STDIO_H
#if defined(__bpf__)
#include "dm_port_runtime.h"
#else
int printf(const char *format, ...);
int puts(const char *s);
int putchar(int c);
#endif
#endif
