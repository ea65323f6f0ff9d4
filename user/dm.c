/* SPDX-License-Identifier: MIT */
/*
 * dm: the dynamic_memory command-line tool.
 *
 *   dm stat PIN_PATH [--json | --layout | --prometheus [ADDR:]PORT] [--watch SECONDS]
 *   dm stat --pid PID | STATS_FILE [--json | --prometheus [ADDR:]PORT] [--watch SECONDS]
 *   dm preload [--lib PATH] -- COMMAND ARGS...
 *   dm arena-init PIN_PATH
 *   dm port PROGRAM.c -o PROGRAM.bpf.o [--pool BYTES] [--keep DIR]
 *   dm run PROGRAM.bpf.o [--stats]
 *
 * Reads a pinned heap map (dm_heap: shared or per-CPU; dm_arena: arena heap, through a read-only mapping) without
 * changing it, validating every offset it follows, and shows its state. Exit status: 0 ok, 1 bad usage, 2 cannot open (missing, not a pinned map), 3 not a dm heap, 4 permission
 * denied, 5 the heap is corrupt (what and where is printed).
 */
#include "user/heap_view.h" /* the control block layout, the header check, arena setup; the native heap goes unused */
#include "modify/port_include/dm_port_records.h"
#include "user/preload_stats.h" /* processes on libdynamic_memory.so: user/preload_stats.c */

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

enum { EXIT_OK, EXIT_USAGE, EXIT_OPEN, EXIT_NOT_HEAP, EXIT_PERMISSION, EXIT_CORRUPT };

struct heap_map {
	const char *path;
	char name[BPF_OBJ_NAME_LEN];
	int fd, percpu, copies;
	__u32 value_size;
	size_t stride;
	unsigned char *values; /* copies x stride bytes: one heap per CPU for a per-CPU map */
	const unsigned char *arena; /* arena heap: the arena, mapped read-only at its own address */
	size_t arena_size;
	int process; /* a process on libdynamic_memory.so: its stats file, read into info and stats */
	struct dm_preload_info info;
	struct dm_stats stats;
};

/* What a walk of one heap found. */
struct heap_state {
	const struct dm_control *ctl;
	unsigned long long free, largest_free, free_blocks, used_blocks;
	char error[128]; /* "block at offset N: bad header", or empty */
	unsigned largest_at[5], largest_size[5];
};

static int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("dm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* Whether fd is a BPF map: /proc/self/fdinfo says map_type for maps, prog_type for programs. */
static int is_map(int fd)
{
	char path[64], line[128];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "map_type:", 9);
	if (f)
		fclose(f);
	return found;
}

/* An arena heap (DM_HEAP_ARENA): the map dm_arena, mapped where its programs see it (its map_extra address). */
static int open_arena(const struct bpf_map_info *info, struct heap_map *m)
{
	void *at;

	if (strcmp(info->name, "dm_arena") || !info->map_extra)
		return fail(EXIT_NOT_HEAP, "%s: not a dm heap: arena '%s'%s, expected 'dm_arena' at a fixed address",
			    m->path, info->name, info->map_extra ? "" : " without a fixed address");
	snprintf(m->name, sizeof(m->name), "%s", info->name);
	m->copies = 1;
	m->arena_size = (size_t)info->max_entries * (size_t)sysconf(_SC_PAGESIZE);
	at = mmap((void *)(unsigned long)info->map_extra, m->arena_size, PROT_READ, MAP_SHARED, m->fd, 0);
	if (at == MAP_FAILED || at != (void *)(unsigned long)info->map_extra)
		return fail(EXIT_OPEN, "%s: cannot map the arena (%zu bytes at 0x%llx): %s", m->path, m->arena_size,
			    (unsigned long long)info->map_extra, at == MAP_FAILED ? strerror(errno) : "moved");
	m->arena = at;
	m->stride = m->arena_size;
	m->values = calloc(1, m->stride);
	if (!m->values)
		return fail(EXIT_OPEN, "out of memory reading %s (%zu bytes)", m->path, m->arena_size);
	return EXIT_OK;
}

/* Opens and checks the pinned map: a one-entry (PERCPU_)ARRAY named dm_heap whose value type is struct dm_heap, or
 * an arena heap. */
