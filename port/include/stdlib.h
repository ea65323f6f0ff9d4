/* SPDX-License-Identifier: MIT */
/* The <stdlib.h> of programs ported by `dm port`: malloc, calloc, realloc, free (rewritten to the dynamic_memory
 * heap by modify/modify.sh), abs, labs, exit, abort, atoi, atol, atoll, strtol, strtoul, strtoll, strtoull, rand and
 * srand (glibc's sequence). */
#ifndef DM_PORT_STDLIB_H
#define DM_PORT_STDLIB_H
#include <stddef.h>
#if defined(__bpf__)
#include "dm_port_runtime.h"
#else
#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 2147483647
void *malloc(size_t size);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
int abs(int x);
long labs(long x);
void exit(int status) __attribute__((noreturn));
void _Exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
int atoi(const char *s);
long atol(const char *s);
long long atoll(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
int rand(void);
void srand(unsigned int seed);
#endif
#endif
