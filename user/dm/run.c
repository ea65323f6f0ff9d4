/* SPDX-License-Identifier: MIT */
/* dm run: loads a program dm port made, runs its main once in the kernel, prints its output as the native program
 * would (the records of port/include/dm_port_records.h) and exits with main's return value. */
#include "user/heap_reader.h" /* arena setup, the heap's counters (--stats) */
#include "port/include/dm_port_records.h"
#include "user/dm/dm.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h> /* __fpurge: dm run discards buffered output as an aborting program does */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *failure_text(const struct dm_port_failure *f, char *buf, size_t size)
{
	static const char *allocator[] = { "an allocation", "malloc", "calloc", "realloc" };

	switch (f->kind) {
	case DM_PORT_NO_MEMORY:
		snprintf(buf, size,
			 "out of heap memory: %s returned NULL and the program uses the result without a "
			 "check (a larger heap: dm port --pool)",
			 allocator[f->value < 4 ? f->value : 0]);
		break;
	case DM_PORT_LOOP_LIMIT:
		snprintf(buf, size, "a loop ran past the verifier's budget (can_loop: about 8 million iterations)");
		break;
	case DM_PORT_BAD_INDEX:
		snprintf(buf, size, "index %lld is outside the array's %u elements", (long long)f->value, f->bound);
		break;
	case DM_PORT_BAD_FUNCTION:
		snprintf(buf, size, "a call through a function pointer that holds no function of its type (%s)",
			 f->value ? "not NULL" : "NULL");
		break;
	case DM_PORT_RECURSION:
		snprintf(buf, size, "recursion deeper than the heap allows (depth %llu; a larger heap: dm port --pool)",
			 (unsigned long long)f->value);
		break;
	case DM_PORT_NO_ARGUMENTS:
		snprintf(buf, size, "the heap is too small for the program's arguments (%llu bytes; dm port --pool)",
			 (unsigned long long)f->value);
		break;
	default:
		snprintf(buf, size, "failure %u", f->kind);
	}
	return buf;
}

struct run_output {
	const char *source;
	int failed;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct run_output *out = ctx;
	const unsigned char *record = data;
	char text[256];

	if (!size || out->failed)
		return 0;
	if (record[0] == DM_PORT_TEXT) {
		fwrite(record + 1, 1, size - 1, stdout);
	} else if (record[0] == DM_PORT_ERROR_TEXT) {
		fwrite(record + 1, 1, size - 1, stderr);
	} else if (record[0] == DM_PORT_FAILURE && size >= sizeof(struct dm_port_failure)) {
		const struct dm_port_failure *f = data;

		fflush(stdout);
		fprintf(stderr, "dm run: %s:%u: %s\n", out->source, f->line, failure_text(f, text, sizeof(text)));
		out->failed = 1;
	}
	return 0;
}

/* dm run's input: a whole ELF object for BPF; that dm port made it is checked once libbpf has opened it. */
static int check_bpf_object(const char *object)
{
	static const char expected[] = "a BPF object made by dm port";
	size_t got, length = strlen(object);
	Elf64_Ehdr elf;
	struct stat st;
	unsigned long long size;
	int status = read_input_head(object, expected, &st, (unsigned char *)&elf, sizeof(elf), &got);

	if (status)
		return status;
	size = (unsigned long long)st.st_size;
	if ((got < SELFMAG || memcmp(elf.e_ident, ELFMAG, SELFMAG)) && length > 2 && !strcmp(object + length - 2, ".c"))
		return fail(EXIT_BAD_INPUT,
			    "%s: C source, not a BPF object: port it first (dm port %s -o PROGRAM.bpf.o)", object,
			    object);
	status = check_elf_header(object, expected, &st, &elf, got);
	if (status)
		return status;
	if (elf.e_ident[EI_CLASS] != ELFCLASS64 || elf.e_machine != EM_BPF)
		return fail(EXIT_BAD_INPUT,
			    "%s: an ELF object for another machine (e_machine %u, BPF is %u); expected %s", object,
			    elf.e_machine, EM_BPF, expected);
	if (elf.e_shoff > size || (unsigned long long)elf.e_shnum * elf.e_shentsize > size - elf.e_shoff)
		return fail(EXIT_BAD_INPUT,
			    "%s: truncated: %llu bytes, but its section headers end at byte %llu; "
			    "expected %s",
			    object, size,
			    (unsigned long long)elf.e_shoff + (unsigned long long)elf.e_shnum * elf.e_shentsize,
			    expected);
	return EXIT_OK;
}