static int open_heap(const char *path, struct heap_map *m)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	struct statfs fs;
	struct btf *btf;

	m->path = path;
	if (access(path, F_OK))
		return fail(EXIT_OPEN, "%s: no such pinned object", path);
	/* bpf_obj_get answers EPERM for a path outside bpffs: tell that apart from a real permission problem */
	if (statfs(path, &fs) || fs.f_type != BPF_FS_MAGIC)
		return fail(EXIT_OPEN, "%s: not a pinned BPF object (not on a BPF filesystem such as /sys/fs/bpf)", path);
	m->fd = bpf_obj_get(path);
	if (m->fd < 0) {
		if (errno == EACCES || errno == EPERM)
			return fail(EXIT_PERMISSION, "%s: permission denied (reading BPF maps needs root or CAP_BPF)", path);
		return fail(EXIT_OPEN, "%s: not a pinned BPF object: %s", path, strerror(errno));
	}
	/* the info call fills map info from any BPF object: ask the kernel what the object is */
	if (!is_map(m->fd) || bpf_map_get_info_by_fd(m->fd, &info, &len))
		return fail(EXIT_OPEN, "%s: not a pinned map (a program or a link?)", path);
	if (info.type == BPF_MAP_TYPE_ARENA)
		return open_arena(&info, m);
	if (info.type != BPF_MAP_TYPE_ARRAY && info.type != BPF_MAP_TYPE_PERCPU_ARRAY)
		return fail(EXIT_NOT_HEAP, "%s: not a dm heap: map type %u, expected ARRAY, PERCPU_ARRAY or ARENA", path,
			    info.type);
	if (strcmp(info.name, "dm_heap") || info.max_entries != 1 || info.key_size != 4)
		return fail(EXIT_NOT_HEAP, "%s: not a dm heap: map '%s' with %u entries of %u-byte keys, expected 'dm_heap' "
				"with 1", path, info.name, info.max_entries, info.key_size);
	btf = info.btf_id ? btf__load_from_kernel_by_id(info.btf_id) : NULL;
	if (!btf || strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, info.btf_value_type_id)->name_off), "dm_heap")) {
		btf__free(btf);
		return fail(EXIT_NOT_HEAP, "%s: not a dm heap: its BTF does not describe struct dm_heap", path);
	}
	btf__free(btf);
	if (info.value_size < sizeof(struct dm_control))
		return fail(EXIT_NOT_HEAP, "%s: not a dm heap: value of %u bytes", path, info.value_size);
	snprintf(m->name, sizeof(m->name), "%s", info.name);
	m->percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
	m->copies = m->percpu ? libbpf_num_possible_cpus() : 1;
	m->value_size = info.value_size;
	m->stride = (info.value_size + 7) & ~(size_t)7;
	m->values = calloc((size_t)m->copies, m->stride);
	if (!m->values)
		return fail(EXIT_OPEN, "out of memory reading %s (%u bytes)", path, info.value_size);
	return EXIT_OK;
}

/* Pages of an arena that dm_arena_init has not allocated fault (the heap asks for SIGSEGV rather than silent new
 * pages): a read that faults means the heap has no memory yet. */
static sigjmp_buf arena_fault;
static void on_arena_fault(int sig) { siglongjmp(arena_fault, sig); }

static int read_arena(struct heap_map *m)
{
	struct sigaction fault = { .sa_handler = on_arena_fault }, old;
	const struct dm_control *ctl = (const void *)m->arena;
	int faulted;

	sigaction(SIGSEGV, &fault, &old);
	faulted = sigsetjmp(arena_fault, 1);
	if (!faulted) {
		/* its own size first: copy the heap, not the whole arena */
		m->value_size = ctl->magic == DM_MAGIC && (size_t)ctl->pool_size + ctl->guard <= m->arena_size
					? ctl->pool_size + ctl->guard
					: (__u32)sizeof(struct dm_control);
		memcpy(m->values, m->arena, m->value_size);
	}
	sigaction(SIGSEGV, &old, NULL);
	if (faulted)
		memset(m->values, 0, m->stride); /* no pages yet: shown as not used, like a zeroed map */
	return EXIT_OK;
}

/* A process's stats file (user/preload_stats.h) in the place of a map: its counters only, no blocks to walk. */
static int read_process(struct heap_map *m)
{
	char error[320];

	if (dm_preload_read(m->path, &m->info, &m->stats, error, sizeof(error)))
		return fail(EXIT_OPEN, "%s", error);
	snprintf(m->name, sizeof(m->name), "%s", m->info.program);
	return EXIT_OK;
}

static int open_process(const char *path, struct heap_map *m)
{
	m->path = path;
	m->process = 1;
	m->copies = 1;
	m->stride = sizeof(struct dm_control);
	m->values = calloc(1, m->stride);
	if (!m->values)
		return fail(EXIT_OPEN, "out of memory reading %s", path);
	return read_process(m);
}

/* The counters in the shape every output takes: a control block whose pool is the program's, and what a walk would
 * have found. */
static int process_state(const struct heap_map *m, struct heap_state *s)
{
	const struct dm_stats *st = &m->stats;
	struct dm_control *ctl = (struct dm_control *)m->values;

	*ctl = (struct dm_control){ .magic = DM_MAGIC, .pool_size = (dm_u32)m->info.pool, .policy = DM_POLICY_SEGREGATED,
				    .align = 16, .sentinel = (dm_u32)st->capacity + DM_HDR, .lock_failures = st->lock_failures };
	ctl->c = (struct dm_counters){ .allocated = st->allocated, .peak_allocated = st->peak_allocated,
				       .used_blocks = st->used_blocks, .free_blocks = st->free_blocks,
				       .allocations = st->allocations, .frees = st->frees,
				       .failed_allocations = st->failed_allocations, .invalid_frees = st->invalid_frees,
				       .corruptions = st->corruptions };
	*s = (struct heap_state){ .ctl = ctl, .free = st->free, .largest_free = st->largest_free,
				  .free_blocks = st->free_blocks, .used_blocks = st->used_blocks };
	return EXIT_OK;
}

