/* SPDX-License-Identifier: MIT */
/* dm's entry: the command table, the options parsing every command shares, and the printer of the exit status table
 * every command answers with (user/dm/dm.h). */
#include "user/dm/dm.h"

#include <stdio.h>
#include <string.h>

/* Prints the rows of the exit status table for the given statuses (all of them: NULL), ended by -1. */
void print_exit_statuses(const int *statuses)
{
	static const struct {
		int code;
		const char *meaning;
	} table[] = {
#define EXIT_ROW(name, code, meaning) { code, meaning },
		EXIT_STATUSES(EXIT_ROW)
#undef EXIT_ROW
	};

	printf("\nexit status:\n");
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int listed = !statuses;

		for (const int *s = statuses; s && *s >= 0 && !listed; s++)
			listed = *s == table[i].code;
		if (listed)
			printf("  %2d  %s\n", table[i].code, table[i].meaning);
	}
}

int is_exit_status(int code)
{
	switch (code) {
#define EXIT_CASE(name, value, meaning) case value:
		EXIT_STATUSES(EXIT_CASE)
#undef EXIT_CASE
		return 1;
	default:
		return 0;
	}
}

int unexpected_argument(const char *command, const char *argument)
{
	return fail(EXIT_USAGE, "%s: unexpected '%s' (see dm %s --help)", command, argument, command);
}

static const struct dm_option *find_option(const struct dm_option *options, const char *argument)
{
	for (; options && options->name; options++)
		if (!strcmp(options->name, argument))
			return options;
	return NULL;
}

int next_argument(const char *command, const struct dm_option *options, int argc, char **argv, int *i,
		  const char **value)
{
	const struct dm_option *option = find_option(options, argv[*i]);

	*value = NULL;
	if (!option) {
		if (argv[*i][0] == '-' && argv[*i][1])
			return unexpected_argument(command, argv[*i]), ARGUMENT_BAD;
		*value = argv[*i];
		return ARGUMENT_OPERAND;
	}
	if (option->value) {
		if (*i + 1 >= argc)
			return fail(EXIT_USAGE, "%s: %s needs a value: %s %s (see dm %s --help)", command, option->name,
				    option->name, option->value, command),
			       ARGUMENT_BAD;
		*value = argv[++*i];
	}
	return (int)(option - options);
}

/* The commands, in the order dm --help lists them; each command's file has its run and help functions. */
static const struct command {
	const char *name, *synopsis, *summary;
	int (*run)(int argc, char **argv);
	void (*help)(void);
} commands[] = {
	{ "stat", "PIN_PATH", "show a pinned heap", stat_command, stat_help },
	{ "arena-init", "PIN_PATH", "make a pinned arena heap ready", arena_init_command, arena_init_help },
	{ "port", "PROGRAM.c -o PROGRAM.bpf.o", "port a C program that mallocs to BPF", port_command, port_help },
	{ "run", "PROGRAM.bpf.o", "run a ported program in the kernel", run_command, run_help },
	{ "preload", "-- COMMAND", "run a command on the heap as its malloc", preload_command, preload_help },
};

static int is_help(const char *argument)
{
	return !strcmp(argument, "--help") || !strcmp(argument, "-h");
}

static void dm_help(void)
{
	printf("usage: dm COMMAND ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char usage[64];

		snprintf(usage, sizeof(usage), "%s %s", commands[i].name, commands[i].synopsis);
		printf("  %-33s %s (dm %s --help)\n", usage, commands[i].summary, commands[i].name);
	}
	printf("\nEvery command checks its input files first and names what a file is and what it expected.\n");
	print_exit_statuses(NULL);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (is_help(argv[1]) || !strcmp(argv[1], "help"))) {
		dm_help();
		return EXIT_OK;
	}
	for (size_t c = 0; argc >= 2 && c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (strcmp(argv[1], commands[c].name))
			continue;
		/* --help anywhere among the command's own arguments; those after "--" are another program's */
		for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
			if (is_help(argv[i])) {
				commands[c].help();
				return EXIT_OK;
			}
		return commands[c].run(argc - 2, argv + 2);
	}
	return fail(EXIT_USAGE, argc < 2 ? "which command? (dm --help lists them)" : "unknown command '%s' (dm --help)",
		    argv[1]);
}
