/* SPDX-License-Identifier: MIT */
/* dm port: checks its input, runs the front end (port/port.py) on it, then loads the object it wrote as dm run will,
 * to report a verifier rejection at port time with the source line it points to. */
#include "user/dm/dm.h"

#include <bpf/libbpf.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DM_PORT_SCRIPT
#define DM_PORT_SCRIPT "port/port.py"
#endif

/* Loads an object as `dm run` will, to report a verifier rejection at port time. */
static int check_loads(const char *object, const char *program)
{
	struct bpf_object *obj = bpf_object__open_file(object, NULL);
	int err;

	if (!obj)
		return fail(EXIT_INTERNAL, "port: %s, just written, cannot be opened: %s", object, libbpf_error(errno));
	libbpf_set_print(quiet_libbpf);
	err = bpf_object__load(obj);
	bpf_object__close(obj);
	if (err == -EPERM)
		return fail(EXIT_PERMISSION,
			    geteuid() ? "port: %s is written; checking that it loads needs root or CAP_BPF"
				      : "port: %s is written; the kernel refused root the creation of its "
					"maps (an arena: a container or policy that forbids BPF arenas?)",
			    object);
	return err ? explain_load_failure(stdout, "dm port", program, object, program, err) : EXIT_OK;
}

/* dm port's input: a C source file, text, named .c (clang takes a file's language from its name). */
static int check_c_program(const char *program)
{
	static const char expected[] = "a C program (PROGRAM.c with int main(void))";
	unsigned char head[4096];
	const unsigned char *nul;
	struct stat st;
	size_t got;
	int status = read_input_head(program, expected, &st, head, sizeof(head), &got);

	if (status)
		return status;
	if (got >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG))
		return fail(EXIT_BAD_INPUT, "%s: an ELF object, not C source; expected %s", program, expected);
	nul = memchr(head, 0, got);
	if (nul)
		return fail(EXIT_BAD_INPUT, "%s: binary (a NUL byte at offset %td), not C source; expected %s", program,
			    nul - head, expected);
	return EXIT_OK; /* any name: the front end reads the file as C whatever its name (tests/tools/port.bats) */
}

/* dm port's -o: a file it may write, in a directory that exists, and not the program itself. */
static int check_output(const char *object, const char *program)
{
	char path[PATH_MAX];
	const char *dir;
	struct stat out, in;

	if (!stat(object, &out)) {
		if (S_ISDIR(out.st_mode))
			return fail(EXIT_BAD_INPUT, "-o %s: a directory, expected the path of the object to write",
				    object);
		if (!stat(program, &in) && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
			return fail(EXIT_USAGE,
				    "port: -o %s is the program itself: writing the object would destroy it", object);
		return faccessat(AT_FDCWD, object, W_OK, AT_EACCESS) ? permission_denied(object, &out, "write")
								     : EXIT_OK;
	}
	snprintf(path, sizeof(path), "%s", object);
	dir = dirname(path);
	if (stat(dir, &out) || !S_ISDIR(out.st_mode))
		return fail(EXIT_BAD_INPUT, "-o %s: no directory %s to write it in", object, dir);
	return faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) ? permission_denied(dir, &out, "write in") : EXIT_OK;
}