static int read_heap(struct heap_map *m)
{
	__u32 zero = 0;

	if (m->arena)
		return read_arena(m);
	if (m->process)
		return read_process(m);
	if (bpf_map_lookup_elem(m->fd, &zero, m->values))
		return fail(errno == EACCES || errno == EPERM ? EXIT_PERMISSION : EXIT_OPEN, "%s: cannot read: %s",
			    m->path, strerror(errno));
	return EXIT_OK;
}

static void note_free_block(struct heap_state *s, unsigned at, unsigned size)
{
	int i = 4;

	if (size <= s->largest_size[4])
		return;
	for (; i > 0 && size > s->largest_size[i - 1]; i--) {
		s->largest_size[i] = s->largest_size[i - 1];
		s->largest_at[i] = s->largest_at[i - 1];
	}
	s->largest_size[i] = size;
	s->largest_at[i] = at;
}

/* Walks the blocks of one heap value, validating each header before following it. `used` (optional) receives a
 * byte map of the pool: 1 where a used block (header included) lies. */
static int walk_heap(const struct heap_map *m, const unsigned char *value, struct heap_state *s, unsigned char *used)
{
	const struct dm_control *ctl = (const void *)value;
	unsigned align = ctl->align, min_block, off;

	memset(s, 0, sizeof(*s));
	s->ctl = ctl;
	if (ctl->magic == 0)
		return EXIT_OK; /* never used: all zero */
	if (ctl->magic != DM_MAGIC || (align != 8 && align != 16) || ctl->pool_size < 4096 ||
	    (ctl->pool_size & (ctl->pool_size - 1)) || ctl->pool_size + ctl->guard != m->value_size ||
	    ctl->first < sizeof(struct dm_control) - sizeof(ctl->heads) || ctl->sentinel >= ctl->pool_size ||
	    ctl->first >= ctl->sentinel) {
		snprintf(s->error, sizeof(s->error), "control block: bad header (pool %u + guard %u vs value %u bytes)",
			 ctl->pool_size, ctl->guard, m->value_size);
		return EXIT_CORRUPT;
	}
	min_block = (DM_HDR + 12 + align - 1) & ~(align - 1);
	for (off = ctl->first; off < ctl->sentinel;) {
		dm_u32 word0, check, size;

		memcpy(&word0, value + off, 4);
		memcpy(&check, value + off + 4, 4);
		size = word0 & ~DM_FLAGS;
		if (check != dm_check_word(off, word0) || size < min_block || size % align || size > ctl->sentinel - off) {
			snprintf(s->error, sizeof(s->error), "block at offset %u: bad header", off);
			return EXIT_CORRUPT;
		}
		if (word0 & DM_FREE) {
			s->free_blocks++;
			s->free += size - DM_HDR;
			s->largest_free = size - DM_HDR > s->largest_free ? size - DM_HDR : s->largest_free;
			note_free_block(s, off, size - DM_HDR);
		} else {
			s->used_blocks++;
			if (used)
				memset(used + off, 1, size);
		}
		off += size;
	}
	return EXIT_OK;
}

static double fragmentation(const struct heap_state *s)
{
	return s->free ? 1.0 - (double)s->largest_free / (double)s->free : 0.0;
}

static const char *policy_name(const struct dm_control *ctl)
{
	return ctl->policy == DM_POLICY_FIRST_FIT ? "first-fit" : "segregated";
}

/* One heap's numbers, shared by every output format. */
#define HEAP_FIELDS(X)                                                                                           \
	X(capacity, "bytes", "gauge", "Largest allocation the empty heap can satisfy", s->ctl->sentinel - s->ctl->first - DM_HDR) \
	X(allocated, "bytes", "gauge", "Sum of usable sizes of live blocks", s->ctl->c.allocated)                          \
	X(free, "bytes", "gauge", "Sum of usable sizes of free blocks", s->free)                                           \
	X(peak_allocated, "bytes", "gauge", "Highest allocated ever", s->ctl->c.peak_allocated)                           \
	X(largest_free, "bytes", "gauge", "Largest free block (usable bytes)", s->largest_free)                          \
	X(used_blocks, "", "gauge", "Live blocks", s->used_blocks)                                                         \
	X(free_blocks, "", "gauge", "Free blocks", s->free_blocks)                                                         \
	X(allocations, "total", "counter", "Successful allocations", s->ctl->c.allocations)                               \
	X(frees, "total", "counter", "Successful frees", s->ctl->c.frees)                                                  \
	X(failed_allocations, "total", "counter", "Allocations that returned NULL", s->ctl->c.failed_allocations)         \
	X(invalid_frees, "total", "counter", "Frees of pointers that were not live blocks", s->ctl->c.invalid_frees)      \
	X(corruptions, "total", "counter", "Damaged headers found", s->ctl->c.corruptions)                                \
	X(lock_failures, "total", "counter", "Lock give-ups (shared) or nested programs refused (per-CPU)", s->ctl->lock_failures)

