/* SPDX-License-Identifier: MIT */
/*
 * dm: the dynamic_memory command-line tool, one file per command (as bpftool is laid out):
 *
 *   dm stat PIN_PATH [--json | --layout | --prometheus [ADDR:]PORT] [--watch SECONDS]   stat.c
 *   dm stat --pid PID | STATS_FILE [--json | --prometheus [ADDR:]PORT] [--watch SECONDS]
 *   dm arena-init PIN_PATH                                                                arena_init.c
 *   dm port PROGRAM.c -o PROGRAM.bpf.o [--pool BYTES] [--keep DIR]                       port.c
 *   dm run [--stats] PROGRAM.bpf.o [ARGUMENT...]                                          run.c
 *   dm preload [--lib PATH] -- COMMAND ARGS...                                            preload.c
 *
 * main.c holds the command table and the exit status table's printer; input.c the checks every command makes of its
 * input files before doing any work, each saying in one line what a file is and what was expected.
 */
#ifndef DM_H
#define DM_H

#include <bpf/libbpf.h>
#include <elf.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* One table of exit statuses for every command: dm --help prints it, each command's --help the rows it can return.
 * dm port's front end (port/port.py) returns 1 and 2 with these meanings. */
#define EXIT_STATUSES(X)                                                                                               \
	X(EXIT_OK, 0, "done (dm run: the program's own exit status, main's return value)")                             \
	X(EXIT_UNPORTABLE, 1, "the C program cannot be ported: a construct BPF cannot run, a compile error, no main")  \
	X(EXIT_USAGE, 2, "bad usage: an unknown option, a missing or malformed argument")                              \
	X(EXIT_BAD_INPUT, 3,                                                                                           \
	  "the input is not what the command takes: missing, a directory, empty, not C, not an ELF "                   \
	  "object, not made by dm port, truncated, not a pinned map or program, not a dm heap")                        \
	X(EXIT_PERMISSION, 4,                                                                                          \
	  "permission denied: a file the user may not read or write, or BPF without root or CAP_BPF")                  \
	X(EXIT_CORRUPT, 5, "the heap is corrupt (what and where is printed)")                                          \
	X(EXIT_KERNEL, 6, "the kernel refused: the verifier rejects the object, the arena's pages could not be had")   \
	X(EXIT_INTERNAL, 7, "internal error: dm port's front end failed unexpectedly, python3 missing, out of memory") \
	X(EXIT_PROGRAM_FAILED, 70,                                                                                     \
	  "the ported program failed in the kernel: heap exhausted at an unchecked "                                   \
	  "allocation, a loop past the verifier's budget, an index out of bounds")

#define EXIT_ENUM(name, code, meaning) name = code,
enum { EXIT_STATUSES(EXIT_ENUM) };

/* Prints the rows of the exit status table for the given statuses (all of them: NULL), ended by -1. */
void print_exit_statuses(const int *statuses);
/* Whether a status is a row of EXIT_STATUSES: dm port passes its front end's statuses on only then. */
int is_exit_status(int code);

/* input.c: "dm: " and the message on stderr; returns status. */
int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* What a path that exists is, for messages. */
const char *file_kind(const struct stat *st);
/* The path exists and is not a directory. */
int check_exists(const char *path, const char *expected, struct stat *st);
int permission_denied(const char *path, const struct stat *st, const char *what);
/* An input file a command reads (a C program, a BPF object): a readable, non-empty regular file. Its first bytes go
 * to head (size bytes at most, *got of them read). */
int read_input_head(const char *path, const char *expected, struct stat *st, unsigned char *head, size_t size,
		    size_t *got);
/* An input that must be an ELF object, its first `got` bytes (read_input_head) in elf: starts with the ELF magic and
 * holds a whole 64-bit header. */
int check_elf_header(const char *path, const char *expected, const struct stat *st, const Elf64_Ehdr *elf, size_t got);
/* Opens a pinned BPF object of the given kind ("map": read-only, "program"). */
int open_pinned(const char *path, const char *kind, const char *expected, int *fd);
/* libbpf's message for one of its error codes (its own, from 4000, or an errno). */
const char *libbpf_error(int err);
/* A file dm needs at run time: `installed`, relative to the directory above dm's own (make install puts bin/dm,
 * lib/ and share/dynamic_memory/ side by side), when it is there, else `built` (the source tree's, where the tested
 * build/dm finds it). So the binary make install installs is the one that was tested. */
const char *dm_data_file(const char *installed, const char *built);
/* A libbpf print callback that prints nothing: dm says what went wrong itself. */
int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);

/* rejection.c: a verifier rejection of a ported program: "COMMAND: WHAT: the verifier rejects the ported program at
 * PROGRAM:LINE:", the line (when PROGRAM can be read here), then the log's last lines, where the reason is. The line is
 * the last of PROGRAM's own that the log (BTF line info) names. */
void explain_rejection(FILE *out, const char *command, const char *what, const char *log, const char *program);
/* After a load without the verifier's log failed with err: loads the object again with it and explains the
 * rejection (a first load with a log would fail where the log outgrows its buffer: the kernel then refuses the load
 * itself, ENOSPC, for a program it would have taken). The log's tail holds the reason (the kernel keeps the end of a
 * log too long for the buffer). Returns EXIT_KERNEL. */
int explain_load_failure(FILE *out, const char *command, const char *what, const char *object, const char *program,
			 int err);

/* main.c: the options parsing every command shares. A command's options, ended by { NULL }: each option's name and,
 * when a value follows it, the value's name (for messages). */
struct dm_option {
	const char *name, *value;
};
enum { ARGUMENT_OPERAND = -1, ARGUMENT_BAD = -2 };
/* Reads argv[*i]: an option of `options` returns its index (its value in *value, *i advanced past it); an operand
 * (not an option: a path, a number, "-") returns ARGUMENT_OPERAND with itself in *value. An unknown option, or an
 * option whose value is missing, is reported and returns ARGUMENT_BAD: the command exits with EXIT_USAGE. */
int next_argument(const char *command, const struct dm_option *options, int argc, char **argv, int *i,
		  const char **value);
/* "dm: COMMAND: unexpected 'ARGUMENT' (see dm COMMAND --help)"; returns EXIT_USAGE. */
int unexpected_argument(const char *command, const char *argument);

/* The commands (main.c's table): argc and argv are the command's arguments, after its name; --help among them is
 * answered by the command's help function before the command runs. */
int stat_command(int argc, char **argv);
void stat_help(void);
int arena_init_command(int argc, char **argv);
void arena_init_help(void);
int port_command(int argc, char **argv);
void port_help(void);
int run_command(int argc, char **argv);
void run_help(void);
int preload_command(int argc, char **argv);
void preload_help(void);

#endif