void port_help(void)
{
	printf("usage: dm port PROGRAM.c -o PROGRAM.bpf.o [--pool BYTES] [--keep DIR] [--no-load]\n\n"
	       "Ports a plain C program (int main(void) or main(argc, argv); malloc & co; printf, fprintf,\n"
	       "puts, fputs, putchar, fputc, perror to stdout and stderr; scanf, getchar, fgets from stdin;\n"
	       "exit, abort, assert, strtol & co, atoi, rand/srand, <ctype.h>, errno, <string.h>: README's\n"
	       "subset; &variables, function pointers, recursion, functions that call each other) to a BPF\n"
	       "object that `dm run` runs in the kernel, on the arena heap. Refused at the use, with FILE:LINE:\n"
	       "construct not supported in BPF: ...: recursion through a function pointer, floating point that\n"
	       "computes, file I/O, other libc functions, atexit, variable-length arrays, pointers to function\n"
	       "pointers, printf precision and %%p.\n"
	       "A verifier rejection is shown with its line.\n"
	       "  --pool BYTES  heap size, fixed at port time (a power of two, default 1048576)\n"
	       "  --keep DIR    keep the ported C source in DIR\n"
	       "  --no-load     write the object without loading it on this kernel (port here, dm run it on\n"
	       "                another machine: dm run shows a verifier rejection the same way)\n");
	print_exit_statuses((const int[]){ EXIT_OK, EXIT_UNPORTABLE, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_PERMISSION,
					   EXIT_KERNEL, EXIT_INTERNAL, -1 });
}

int port_command(int argc, char **argv)
{
	/* --no-load is dm's own; the others are the front end's, passed on to it whole (it parses them again) */
	static const struct dm_option options[] = {
		{ "-o", "OBJECT" },         { "--pool", "BYTES" }, { "--keep", "DIR" }, { "--clang", "CLANG" },
		{ "--include-dir", "DIR" }, { "--no-load", NULL }, { NULL, NULL }
	};
	enum { OUTPUT, POOL, KEEP, CLANG, INCLUDE_DIR, NO_LOAD };
	const char *script = getenv("DM_PORT_SCRIPT")
				     ? getenv("DM_PORT_SCRIPT")
				     : dm_data_file("share/dynamic_memory/port/port.py", DM_PORT_SCRIPT);
	const char *program = NULL, *object = NULL, *value;
	char **args;
	int status, n = 0, load = 1;
	pid_t child;

	for (int i = 0; i < argc; i++) {
		switch (next_argument("port", options, argc, argv, &i, &value)) {
		case OUTPUT:
			object = value;
			break;
		case NO_LOAD:
			load = 0;
			break;
		case ARGUMENT_OPERAND:
			if (program)
				return unexpected_argument("port", value);
			program = value;
			break;
		case ARGUMENT_BAD:
			return EXIT_USAGE;
		default: /* --pool, --keep, --clang, --include-dir: the front end's */
			break;
		}
	}
	if (!program || !object)
		return fail(EXIT_USAGE, "port: give a C file and -o OBJECT (see dm port --help)");
	status = check_c_program(program);
	if (!status)
		status = check_output(object, program);
	if (status)
		return status;
	if (access(script, R_OK))
		return fail(EXIT_INTERNAL, "port: the front end %s: %s (reinstall dm, or set DM_PORT_SCRIPT)", script,
			    strerror(errno));
	args = calloc((size_t)argc + 3, sizeof(*args));
	if (!args)
		return fail(EXIT_INTERNAL, "out of memory");
	args[n++] = "python3";
	args[n++] = (char *)script;
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--no-load")) /* dm's own option: the front end does not load */
			args[n++] = argv[i];
	fflush(stdout);
	child = fork();
	if (child == 0) {
		execvp("python3", args);
		fprintf(stderr, "dm: port: cannot run python3 %s: %s (make deps installs python3)\n", script,
			strerror(errno));
		_exit(EXIT_INTERNAL);
	}
	free(args);
	if (child < 0 || waitpid(child, &status, 0) < 0)
		return fail(EXIT_INTERNAL, "port: cannot run %s: %s", script, strerror(errno));
	if (!WIFEXITED(status))
		return fail(EXIT_INTERNAL, "port: %s: the front end %s was killed by signal %d", program, script,
			    WTERMSIG(status));
	if (!is_exit_status(WEXITSTATUS(status)))
		return fail(EXIT_INTERNAL, "port: %s: the front end %s exited with %d", program, script,
			    WEXITSTATUS(status));
	if (WEXITSTATUS(status) || !load)
		return WEXITSTATUS(status);
	return check_loads(object, program);
}