static void print_table_row(const char *label, const struct heap_state *s)
{
	if (!s->ctl->magic) {
		printf("%-6s (not used yet)\n", label);
		return;
	}
	printf("%-6s %9u %9llu %9llu %9llu %9llu %6.3f %6llu/%-6llu %9llu %9llu %7llu %7llu %7llu %9llu\n", label,
	       s->ctl->sentinel - s->ctl->first - DM_HDR, (unsigned long long)s->ctl->c.allocated, s->free,
	       (unsigned long long)s->ctl->c.peak_allocated, s->largest_free, fragmentation(s), s->used_blocks,
	       s->free_blocks, (unsigned long long)s->ctl->c.allocations, (unsigned long long)s->ctl->c.frees,
	       (unsigned long long)s->ctl->c.failed_allocations, (unsigned long long)s->ctl->c.invalid_frees,
	       (unsigned long long)s->ctl->c.corruptions, (unsigned long long)s->ctl->lock_failures);
}

static const char *kind_name(const struct heap_map *m)
{
	return m->percpu ? "per-CPU" : m->arena ? "arena" : m->process ? "process" : "shared";
}

static int show_table(const struct heap_map *m, const struct heap_state *s)
{
	struct heap_state total = { 0 };
	struct dm_control sum = { 0 };
	const struct dm_control *used = s[0].ctl;

	for (int i = 0; i < m->copies && !used->magic; i++)
		used = s[i].ctl; /* describe the heap by a CPU that has used it */
	if (used->magic)
		printf("%s (%s): %s heap, pool %u B, %s, align %u\n", m->name, m->path, kind_name(m), used->pool_size,
		       policy_name(used), used->align);
	else
		printf("%s (%s): %s heap, not used yet%s\n", m->name, m->path, kind_name(m),
		       m->arena ? " (dm_arena_init has not run)" : "");
	printf("%-6s %9s %9s %9s %9s %9s %6s %13s %9s %9s %7s %7s %7s %9s\n", "heap", "capacity", "allocated", "free",
	       "peak", "largest", "frag", "used/free", "allocs", "frees", "failed", "invalid", "corrupt", "lockfail");
	for (int i = 0; i < m->copies; i++) {
		char label[16];

		snprintf(label, sizeof(label), m->percpu ? "cpu%d" : "all", i);
		print_table_row(label, &s[i]);
		if (!m->percpu || !s[i].ctl->magic)
			continue;
		sum.magic = DM_MAGIC, sum.first = s[i].ctl->first, sum.sentinel = s[i].ctl->sentinel;
		sum.c.allocated += s[i].ctl->c.allocated, sum.c.peak_allocated += s[i].ctl->c.peak_allocated;
		sum.c.allocations += s[i].ctl->c.allocations, sum.c.frees += s[i].ctl->c.frees;
		sum.c.failed_allocations += s[i].ctl->c.failed_allocations;
		sum.c.invalid_frees += s[i].ctl->c.invalid_frees, sum.c.corruptions += s[i].ctl->c.corruptions;
		sum.lock_failures += s[i].ctl->lock_failures;
		total.free += s[i].free, total.used_blocks += s[i].used_blocks, total.free_blocks += s[i].free_blocks;
		total.largest_free = s[i].largest_free > total.largest_free ? s[i].largest_free : total.largest_free;
	}
	if (m->percpu && sum.magic) {
		total.ctl = &sum;
		print_table_row("total", &total); /* capacity: one CPU's; largest: the largest of any CPU */
	}
	return EXIT_OK;
}

/* "all" for a shared heap, the CPU's number for a per-CPU one. */
static const char *cpu_label(const struct heap_map *m, int i, char buf[16])
{
	snprintf(buf, 16, "%d", i);
	return m->percpu ? buf : "all";
}

