/* SPDX-License-Identifier: MIT */
/* What every loader of examples/bpf/ shares: how it answers its command line. */
#ifndef LOADER_H
#define LOADER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns when the arguments are `fine`; else prints "usage: PROGRAM USAGE" and exits: with 0, on standard output,
 * for --help; with 2, on standard error, for anything else the loader does not take. */
static inline void check_arguments(int fine, int argc, char **argv, const char *usage)
{
	int help = argc == 2 && !strcmp(argv[1], "--help");

	if (fine && !help)
		return;
	fprintf(help ? stdout : stderr, "usage: %s %s\n", argv[0], usage);
	exit(help ? 0 : 2);
}

#endif
