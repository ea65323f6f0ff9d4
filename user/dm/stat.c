/* SPDX-License-Identifier: MIT */
/*
 * dm stat: shows a pinned heap (dm_heap: shared or per-CPU; dm_arena: an arena heap), read by user/heap_reader.h
 * without changing it, every header validated before it is followed, as a table, JSON or the pool's layout, or as
 * Prometheus metrics (prometheus.c). A process on libdynamic_memory.so is read from its stats file instead.
 */
#include "user/dm/stat.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The reader's failures, as dm's exit statuses. */
static int reader_status(enum heap_reader_result result)
{
	switch (result) {
	case HEAP_READ_OK:
		return EXIT_OK;
	case HEAP_READ_NOT_A_HEAP:
		return EXIT_BAD_INPUT;
	case HEAP_READ_PERMISSION:
		return EXIT_PERMISSION;
	case HEAP_READ_KERNEL:
		return EXIT_KERNEL;
	case HEAP_READ_CORRUPT:
		return EXIT_CORRUPT;
	default:
		return EXIT_INTERNAL;
	}
}

static int open_heap(const char *path, struct stat_target *t)
{
	int fd, status = open_pinned(path, "map", "a pinned dm heap map (dm_heap or dm_arena)", &fd);
	enum heap_reader_result opened;

	if (status)
		return status;
	opened = heap_reader_open_fd(&t->reader, fd, path);
	if (opened)
		return fail(reader_status(opened), "%s", t->reader.error);
	t->name = t->reader.name;
	t->copies = t->reader.copies;
	t->percpu = t->reader.percpu;
	return EXIT_OK;
}

/* A process's stats file (user/preload_stats.h) in the place of a map: its counters only, no blocks to walk. */
static int read_process(struct stat_target *t)
{
	char error[320];
	struct heap_walk *w = &t->walks[0];

	switch (dm_preload_read(t->path, &t->info, &w->stats, error, sizeof(error))) {
	case 0:
		break;
	case -2: {
		struct stat st;

		return stat(t->path, &st) ? fail(EXIT_PERMISSION, "%s", error)
					  : permission_denied(t->path, &st, "read");
	}
	default:
		return fail(EXIT_BAD_INPUT, "%s", error);
	}
	t->name = t->info.program;
	t->shape = (struct dm_control){
		.magic = DM_MAGIC, .pool_size = (dm_u32)t->info.pool, .policy = DM_POLICY_SEGREGATED, .align = 16
	};
	w->ctl = &t->shape;
	w->used = 1;
	return EXIT_OK;
}

int stat_snapshot(struct stat_target *t, FILE *errors)
{
	int worst = EXIT_OK;
	enum heap_reader_result result;

	if (t->process)
		return read_process(t);
	result = heap_reader_snapshot(&t->reader);
	if (result)
		return fail(reader_status(result), "%s", t->reader.error);
	for (int i = 0; i < t->copies; i++) {
		result = heap_reader_walk(&t->reader, i, &t->walks[i],
					  t->used ? t->used + (size_t)i * t->reader.stride : NULL);
		if (result) {
			fprintf(errors, "dm: %s%s%.0d: %s\n", t->path, t->percpu ? ", cpu " : "", t->percpu ? i : 0,
				t->walks[i].error);
			worst = reader_status(result);
		}
	}
	return worst;
}

const char *stat_cpu_label(const struct stat_target *t, int copy, char buf[16])
{
	snprintf(buf, 16, "%d", copy);
	return t->percpu ? buf : "all";
}

static const char *kind_name(const struct stat_target *t)
{
	return t->percpu ? "per-CPU" : t->reader.arena ? "arena" : t->process ? "process" : "shared";
}

static int show_table(const struct stat_target *t)
{
	const struct heap_walk *described = &t->walks[0];
	struct dm_stats total = { 0 };
	int used = 0;

	for (int i = 0; i < t->copies && !described->used; i++)
		described = &t->walks[i]; /* describe the heap by a CPU that has used it */
	if (described->used)
		printf("%s (%s): %s heap, pool %u B, %s, align %u\n", t->name, t->path, kind_name(t),
		       described->ctl->pool_size, heap_reader_policy(described->ctl), described->ctl->align);
	else
		printf("%s (%s): %s heap, not used yet%s\n", t->name, t->path, kind_name(t),
		       t->reader.arena ? " (dm_arena_init has not run)" : "");
	printf("%-6s", "heap");
	dm_stats_print_titles(stdout);
	putchar('\n');
	for (int i = 0; i < t->copies; i++) {
		const struct dm_stats *s = &t->walks[i].stats;
		char label[16];

		snprintf(label, sizeof(label), t->percpu ? "cpu%d" : "all", i);
		if (!t->walks[i].used) {
			printf("%-6s (not used yet)\n", label);
			continue;
		}
		printf("%-6s", label);
		dm_stats_print_values(stdout, s);
		putchar('\n');
		used++;
#define ADD_FIELD(member, unit, type, column, meaning) total.member += s->member;
		DM_STATS_FIELDS(ADD_FIELD)
#undef ADD_FIELD
		total.capacity = s->capacity; /* one CPU's */
		total.largest_free = s->largest_free > total.largest_free ? s->largest_free : total.largest_free;
	}
	if (t->percpu && used) {
		printf("%-6s", "total");
		dm_stats_print_values(stdout, &total);
		putchar('\n');
	}
	return EXIT_OK;
}