static int show_json(const struct heap_map *m, const struct heap_state *states)
{
	printf("{\"map\": \"%s\", \"path\": \"%s\", \"kind\": \"%s\", \"heaps\": [", m->name, m->path,
	       m->percpu ? "percpu" : m->arena ? "arena" : m->process ? "process" : "shared");
	for (int i = 0; i < m->copies; i++) {
		const struct heap_state *s = &states[i];
		char cpu[16];

		printf("%s\n  {\"cpu\": \"%s\", \"used\": %s", i ? "," : "", cpu_label(m, i, cpu),
		       s->ctl->magic ? "true" : "false");
		if (s->ctl->magic) {
			printf(", \"pool_size\": %u, \"policy\": \"%s\", \"align\": %u", s->ctl->pool_size,
			       policy_name(s->ctl), s->ctl->align);
#define JSON_FIELD(field, unit, type, help, value) printf(", \"" #field "\": %llu", (unsigned long long)(value));
			HEAP_FIELDS(JSON_FIELD)
#undef JSON_FIELD
			printf(", \"fragmentation\": %.4f", fragmentation(s));
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

/* The pool as a bar: '#' where most of a cell's bytes are in used blocks, '+' where some are, '.' where none. */
/* `used` is the byte map walk_heap made of this heap. */
static int show_layout(const struct heap_state *s, const unsigned char *used, const char *label)
{
	int width = terminal_width() - 4;
	unsigned first, end;

	if (!s->ctl->magic) {
		printf("%s: not used yet\n", label);
		return EXIT_OK;
	}
	first = s->ctl->first, end = s->ctl->sentinel;
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
	for (int i = 0; i < 5 && s->largest_size[i]; i++)
		printf(" %u B at %u%s", s->largest_size[i], s->largest_at[i], i < 4 && s->largest_size[i + 1] ? "," : "");
	printf("%s\n", s->largest_size[0] ? "" : " none");
	return EXIT_OK;
}

static int serve_metrics(int client, const struct heap_map *m, const struct heap_state *states)
{
	char request[1024] = { 0 }, *body;
	size_t size;
	FILE *out = open_memstream(&body, &size);
	ssize_t n = read(client, request, sizeof(request) - 1);

	if (!out)
		return -1;
	if (n <= 0 || strncmp(request, "GET /metrics", 12)) {
		dprintf(client, "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nonly /metrics is served\n");
		fclose(out);
		free(body);
		return 0;
	}
#define PROMETHEUS_FIELD(field, unit, type, help, value)                                                           \
	fprintf(out, "# HELP dm_" #field "%s%s " help "\n# TYPE dm_" #field "%s%s " type "\n", *unit ? "_" : "", unit,  \
		*unit ? "_" : "", unit);                                                                           \
	for (int i = 0; i < m->copies; i++) {                                                                      \
		const struct heap_state *s = &states[i];                                                           \
		char cpu[16];                                                                                      \
		if (s->ctl->magic)                                                                                 \
			fprintf(out, "dm_" #field "%s%s{heap=\"%s\",path=\"%s\",cpu=\"%s\"} %llu\n", *unit ? "_" : "", \
				unit, m->name, m->path, cpu_label(m, i, cpu), (unsigned long long)(value));        \
	}
	HEAP_FIELDS(PROMETHEUS_FIELD)
#undef PROMETHEUS_FIELD
	fclose(out);
	dprintf(client, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n\r\n", size);
	if (write(client, body, size) != (ssize_t)size)
		n = -1;
	free(body);
	return 0;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig, stop = 1; }

static int stat_command(int argc, char **argv)
{
	const char *path = NULL, *listen_on = NULL;
	char pid_path[64];
	int json = 0, layout = 0, watch = 0, status, server = -1;
	struct heap_map m = { 0 };
	struct heap_state *states;
	unsigned char *used = NULL; /* --layout: one byte map per heap, filled by the walk */

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--layout"))
			layout = 1;
		else if (!strcmp(argv[i], "--watch") && i + 1 < argc && atoi(argv[i + 1]) > 0)
			watch = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--prometheus") && i + 1 < argc)
			listen_on = argv[++i];
		else if (!strcmp(argv[i], "--pid") && i + 1 < argc && atoi(argv[i + 1]) > 0 && !path)
			path = pid_path, snprintf(pid_path, sizeof(pid_path), "/dev/shm/dm-%d", atoi(argv[++i]));
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: dm stat PIN_PATH [--json | --layout | --prometheus [ADDR:]PORT] [--watch SECONDS]\n\n"
			       "Shows a pinned dynamic_memory heap (map dm_heap, shared or per-CPU, or map dm_arena), read-only:\n"
			       "  (default)        a table: capacity, allocated, free, peak, largest free block, fragmentation\n"
			       "                   (1 - largest/free), used/free blocks, allocations, frees, failed, invalid\n"
			       "                   frees, corruptions, lock failures; a row per CPU and a total for per-CPU heaps\n"
			       "  --json           the same as one JSON object (fields as in the table, named as in struct dm_stats)\n"
			       "  --layout         the pool as a bar of used and free blocks, and the largest free blocks\n"
			       "  --watch SECONDS  refresh in place until interrupted\n"
			       "  --prometheus [ADDR:]PORT  serve /metrics (Prometheus text format) on ADDR (default 127.0.0.1)\n"
			       "  --pid PID        instead of PIN_PATH: a process running on libdynamic_memory.so (its file\n"
			       "                   /dev/shm/dm-PID; give a DM_STATS=PATH file as PIN_PATH); no --layout\n\n"
			       "exit status: 0 ok, 1 bad usage, 2 cannot open, 3 not a dm heap, 4 permission denied, 5 corrupt heap\n");
			return EXIT_OK;
		} else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			return fail(EXIT_USAGE, "stat: unexpected '%s' (see dm stat --help)", argv[i]);
	}
	if (!path)
		return fail(EXIT_USAGE, "stat: which heap? give the path of a pinned dm_heap map (see dm stat --help)");
	status = dm_preload_is_file(path) ? open_process(path, &m) : open_heap(path, &m);
	if (!status && m.process && layout)
		status = fail(EXIT_USAGE, "stat: %s: --layout walks the blocks; a process's file has its counters only", path);
	if (status)
		return status;
	states = calloc((size_t)m.copies, sizeof(*states));
	if (layout)
		used = malloc((size_t)m.copies * m.stride);
	if (!states || (layout && !used))
		return fail(EXIT_OPEN, "out of memory reading %s", path);
	if (listen_on) {
		const char *colon = strrchr(listen_on, ':');
		struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		char host[64] = "127.0.0.1";
		int one = 1, port = atoi(colon ? colon + 1 : listen_on);

		if (colon)
			snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_on), listen_on);
		if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &addr.sin_addr) != 1)
			return fail(EXIT_USAGE, "stat: --prometheus %s: expected [ADDR:]PORT, e.g. 9464 or 127.0.0.1:9464",
				    listen_on);
		addr.sin_port = htons((unsigned short)port);
		server = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (server < 0 || bind(server, (struct sockaddr *)&addr, sizeof(addr)) || listen(server, 8))
			return fail(EXIT_USAGE, "stat: cannot listen on %s:%d: %s", host, port, strerror(errno));
		fprintf(stderr, "dm: serving http://%s:%d/metrics for %s\n", host, port, path);
	}
	/* No SA_RESTART: a signal must end a blocking accept() or sleep(), not resume it. */
	sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	do {
		int worst = EXIT_OK;

		status = read_heap(&m);
		if (status)
			return status;
		for (int i = 0; i < m.copies; i++) {
			unsigned char *map = used ? used + (size_t)i * m.stride : NULL;
			int walked;

			if (map)
				memset(map, 0, m.stride);
			walked = m.process ? process_state(&m, &states[i])
					   : walk_heap(&m, m.values + (size_t)i * m.stride, &states[i], map);

			if (walked) {
				fprintf(stderr, "dm: %s%s%.0d: %s\n", path, m.percpu ? ", cpu " : "", m.percpu ? i : 0,
					states[i].error);
				worst = walked;
			}
		}
		if (server >= 0) {
			int client = accept(server, NULL, NULL);

			if (client >= 0) {
				serve_metrics(client, &m, states);
				close(client);
			}
			continue;
		}
		if (watch)
			printf("\033[H\033[2J");
		if (worst) {
			status = worst;
		} else if (json) {
			status = show_json(&m, states);
		} else if (layout) {
			for (int i = 0; i < m.copies; i++) {
				char label[32];

				if (m.percpu)
					snprintf(label, sizeof(label), "cpu %d", i);
				else
					snprintf(label, sizeof(label), "%s", m.name);
				show_layout(&states[i], used + (size_t)i * m.stride, label);
			}
		} else {
			status = show_table(&m, states);
		}
		fflush(stdout);
		if (watch)
			sleep((unsigned)watch);
	} while ((watch || server >= 0) && !stop);
	free(used);
	free(states);
	free(m.values);
	if (m.arena)
		munmap((void *)m.arena, m.arena_size);
	close(m.fd);
	return status;
}

