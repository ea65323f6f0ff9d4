/* SPDX-License-Identifier: MIT */
/* The <ctype.h> of programs ported by `dm port`: the "C" locale's classes and case mappings (dm_port_libc.h). */
#ifndef DM_PORT_CTYPE_H
#define DM_PORT_CTYPE_H
#if defined(__bpf__)
#include "dm_port_runtime.h"
#else
int isalnum(int c);
int isalpha(int c);
int isblank(int c);
int iscntrl(int c);
int isdigit(int c);
int isgraph(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int isspace(int c);
int isupper(int c);
int isxdigit(int c);
int tolower(int c);
int toupper(int c);
#endif
#endif
