/* SPDX-License-Identifier: MIT */
/* The <stdlib.h> of programs ported by `dm port`: malloc, calloc, realloc, free (rewritten to the dynamic_memory
 * heap by modify/modify.sh), abs and labs. */
#ifndef DM_PORT_STDLIB_H
#define DM_PORT_STDLIB_H
#include <stddef.h>
#if defined(__bpf__)
#include "dm_port_runtime.h"
#else
void *malloc(size_t size);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
int abs(int x);
long labs(long x);
#endif
#endif
