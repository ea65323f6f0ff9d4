/* SPDX-License-Identifier: MIT */
/* The <stdio.h> of programs ported by `dm port`: printf, puts, putchar; fprintf, fputs, fputc, putc, fflush and
 * perror on stdout and stderr; getchar, getc, fgetc, fgets and scanf on stdin. Natively analysed as libc's; in BPF
 * (dm_port_runtime.h, dm_port_libc.h) they write to the ring buffer `dm run` prints from, and read the input dm run
 * gives. Other functions (fopen, sprintf, ...) are not declared: dm port refuses a call to one, at the call. */
#ifndef DM_PORT_STDIO_H
#define DM_PORT_STDIO_H
#include <stddef.h>
#if defined(__bpf__)
#include "dm_port_runtime.h"
#else
typedef struct dm_port_file FILE;
extern FILE *stdin, *stdout, *stderr;
#define stdin stdin
#define stdout stdout
#define stderr stderr
#define EOF (-1)
int printf(const char *format, ...);
int puts(const char *s);
int putchar(int c);
int fprintf(FILE *stream, const char *format, ...);
int fputs(const char *s, FILE *stream);
int fputc(int c, FILE *stream);
int putc(int c, FILE *stream);
int fflush(FILE *stream);
void perror(const char *s);
int getchar(void);
int getc(FILE *stream);
int fgetc(FILE *stream);
char *fgets(char *s, int size, FILE *stream);
int scanf(const char *format, ...);
#endif
#endif
