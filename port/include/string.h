/* SPDX-License-Identifier: MIT */
/* The <string.h> of programs ported by `dm port`: the memory and string functions below, on heap memory. */
#ifndef DM_PORT_STRING_H
#define DM_PORT_STRING_H
#include <stddef.h>
#if defined(__bpf__)
#include "dm_port_runtime.h"
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
char *strcat(char *dst, const char *src);
char *strchr(const char *s, int c);
#endif
#endif
