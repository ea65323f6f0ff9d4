/* SPDX-License-Identifier: MIT */
/* dm preload: runs a command on libdynamic_memory.so (user/preload.c) and prints every process's counters at exit,
 * from the records each appends to DM_REPORT. */
#define _GNU_SOURCE
#include "user/stats_columns.h"
#include "user/preload_stats.h"
#include "user/dm/dm.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DM_PRELOAD_LIB
#define DM_PRELOAD_LIB "libdynamic_memory.so"
#endif
#define INSTALLED_LIB "lib/libdynamic_memory.so" /* beside bin/dm, as make install puts it */

void preload_help(void)
{
	printf("usage: dm preload [--lib PATH] -- COMMAND [ARGS...]\n\n"
	       "Runs COMMAND with its malloc replaced by the dynamic_memory heap (LD_PRELOAD of libdynamic_memory.so,\n"
	       "default %s), and when it has exited prints to stderr, for COMMAND and every process it started\n"
	       "that ran on the heap, the heap's counters at exit. COMMAND's own output is left as it is.\n"
	       "The heap's settings come from the environment: DM_POOL (default 512M), DM_FALLBACK=libc,\n"
	       "DM_ABORT_ON_MISUSE=1 (README: \"malloc for any program\").\n\n"
	       "Once COMMAND runs, dm exits with COMMAND's status (128 + N when signal N ended it; 127 when it\n"
	       "could not be run); before that, with one of these.\n",
	       dm_data_file(INSTALLED_LIB, DM_PRELOAD_LIB));
	print_exit_statuses((const int[]){ EXIT_USAGE, EXIT_BAD_INPUT, EXIT_PERMISSION, EXIT_INTERNAL, -1 });
}

static void print_records(FILE *records)
{
	struct dm_preload_record r;
	unsigned count = 0;

	fprintf(stderr, "dm preload: the heap of each process at its exit (bytes)\n%8s %-15s", "pid", "program");
	dm_stats_print_titles(stderr);
	fprintf(stderr, " %9s\n", "fallback");
	while (fread(&r, sizeof(r), 1, records) == 1) {
		if (r.info.magic != DM_PRELOAD_MAGIC)
			break;
		fprintf(stderr, "%8u %-15.15s", r.info.pid, r.info.program);
		dm_stats_print_values(stderr, &r.stats);
		fprintf(stderr, " %9llu\n", (unsigned long long)r.info.fallback_allocations);
		count++;
	}
	fprintf(stderr, "dm preload: %u process%s on the heap\n", count, count == 1 ? "" : "es");
}

/* Whether the shared object at `lib` defines malloc in its dynamic symbols (what LD_PRELOAD interposes): a program, or
 * any other library, does not, and the command would run on glibc's malloc. */
static int defines_malloc(const char *lib)
{
	int fd = open(lib, O_RDONLY | O_CLOEXEC), found = 0;
	Elf *elf = fd >= 0 && elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	Elf_Scn *section = NULL;
	GElf_Shdr header;
	GElf_Sym symbol;

	while (elf && !found && (section = elf_nextscn(elf, section))) {
		Elf_Data *symbols = gelf_getshdr(section, &header) && header.sh_type == SHT_DYNSYM && header.sh_entsize
					    ? elf_getdata(section, NULL)
					    : NULL;

		for (size_t i = 0; symbols && !found && i < header.sh_size / header.sh_entsize; i++) {
			const char *name = gelf_getsym(symbols, (int)i, &symbol)
						   ? elf_strptr(elf, header.sh_link, symbol.st_name)
						   : NULL;

			found = name && !strcmp(name, "malloc") && symbol.st_shndx != SHN_UNDEF &&
				GELF_ST_TYPE(symbol.st_info) == STT_FUNC;
		}
	}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return found;
}

/* The library to preload: ld.so would only warn that it "cannot be preloaded" and run the command without the heap. */
static int check_library(const char *lib, int given)
{
	const char *expected =
		given ? "libdynamic_memory.so" : "libdynamic_memory.so (build it with make, or give --lib PATH)";
	Elf64_Ehdr elf;
	struct stat st;
	size_t got;
	int status = read_input_head(lib, expected, &st, (unsigned char *)&elf, sizeof(elf), &got);

	if (!status)
		status = check_elf_header(lib, expected, &st, &elf, got);
	if (!status && elf.e_type != ET_DYN)
		status = fail(EXIT_BAD_INPUT,
			      "%s: not an ELF shared object (e_type %u, a shared object's is %u); expected %s", lib,
			      elf.e_type, ET_DYN, expected);
	if (!status && !defines_malloc(lib))
		status = fail(
			EXIT_BAD_INPUT,
			"%s: a shared object that defines no malloc: the command would run on glibc's; expected %s",
			lib, expected);
	return status;
}

int preload_command(int argc, char **argv)
{
	static const struct dm_option options[] = { { "--lib", "PATH" }, { NULL, NULL } };
	enum { LIB };
	const char *lib = dm_data_file(INSTALLED_LIB, DM_PRELOAD_LIB), *old = getenv("LD_PRELOAD"), *value;
	char report[] = "/tmp/dm-preload-XXXXXX", *preload;
	int i = 0, lib_given = 0, status, fd;
	FILE *records;
	pid_t child;

	for (; i < argc && strcmp(argv[i], "--"); i++) {
		switch (next_argument("preload", options, argc, argv, &i, &value)) {
		case LIB:
			lib = value, lib_given = 1;
			break;
		case ARGUMENT_OPERAND:
			return unexpected_argument("preload", value);
		default:
			return EXIT_USAGE;
		}
	}
	if (i + 1 >= argc)
		return fail(EXIT_USAGE, "preload: which command? dm preload -- COMMAND [ARGS...]");
	status = check_library(lib, lib_given);
	if (status)
		return status;
	fd = mkstemp(report);
	if (fd < 0 || asprintf(&preload, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "") < 0)
		return fail(EXIT_INTERNAL, "preload: cannot make the report file %s: %s", report, strerror(errno));
	child = fork();
	if (child == 0) {
		setenv("LD_PRELOAD", preload, 1);
		setenv("DM_REPORT", report, 1);
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "dm: preload: cannot run %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	free(preload);
	signal(SIGINT, SIG_IGN); /* the command decides what an interrupt does; its report is still printed */
	if (child < 0 || waitpid(child, &status, 0) < 0)
		return fail(127, "preload: cannot run %s: %s", argv[i + 1], strerror(errno));
	records = fdopen(fd, "r");
	if (records) {
		print_records(records);
		fclose(records);
	}
	unlink(report);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