static int show_json(const struct stat_target *t)
{
	printf("{\"map\": \"%s\", \"path\": \"%s\", \"kind\": \"%s\", \"heaps\": [", t->name, t->path,
	       t->percpu         ? "percpu"
	       : t->reader.arena ? "arena"
	       : t->process      ? "process"
				 : "shared");
	for (int i = 0; i < t->copies; i++) {
		const struct heap_walk *w = &t->walks[i];
		char cpu[16];

		printf("%s\n  {\"cpu\": \"%s\", \"used\": %s", i ? "," : "", stat_cpu_label(t, i, cpu),
		       w->used ? "true" : "false");
		if (w->used) {
			printf(", \"pool_size\": %u, \"policy\": \"%s\", \"align\": %u", w->ctl->pool_size,
			       heap_reader_policy(w->ctl), w->ctl->align);
#define JSON_FIELD(member, unit, type, column, meaning)                                                                \
	printf(", \"" #member "\": %llu", (unsigned long long)w->stats.member);
			DM_STATS_FIELDS(JSON_FIELD)
#undef JSON_FIELD
			printf(", \"fragmentation\": %.4f", dm_stats_fragmentation(&w->stats));
		}
		printf("}");
	}
	printf("\n]}\n");
	return EXIT_OK;
}

static int terminal_width(void)
{
	struct winsize ws;
	const char *columns = getenv("COLUMNS");

	if (columns && atoi(columns) > 20)
		return atoi(columns);
	return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
}

/* The pool as a bar: '#' where most of a cell's bytes are in used blocks, '+' where some are, '.' where none.
 * `used` is the byte map the walk made of this heap. */
static int show_layout(const struct heap_walk *w, const unsigned char *used, const char *label)
{
	int width = terminal_width() - 4;
	unsigned first, end;

	if (!w->used) {
		printf("%s: not used yet\n", label);
		return EXIT_OK;
	}
	first = w->ctl->first, end = w->ctl->sentinel;
	printf("%s: %u bytes from offset %u to %u, %.1f bytes a cell ('#' used, '+' partly, '.' free)\n  [", label,
	       end - first, first, end, (double)(end - first) / width);
	for (int c = 0; c < width; c++) {
		unsigned from = first + (unsigned)((unsigned long long)(end - first) * c / width);
		unsigned to = first + (unsigned)((unsigned long long)(end - first) * (c + 1) / width), n = 0;

		for (unsigned b = from; b < to; b++)
			n += used[b];
		putchar(to == from ? ' ' : n * 2 > to - from ? '#' : n ? '+' : '.');
	}
	printf("]\n  largest free blocks:");
	for (int i = 0; i < 5 && w->largest_size[i]; i++)
		printf(" %u B at %u%s", w->largest_size[i], w->largest_at[i],
		       i < 4 && w->largest_size[i + 1] ? "," : "");
	printf("%s\n", w->largest_size[0] ? "" : " none");
	return EXIT_OK;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig, stop = 1;
}

void stat_help(void)
{
	printf("usage: dm stat PIN_PATH [--json | --layout | --prometheus [ADDR:]PORT] [--watch SECONDS]\n\n"
	       "Shows a pinned dynamic_memory heap (map dm_heap, shared or per-CPU, or map dm_arena), read-only:\n"
	       "  (default)        a table: capacity, allocated, free, peak, largest free block, fragmentation\n"
	       "                   (1 - largest/free), used/free blocks, allocations, frees, failed, invalid\n"
	       "                   frees, corruptions, lock failures; a row per CPU and a total for per-CPU heaps\n"
	       "  --json           the same as one JSON object (fields as in the table, named as in struct dm_stats)\n"
	       "  --layout         the pool as a bar of used and free blocks, and the largest free blocks\n"
	       "  --watch SECONDS  refresh in place until interrupted\n"
	       "  --prometheus [ADDR:]PORT  serve /metrics (Prometheus text format) on ADDR (default 127.0.0.1)\n"
	       "                   until interrupted; a damaged heap answers 500 with what is wrong\n"
	       "  --pid PID        instead of PIN_PATH: a process running on libdynamic_memory.so (its file\n"
	       "                   /dev/shm/dm-PID; give a DM_STATS=PATH file as PIN_PATH); no --layout\n");
	print_exit_statuses((const int[]){ EXIT_OK, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_PERMISSION, EXIT_CORRUPT,
					   EXIT_KERNEL, EXIT_INTERNAL, -1 });
}

/* --pid PID: the process's stats file, when the process runs on libdynamic_memory.so (it has made the file). A file
 * left by a process that has gone is dm_preload_read's to name. */
static int check_process(int pid, const char *path)
{
	struct stat st;

	if (!stat(path, &st) || errno != ENOENT)
		return EXIT_OK;
	if (kill(pid, 0) && errno == ESRCH)
		return fail(EXIT_BAD_INPUT, "stat: no process %d", pid);
	return fail(EXIT_BAD_INPUT, "stat: process %d does not run on libdynamic_memory.so (no %s)", pid, path);
}

int stat_command(int argc, char **argv)
{
	static const struct dm_option options[] = { { "--json", NULL },       { "--layout", NULL },
						    { "--watch", "SECONDS" }, { "--prometheus", "[ADDR:]PORT" },
						    { "--pid", "PID" },       { NULL, NULL } };
	enum { JSON, LAYOUT, WATCH, PROMETHEUS, PID };
	const char *path = NULL, *listen_on = NULL, *value;
	char pid_path[64];
	int json = 0, layout = 0, watch = 0, pid = 0, status;
	struct stat_target t = { .reader = { .fd = -1, .cache_fd = -1 } };

	for (int i = 0; i < argc; i++) {
		switch (next_argument("stat", options, argc, argv, &i, &value)) {
		case JSON:
			json = 1;
			break;
		case LAYOUT:
			layout = 1;
			break;
		case WATCH:
			watch = atoi(value);
			if (watch <= 0)
				return fail(EXIT_USAGE, "stat: --watch %s: expected a number of seconds above 0",
					    value);
			break;
		case PROMETHEUS:
			listen_on = value;
			break;
		case PID:
			if (atoi(value) <= 0)
				return fail(EXIT_USAGE, "stat: --pid %s: expected a process id above 0", value);
			if (path)
				return fail(EXIT_USAGE,
					    "stat: give PIN_PATH or --pid PID, not both (see dm stat --help)");
			pid = atoi(value), path = pid_path;
			snprintf(pid_path, sizeof(pid_path), "/dev/shm/dm-%d", pid);
			break;
		case ARGUMENT_OPERAND:
			if (path)
				return path == pid_path
					       ? fail(EXIT_USAGE, "stat: give PIN_PATH or --pid PID, not both (see dm "
								  "stat --help)")
					       : unexpected_argument("stat", value);
			path = value;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (!path)
		return fail(EXIT_USAGE, "stat: which heap? give the path of a pinned dm_heap map (see dm stat --help)");
	t.path = path;
	/* through --pid, the file is a process's whatever it holds: junk there is not a stats file, not a bad pin */
	t.process = pid || dm_preload_is_file(path);
	status = pid ? check_process(pid, path) : EXIT_OK;
	if (!status)
		status = t.process ? (t.copies = 1, EXIT_OK) : open_heap(path, &t);
	if (!status && t.process && layout)
		status = fail(EXIT_USAGE, "stat: %s: --layout walks the blocks; a process's file has its counters only",
			      path);
	if (!status) {
		t.walks = calloc((size_t)t.copies, sizeof(*t.walks));
		if (layout)
			t.used = malloc((size_t)t.copies * t.reader.stride);
		if (!t.walks || (layout && !t.used))
			status = fail(EXIT_INTERNAL, "out of memory reading %s", path);
	}
	if (!status && listen_on) {
		status = serve_prometheus(listen_on, &t);
	} else if (!status) {
		/* No SA_RESTART: a signal must end sleep(), not resume it. */
		sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
		sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
		do {
			status = stat_snapshot(&t, stderr);
			if (watch)
				printf("\033[H\033[2J");
			if (status == EXIT_OK && json) {
				show_json(&t);
			} else if (status == EXIT_OK && layout) {
				for (int i = 0; i < t.copies; i++) {
					char label[32];

					if (t.percpu)
						snprintf(label, sizeof(label), "cpu %d", i);
					else
						snprintf(label, sizeof(label), "%s", t.name);
					show_layout(&t.walks[i], t.used + (size_t)i * t.reader.stride, label);
				}
			} else if (status == EXIT_OK) {
				show_table(&t);
			}
			fflush(stdout);
			if (watch)
				sleep((unsigned)watch);
		} while (watch && !stop);
	}
	free(t.used);
	free(t.walks);
	heap_reader_close(&t.reader);
	return status;
}