/* What dm port puts in every object it makes and dm run needs; the first one missing, or NULL. */
static const char *missing_port_part(struct bpf_object *obj)
{
	if (!bpf_object__find_program_by_name(obj, "dm_port_run"))
		return "the program dm_port_run";
	if (!bpf_object__find_map_by_name(obj, "dm_port_output"))
		return "the ring buffer dm_port_output";
	if (!bpf_object__find_map_by_name(obj, "dm_arena"))
		return "the arena heap dm_arena";
	return NULL;
}

/* The program's arguments (argv[0] is the object's path, as the native program's is its own) and, when it reads
 * input, all of dm run's standard input, for dm_port_run to copy (struct dm_port_context). Each buffer is followed by
 * DM_PORT_COPY_BYTES readable bytes: the program reads that many at a time. */
static int program_context(struct dm_port_context *context, int reads_input, char **argv, int argc, char **memory)
{
	size_t bytes = 0, input_bytes = 0, room = 1 << 16;
	char *text = NULL, *input = NULL, *grown;
	size_t got;

	for (int i = 0; i < argc; i++)
		bytes += strlen(argv[i]) + 1;
	text = calloc(1, bytes + DM_PORT_COPY_BYTES);
	if (!text)
		return fail(EXIT_INTERNAL, "run: out of memory for the program's arguments");
	for (int i = 0, at = 0; i < argc; at += (int)strlen(argv[i]) + 1, i++)
		memcpy(text + at, argv[i], strlen(argv[i]) + 1);
	while (reads_input) {
		grown = realloc(input, room + DM_PORT_COPY_BYTES);
		if (!grown) {
			free(input);
			free(text);
			return fail(EXIT_INTERNAL, "run: out of memory for standard input (%zu bytes read)",
				    input_bytes);
		}
		input = grown;
		got = fread(input + input_bytes, 1, room - input_bytes, stdin);
		input_bytes += got;
		if (input_bytes < room)
			break;
		room *= 2;
	}
	if (input)
		memset(input + input_bytes, 0, DM_PORT_COPY_BYTES);
	*context = (struct dm_port_context){ .arguments = (__u64)(uintptr_t)text,
					     .arguments_bytes = bytes,
					     .input = (__u64)(uintptr_t)input,
					     .input_bytes = input_bytes,
					     .argc = (__u32)argc };
	memory[0] = text;
	memory[1] = input;
	return EXIT_OK;
}

void run_help(void)
{
	printf("usage: dm run [--stats] PROGRAM.bpf.o [ARGUMENT...]\n\n"
	       "Loads a program ported by dm port, runs its main once in the kernel with the arguments after\n"
	       "the object (argv[0] is the object's path), prints its standard output and standard error as\n"
	       "the native program would, and exits with main's return value (or exit's). A program that reads\n"
	       "input (scanf, getchar, fgets) gets dm run's standard input, read whole before it runs. After\n"
	       "abort() or a failed assert, dm run dies of SIGABRT, as the program does.\n"
	       "  --stats  afterwards, print the heap's counters (on standard error)\n\n"
	       "Its exit status is main's when main ran (the messages on standard error tell the cases apart);\n"
	       "otherwise one of these.\n");
	print_exit_statuses((const int[]){ EXIT_OK, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_PERMISSION, EXIT_KERNEL,
					   EXIT_INTERNAL, EXIT_PROGRAM_FAILED, -1 });
}