/* Runs a pinned dm_arena_init: what a loader does after loading an arena heap, for objects loaded with bpftool
 * (whose `prog run` cannot run syscall programs). */
static int arena_init_command(int argc, char **argv)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int fd;

	if (argc != 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		printf("usage: dm arena-init PIN_PATH\n\n"
		       "Runs the pinned program dm_arena_init of an arena heap (DM_HEAP_ARENA) once: it allocates the\n"
		       "arena's pages and formats the heap. Until then every allocation fails. Running it again is harmless.\n"
		       "exit status: 0 ready, 1 bad usage, 2 cannot open, 3 not dm_arena_init, 4 permission denied,\n"
		       "5 the kernel would not give the pages\n");
		return argc == 1 ? EXIT_OK : EXIT_USAGE;
	}
	fd = bpf_obj_get(argv[0]);
	if (fd < 0)
		return fail(errno == EACCES || errno == EPERM ? EXIT_PERMISSION : EXIT_OPEN, "%s: cannot open: %s",
			    argv[0], strerror(errno));
	if (bpf_prog_get_info_by_fd(fd, &info, &len) || info.type != BPF_PROG_TYPE_SYSCALL ||
	    strcmp(info.name, "dm_arena_init"))
		return fail(EXIT_NOT_HEAP, "%s: not a pinned dm_arena_init program", argv[0]);
	if (bpf_prog_test_run_opts(fd, &opts))
		return fail(EXIT_OPEN, "%s: cannot run: %s", argv[0], strerror(errno));
	if (opts.retval)
		return fail(EXIT_CORRUPT, "%s: dm_arena_init failed: %d (%s)", argv[0], (int)opts.retval,
			    strerror(-(int)opts.retval));
	printf("arena heap ready\n");
	return EXIT_OK;
}

/* ------------------------------------------------------------------ dm port, dm run */

