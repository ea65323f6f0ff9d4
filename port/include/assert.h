/* SPDX-License-Identifier: MIT */
/* The <assert.h> of programs ported by `dm port`: assert, with glibc's message and abort (dm_port_libc.h); nothing
 * with NDEBUG. Not guarded: like libc's, it follows NDEBUG each time it is included. */
#if defined(__bpf__)
#include "dm_port_runtime.h"
#else
#undef assert
#ifdef NDEBUG
#define assert(expression) ((void)0)
#else
void __assert_fail(const char *expression, const char *file, unsigned int line, const char *function)
	__attribute__((noreturn));
#define assert(expression) ((expression) ? (void)0 : __assert_fail(#expression, __FILE__, __LINE__, __func__))
#endif
#endif