int run_command(int argc, char **argv)
{
	static const struct dm_option options[] = { { "--stats", NULL }, { NULL, NULL } };
	enum { STATS };
	const char *object = NULL, *value;
	struct dm_port_context context;
	char *context_memory[2] = { NULL, NULL };
	int object_at = 0;
	struct run_output out = { "the program", 0 };
	struct bpf_object *obj;
	struct bpf_map *source;
	const char *name;
	struct ring_buffer *ring;
	int stats = 0, err, status;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	for (int i = 0; i < argc && !object; i++) { /* after the object, the arguments are the program's */
		switch (next_argument("run", options, argc, argv, &i, &value)) {
		case STATS:
			stats = 1;
			break;
		case ARGUMENT_OPERAND:
			object = value;
			object_at = i;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (!object)
		return fail(EXIT_USAGE, "run: which program? give an object made by dm port (see dm run --help)");
	status = check_bpf_object(object);
	if (status)
		return status;
	libbpf_set_print(quiet_libbpf);
	obj = bpf_object__open_file(object, NULL);
	if (!obj)
		return fail(EXIT_BAD_INPUT, "%s: libbpf cannot open it: %s; expected a BPF object made by dm port",
			    object, libbpf_error(errno));
	if (missing_port_part(obj)) {
		fail(EXIT_BAD_INPUT,
		     "%s: a BPF object without %s: not made by dm port (dm port PROGRAM.c -o OBJECT "
		     "makes one)",
		     object, missing_port_part(obj));
		bpf_object__close(obj);
		return EXIT_BAD_INPUT;
	}
	source = bpf_object__find_map_by_name(obj, ".rodata.dm_port"); /* the program's file name */
	name = source ? bpf_map__initial_value(source, &(size_t){ 0 }) : NULL;
	if (name)
		out.source = name;
	err = bpf_object__load(obj);
	if (err == -EPERM) {
		bpf_object__close(obj);
		return fail(EXIT_PERMISSION,
			    geteuid() ? "%s: permission denied: loading a BPF program needs root or CAP_BPF"
				      : "%s: permission denied to root: the kernel refused to create its maps (an "
					"arena: a container or policy that forbids BPF arenas?)",
			    object);
	}
	if (err) { /* the source line, as dm port shows it (name lives in obj: explain first) */
		explain_load_failure(stderr, "dm run", object, object, name, err);
		bpf_object__close(obj);
		return EXIT_KERNEL;
	}
	err = program_context(&context, !!bpf_object__find_map_by_name(obj, ".rodata.dm_port_in"), argv + object_at,
			      argc - object_at, context_memory);
	if (err) {
		bpf_object__close(obj);
		return err;
	}
	opts.ctx_in = &context;
	opts.ctx_size_in = sizeof(context);
	err = dm_arena_setup(obj);
	ring = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "dm_port_output")), on_record, &out,
				NULL);
	if (err || !ring) {
		bpf_object__close(obj);
		return fail(EXIT_KERNEL, "%s: %s", object,
			    err ? "the heap could not be set up (dm_arena_init failed)"
				: "the output ring buffer could not be set up");
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(bpf_object__find_program_by_name(obj, "dm_port_run")), &opts);
	ring_buffer__consume(ring);
	free(context_memory[0]);
	free(context_memory[1]);
	if (!err && (opts.retval & DM_PORT_ABORTED) && !out.failed) {
		/* glibc's abort does not flush: what the native program still buffered for standard output is lost */
		__fpurge(stdout);
		signal(SIGABRT, SIG_DFL);
		abort();
	}
	fflush(stdout);
	if (err) {
		ring_buffer__free(ring);
		bpf_object__close(obj);
		return fail(EXIT_KERNEL, "%s: the kernel would not run it: %s", object, strerror(errno));
	}
	if (opts.retval & DM_PORT_OUTPUT_LOST)
		fprintf(stderr, "dm run: %s: some output was lost: the ring buffer was full\n", object);
	if (stats)
		heap_reader_print_object(stderr, obj);
	ring_buffer__free(ring);
	bpf_object__close(obj);
	return out.failed || (opts.retval & DM_PORT_OUTPUT_LOST) ? EXIT_PROGRAM_FAILED : (int)(opts.retval & 0xff);
}