#ifndef DM_PORT_SCRIPT
#define DM_PORT_SCRIPT "modify/port.py"
#endif

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/* The verifier's reason, the source line it points to (BTF line info: "; code @ file.c:LINE"), and that line. */
static void explain_rejection(const char *log, const char *program)
{
	const char *name = strrchr(program, '/') ? strrchr(program, '/') + 1 : program, *at = NULL, *p;
	char marker[300], line_text[512] = "";
	int line = 0, shown = 0;

	snprintf(marker, sizeof(marker), " @ %s:", name); /* the program's own lines, not the runtime's */
	for (p = log; (p = strstr(p, marker)); p += strlen(marker))
		at = p;
	if (at)
		line = atoi(at + strlen(marker));
	printf("dm port: %s: the verifier rejects the ported program", program);
	if (line) {
		FILE *f = fopen(program, "r");

		for (int n = 1; f && fgets(line_text, sizeof(line_text), f) && n < line; n++)
			;
		if (f)
			fclose(f);
		printf(" at %s:%d:\n  %s", program, line, line_text);
		if (!strchr(line_text, '\n'))
			putchar('\n');
	} else {
		printf(":\n");
	}
	/* the last lines of the log, where the reason is */
	for (p = log + strlen(log); p > log && shown < 8; p--)
		if (p[-1] == '\n' && p[0])
			shown++;
	printf("verifier log (last lines):\n%s", p);
}

/* Loads an object as `dm run` will, to report a verifier rejection at port time. */
static int check_loads(const char *object, const char *program)
{
	static char log[1 << 22];
	LIBBPF_OPTS(bpf_object_open_opts, opts, .kernel_log_buf = log, .kernel_log_size = sizeof(log),
		    .kernel_log_level = 1);
	struct bpf_object *obj = bpf_object__open_file(object, &opts);
	int err;

	if (!obj)
		return fail(EXIT_OPEN, "port: cannot open %s: %s", object, strerror(errno));
	libbpf_set_print(quiet_libbpf);
	err = bpf_object__load(obj);
	bpf_object__close(obj);
	if (err == -EPERM)
		return fail(EXIT_PERMISSION, "port: loading %s to check it needs root (or CAP_BPF)", object);
	if (err) {
		explain_rejection(log, program);
		return EXIT_NOT_HEAP;
	}
	return EXIT_OK;
}

/* dm port's options that are followed by a value */
static int takes_value(const char *option)
{
	static const char *const with_value[] = { "-o", "--pool", "--keep", "--clang", "--include-dir" };

	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (!strcmp(option, with_value[i]))
			return 1;
	return 0;
}

static int port_command(int argc, char **argv)
{
	const char *script = getenv("DM_PORT_SCRIPT") ? getenv("DM_PORT_SCRIPT") : DM_PORT_SCRIPT;
	const char *program = NULL, *object = NULL;
	char **args = calloc((size_t)argc + 3, sizeof(*args));
	int status, n = 0;
	pid_t child;

	if (!args)
		return fail(EXIT_OPEN, "out of memory");
	args[n++] = "python3";
	args[n++] = (char *)script;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: dm port PROGRAM.c -o PROGRAM.bpf.o [--pool BYTES] [--keep DIR]\n\n"
			       "Ports a plain C program (int main(void); malloc, calloc, realloc, free; printf, puts, putchar;\n"
			       "the <string.h> subset in README) to a BPF object that `dm run` runs in the kernel, on the arena\n"
			       "heap. Constructs BPF cannot run stop it with FILE:LINE: construct not supported in BPF: ...;\n"
			       "a verifier rejection is shown with the source line it points to.\n"
			       "  --pool BYTES  heap size, fixed at port time (a power of two, default 1048576)\n"
			       "  --keep DIR    keep the ported C source in DIR\n\n"
			       "exit status: 0 ported, 1 not supported or does not compile, 2 bad usage, 3 rejected by the\n"
			       "verifier, 4 permission denied (checking the object loads needs root)\n");
			free(args);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			object = argv[i + 1];
		else if (argv[i][0] != '-' && !program && !(i > 0 && takes_value(argv[i - 1])))
			program = argv[i];
		args[n++] = argv[i];
	}
	if (!program || !object) {
		free(args);
		return fail(EXIT_USAGE, "port: give a C file and -o OBJECT (see dm port --help)");
	}
	fflush(stdout);
	child = fork();
	if (child == 0) {
		execvp("python3", args);
		fprintf(stderr, "dm: port: cannot run python3 %s: %s (make deps installs python3)\n", script,
			strerror(errno));
		_exit(2);
	}
	free(args);
	if (child < 0 || waitpid(child, &status, 0) < 0)
		return fail(EXIT_OPEN, "port: cannot run %s: %s", script, strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_USAGE;
	return check_loads(object, program);
}

static const char *failure_text(const struct dm_port_failure *f, char *buf, size_t size)
{
	static const char *allocator[] = { "an allocation", "malloc", "calloc", "realloc" };

	switch (f->kind) {
	case DM_PORT_NO_MEMORY:
		snprintf(buf, size, "out of heap memory: %s returned NULL and the program uses the result without a "
			 "check (a larger heap: dm port --pool)", allocator[f->value < 4 ? f->value : 0]);
		break;
	case DM_PORT_LOOP_LIMIT:
		snprintf(buf, size, "a loop ran past the verifier's budget (can_loop: about 8 million iterations)");
		break;
	case DM_PORT_BAD_INDEX:
		snprintf(buf, size, "index %lld is outside the array's %u elements", (long long)f->value, f->bound);
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
	} else if (record[0] == DM_PORT_FAILURE && size >= sizeof(struct dm_port_failure)) {
		const struct dm_port_failure *f = data;

		fflush(stdout);
		fprintf(stderr, "dm run: %s:%u: %s\n", out->source, f->line, failure_text(f, text, sizeof(text)));
		out->failed = 1;
	}
	return 0;
}

static int run_command(int argc, char **argv)
{
	const char *object = NULL;
	struct run_output out = { "the program", 0 };
	struct bpf_object *obj;
	struct bpf_map *source;
	const char *name;
	struct ring_buffer *ring;
	int stats = 0, err;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--stats"))
			stats = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: dm run PROGRAM.bpf.o [--stats]\n\n"
			       "Loads a program ported by dm port, runs its main once in the kernel, prints its output as the\n"
			       "native program would, and exits with main's return value.\n"
			       "  --stats  afterwards, print the heap's counters (on standard error)\n\n"
			       "exit status: main's return value; 70 when the program failed in the kernel (the message\n"
			       "says where: heap exhausted at an unchecked allocation, a loop past the verifier's budget, an\n"
			       "index out of bounds); 1 bad usage, 2 cannot load, 4 permission denied\n");
			return EXIT_OK;
		} else if (argv[i][0] != '-' && !object)
			object = argv[i];
		else
			return fail(EXIT_USAGE, "run: unexpected '%s' (see dm run --help)", argv[i]);
	}
	if (!object)
		return fail(EXIT_USAGE, "run: which program? give an object made by dm port (see dm run --help)");
	libbpf_set_print(quiet_libbpf);
	obj = bpf_object__open_file(object, NULL);
	if (!obj || !bpf_object__find_program_by_name(obj, "dm_port_run")) {
		bpf_object__close(obj);
		return fail(EXIT_OPEN, "run: %s: %s", object, obj ? "not a program made by dm port (no dm_port_run)"
								 : strerror(errno));
	}
	err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		return fail(err == -EPERM ? EXIT_PERMISSION : EXIT_OPEN, "run: cannot load %s: %s%s", object,
			    strerror(-err), err == -EPERM ? " (needs root or CAP_BPF)" : " (dm port shows why)");
	}
	source = bpf_object__find_map_by_name(obj, ".rodata.dm_port"); /* the program's file name */
	name = source ? bpf_map__initial_value(source, &(size_t){ 0 }) : NULL;
	if (name)
		out.source = name;
	err = dm_arena_setup(obj);
	ring = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "dm_port_output")), on_record, &out,
				NULL);
	if (err || !ring) {
		bpf_object__close(obj);
		return fail(EXIT_OPEN, "run: %s: %s", object, err ? "the heap could not be set up (dm_arena_init)"
								  : "no output ring buffer");
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(bpf_object__find_program_by_name(obj, "dm_port_run")), &opts);
	ring_buffer__consume(ring);
	fflush(stdout);
	if (err) {
		ring_buffer__free(ring);
		bpf_object__close(obj);
		return fail(EXIT_OPEN, "run: running %s: %s", object, strerror(errno));
	}
	if (opts.retval & DM_PORT_OUTPUT_LOST)
		fprintf(stderr, "dm run: %s: some output was lost: the ring buffer was full\n", object);
	if (stats) {
		fflush(stdout);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		heap_view_print(bpf_object__find_map_by_name(obj, "dm_arena"));
	}
	ring_buffer__free(ring);
	bpf_object__close(obj);
	return out.failed || (opts.retval & DM_PORT_OUTPUT_LOST) ? 70 : (int)(opts.retval & 0xff);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "port"))
		return port_command(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run_command(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "stat"))
		return stat_command(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "arena-init"))
		return arena_init_command(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "preload"))
		return dm_preload_command(argc - 2, argv + 2);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
		printf("usage: dm COMMAND ...\n\ncommands:\n"
		       "  stat PIN_PATH         show a pinned heap (dm stat --help)\n"
		       "  arena-init PIN_PATH   make a pinned arena heap ready (dm arena-init --help)\n"
		       "  port PROGRAM.c -o PROGRAM.bpf.o   port a C program that mallocs to BPF (dm port --help)\n"
		       "  run PROGRAM.bpf.o     run a ported program in the kernel (dm run --help)\n"
		       "  preload -- COMMAND    run a command on the heap as its malloc (dm preload --help)\n");
		return EXIT_OK;
	}
	return fail(EXIT_USAGE, argc < 2 ? "which command? (dm --help lists them)" : "unknown command '%s' (dm --help)",
		    argv[1]);
}
