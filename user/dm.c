/* SPDX-License-Identifier: MIT */
/*
 * dm: the dynamic_memory command-line tool.
 *
 *   dm stat PIN_PATH [--json | --layout | --prometheus [ADDR:]PORT] [--watch SECONDS]
 *   dm stat --pid PID | STATS_FILE [--json | --prometheus [ADDR:]PORT] [--watch SECONDS]
 *   dm preload [--lib PATH] -- COMMAND ARGS...
 *   dm arena-init PIN_PATH
 *   dm port PROGRAM.c -o PROGRAM.bpf.o [--pool BYTES] [--keep DIR]
 *   dm run [--stats] PROGRAM.bpf.o [ARGUMENT...]
 *
 * Reads a pinned heap map (dm_heap: shared or per-CPU; dm_arena: arena heap, through a read-only mapping) without
 * changing it, validating every offset it follows, and shows its state. Every command checks its input files before
 * doing any work and says in one line what a file is and what was expected; exit statuses: EXIT_STATUSES below.
 */
#include "user/heap_view.h" /* the control block layout, the header check, arena setup; the native heap goes unused */
#include "modify/port_include/dm_port_records.h"
#include "user/preload_stats.h" /* processes on libdynamic_memory.so: user/preload_stats.c */

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h> /* __fpurge: dm run discards buffered output as an aborting program does */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

/* One table of exit statuses for every command: dm --help prints it, each command's --help the rows it can return.
 * dm port's front end (modify/port.py) returns 1 and 2 with these meanings. */
#define EXIT_STATUSES(X)                                                                                              \
	X(EXIT_OK, 0, "done (dm run: the program's own exit status, main's return value)")                           \
	X(EXIT_UNPORTABLE, 1, "the C program cannot be ported: a construct BPF cannot run, a compile error, no main")  \
	X(EXIT_USAGE, 2, "bad usage: an unknown option, a missing or malformed argument")                             \
	X(EXIT_BAD_INPUT, 3, "the input is not what the command takes: missing, a directory, empty, not C, not an ELF " \
			     "object, not made by dm port, truncated, not a pinned map or program, not a dm heap")      \
	X(EXIT_PERMISSION, 4, "permission denied: a file the user may not read or write, or BPF without root or CAP_BPF") \
	X(EXIT_CORRUPT, 5, "the heap is corrupt (what and where is printed)")                                          \
	X(EXIT_KERNEL, 6, "the kernel refused: the verifier rejects the object, the arena's pages could not be had")    \
	X(EXIT_INTERNAL, 7, "internal error: dm port's front end failed unexpectedly, python3 missing, out of memory")  \
	X(EXIT_PROGRAM_FAILED, 70, "the ported program failed in the kernel: heap exhausted at an unchecked "          \
				   "allocation, a loop past the verifier's budget, an index out of bounds")

#define EXIT_ENUM(name, code, meaning) name = code,
enum { EXIT_STATUSES(EXIT_ENUM) };
#undef EXIT_ENUM

/* Prints the rows of the exit status table for the given statuses (all of them: NULL), ended by -1. */
static void print_exit_statuses(const int *statuses)
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

struct heap_map {
	const char *path;
	char name[BPF_OBJ_NAME_LEN];
	int fd, percpu, copies;
	__u32 value_size;
	size_t stride;
	unsigned char *values; /* copies x stride bytes: one heap per CPU for a per-CPU map */
	const unsigned char *arena; /* arena heap: the arena, mapped read-only at its own address */
	size_t arena_size;
	long heap_offset; /* arena heap: where the heap starts in the arena (after room for the program's globals) */
	int process; /* a process on libdynamic_memory.so: its stats file, read into info and stats */
	int cache_fd; /* the front-end caches (map dm_cache) pinned beside the heap, or -1 */
	struct dm_preload_info info;
	struct dm_stats stats;
};

/* What a walk of one heap found. */
struct heap_state {
	const struct dm_control *ctl;
	unsigned long long free, largest_free, free_blocks, used_blocks;
	unsigned long long allocated;                    /* usable bytes held by the program (parked blocks excluded) */
	unsigned long long cached_blocks, cached_bytes; /* blocks parked in the front-end caches: used to the heap */
	unsigned long long hits, parks, returned;       /* the caches' own allocations and frees (struct dm_cache) */
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

/* ------------------------------------------------------------------ input checks, shared by every command */

/* What a path that exists is, for messages. */
static const char *file_kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return st->st_size ? "a regular file" : "an empty regular file";
	return S_ISDIR(st->st_mode) ? "a directory" : S_ISFIFO(st->st_mode) ? "a FIFO" : S_ISSOCK(st->st_mode) ? "a socket"
	       : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? "a device" : "a special file";
}

/* The path exists and is not a directory. */
static int check_exists(const char *path, const char *expected, struct stat *st)
{
	if (stat(path, st)) {
		if (errno == EACCES)
			return fail(EXIT_PERMISSION, "%s: permission denied: uid %u may not search a directory on its path", path,
				    geteuid());
		return fail(EXIT_BAD_INPUT, "%s: %s, expected %s", path,
			    errno == ENOENT || errno == ENOTDIR ? "no such file" : strerror(errno), expected);
	}
	if (S_ISDIR(st->st_mode))
		return fail(EXIT_BAD_INPUT, "%s: a directory, expected %s", path, expected);
	return EXIT_OK;
}

static int permission_denied(const char *path, const struct stat *st, const char *what)
{
	return fail(EXIT_PERMISSION, "%s: permission denied: mode %04o, owner uid %u: uid %u may not %s it", path,
		    st->st_mode & 07777, st->st_uid, geteuid(), what);
}

/* An input file a command reads (a C program, a BPF object): a readable, non-empty regular file. Its first bytes go
 * to head (size bytes at most, *got of them read). */
static int read_input_head(const char *path, const char *expected, struct stat *st, unsigned char *head, size_t size,
			   size_t *got)
{
	int status = check_exists(path, expected, st), fd;
	ssize_t n;

	if (status)
		return status;
	if (!S_ISREG(st->st_mode))
		return fail(EXIT_BAD_INPUT, "%s: %s, expected %s", path, file_kind(st), expected);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno == EACCES ? permission_denied(path, st, "read")
				       : fail(EXIT_BAD_INPUT, "%s: cannot read: %s", path, strerror(errno));
	n = read(fd, head, size);
	close(fd);
	if (n < 0)
		return fail(EXIT_BAD_INPUT, "%s: cannot read: %s", path, strerror(errno));
	if (n == 0)
		return fail(EXIT_BAD_INPUT, "%s: empty (0 bytes), expected %s", path, expected);
	*got = (size_t)n;
	return EXIT_OK;
}

/* What a pinned object is: /proc/self/fdinfo says map_type for maps, prog_type for programs, link_type for links. */
static const char *pinned_kind(int fd)
{
	static const char *const kinds[][2] = { { "map_type:", "map" }, { "prog_type:", "program" }, { "link_type:", "link" } };
	const char *kind = "BPF object";
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (!strncmp(line, kinds[i][0], strlen(kinds[i][0])))
				kind = kinds[i][1];
	if (f)
		fclose(f);
	return kind;
}

/* Opens a pinned BPF object of the given kind ("map": read-only, "program"). Permission is blamed on root only when
 * the kernel refused BPF itself (EPERM), not when the file's mode did (EACCES). */
static int open_pinned(const char *path, const char *kind, const char *expected, int *fd)
{
	LIBBPF_OPTS(bpf_obj_get_opts, read_only, .file_flags = BPF_F_RDONLY);
	struct statfs fs;
	struct stat st;
	int status = check_exists(path, expected, &st);

	if (status)
		return status;
	/* bpf_obj_get answers EPERM for a path outside bpffs: tell that apart from a real permission problem */
	if (statfs(path, &fs) || fs.f_type != BPF_FS_MAGIC)
		return fail(EXIT_BAD_INPUT, "%s: %s, not a pinned BPF object (not on a BPF filesystem such as /sys/fs/bpf); "
			    "expected %s", path, file_kind(&st), expected);
	*fd = strcmp(kind, "map") ? bpf_obj_get(path) : bpf_obj_get_opts(path, &read_only);
	if (*fd < 0) {
		if (errno == EACCES)
			return permission_denied(path, &st, "open");
		if (errno == EPERM)
			return fail(EXIT_PERMISSION, "%s: permission denied: %s", path,
				    geteuid() ? "opening a pinned BPF object needs root or CAP_BPF"
					      : "the kernel refuses BPF to root (lockdown or a security module)");
		return fail(EXIT_BAD_INPUT, "%s: not a pinned BPF object: %s; expected %s", path, strerror(errno), expected);
	}
	if (strcmp(pinned_kind(*fd), kind)) {
		fail(EXIT_BAD_INPUT, "%s: a pinned %s, expected %s", path, pinned_kind(*fd), expected);
		close(*fd);
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

/* libbpf's message for one of its error codes (its own, from 4000, or an errno). */
static const char *libbpf_error(int err)
{
	static char text[128];

	libbpf_strerror(err, text, sizeof(text));
	return text;
}

/* ------------------------------------------------------------------ dm stat */

/* An arena heap (DM_HEAP_ARENA): the map dm_arena, mapped where its programs see it (its map_extra address). */
static int open_arena(const struct bpf_map_info *info, struct heap_map *m)
{
	void *at;
	int rw;

	if (strcmp(info->name, "dm_arena") || !info->map_extra)
		return fail(EXIT_BAD_INPUT, "%s: not a dm heap: arena '%s'%s, expected 'dm_arena' at a fixed address",
			    m->path, info->name, info->map_extra ? "" : " without a fixed address");
	snprintf(m->name, sizeof(m->name), "%s", info->name);
	m->copies = 1;
	m->arena_size = (size_t)info->max_entries * (size_t)sysconf(_SC_PAGESIZE);
	m->heap_offset = heap_view_arena_offset(info->map_extra, m->arena_size);
	if (m->heap_offset < 0)
		return fail(EXIT_BAD_INPUT, "%s: not a dm heap: its arena (%zu bytes at 0x%llx) does not reach %u bytes into "
				"its 4 GiB window, where the heap starts", m->path, m->arena_size,
			    (unsigned long long)info->map_extra, DM_ARENA_HEAP_LOW);
	/* The kernel maps an arena only through a descriptor that may write it (it may fault pages in); the mapping
	 * itself stays read-only. */
	rw = bpf_obj_get(m->path);
	if (rw >= 0) {
		close(m->fd);
		m->fd = rw;
	}
	at = mmap((void *)(unsigned long)info->map_extra, m->arena_size, PROT_READ, MAP_SHARED, m->fd, 0);
	if (at == MAP_FAILED || at != (void *)(unsigned long)info->map_extra)
		return fail(EXIT_KERNEL, "%s: cannot map the arena (%zu bytes at 0x%llx): %s", m->path, m->arena_size,
			    (unsigned long long)info->map_extra, at == MAP_FAILED ? strerror(errno) : "moved");
	m->arena = at;
	m->stride = m->arena_size;
	m->values = calloc(1, m->stride);
	if (!m->values)
		return fail(EXIT_INTERNAL, "out of memory reading %s (%zu bytes)", m->path, m->arena_size);
	return EXIT_OK;
}

/* Opens and checks the pinned map: a one-entry (PERCPU_)ARRAY named dm_heap whose value type is struct dm_heap, or
 * an arena heap. */
/* The per-CPU map dm_cache pinned beside the heap (bpftool pinmaps, DM_PIN): the caches' counters. -1 when there is
 * none: allocations and frees are then the heap's own only. */
static int open_caches(const char *heap_path)
{
	char path[PATH_MAX];
	const char *slash = strrchr(heap_path, '/');
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd;

	snprintf(path, sizeof(path), "%.*sdm_cache", slash ? (int)(slash - heap_path + 1) : 0, heap_path);
	fd = bpf_obj_get(path);
	if (fd >= 0 && (bpf_map_get_info_by_fd(fd, &info, &len) || info.type != BPF_MAP_TYPE_PERCPU_ARRAY ||
			strcmp(info.name, "dm_cache") || info.value_size != sizeof(struct dm_cache))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Adds the caches' counters for heap copy `copy` (every CPU's cache serves a shared or arena heap; CPU i's serves
 * per-CPU heap i); caches of an older generation of the heap count for nothing. */
static void add_cache_counters(const struct heap_map *m, int copy, struct heap_state *s)
{
	struct dm_cache_sums cached = heap_view_cache_sums_fd(m->cache_fd, s->ctl->generation, m->percpu ? copy : -1);

	s->hits = cached.hits, s->parks = cached.parks, s->returned = cached.returned;
}

static int open_heap(const char *path, struct heap_map *m)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	struct btf *btf;
	int status;

	m->path = path;
	status = open_pinned(path, "map", "a pinned dm heap map (dm_heap or dm_arena)", &m->fd);
	if (status)
		return status;
	m->cache_fd = open_caches(path);
	if (bpf_map_get_info_by_fd(m->fd, &info, &len))
		return fail(EXIT_BAD_INPUT, "%s: cannot read the map's description: %s", path, strerror(errno));
	if (info.type == BPF_MAP_TYPE_ARENA)
		return open_arena(&info, m);
	if (info.type != BPF_MAP_TYPE_ARRAY && info.type != BPF_MAP_TYPE_PERCPU_ARRAY)
		return fail(EXIT_BAD_INPUT, "%s: not a dm heap: map type %u, expected ARRAY, PERCPU_ARRAY or ARENA", path,
			    info.type);
	if (strcmp(info.name, "dm_heap") || info.max_entries != 1 || info.key_size != 4)
		return fail(EXIT_BAD_INPUT, "%s: not a dm heap: map '%s' with %u entries of %u-byte keys, expected 'dm_heap' "
				"with 1", path, info.name, info.max_entries, info.key_size);
	btf = info.btf_id ? btf__load_from_kernel_by_id(info.btf_id) : NULL;
	if (!btf && info.btf_id && errno == EPERM)
		return fail(EXIT_PERMISSION, "%s: permission denied: reading a map's type information (BTF) needs root or "
			    "CAP_SYS_ADMIN", path);
	if (!btf || strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, info.btf_value_type_id)->name_off), "dm_heap")) {
		btf__free(btf);
		return fail(EXIT_BAD_INPUT, "%s: not a dm heap: its BTF does not describe struct dm_heap", path);
	}
	btf__free(btf);
	if (info.value_size < sizeof(struct dm_control))
		return fail(EXIT_BAD_INPUT, "%s: not a dm heap: value of %u bytes", path, info.value_size);
	snprintf(m->name, sizeof(m->name), "%s", info.name);
	m->percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
	m->copies = m->percpu ? libbpf_num_possible_cpus() : 1;
	m->value_size = info.value_size;
	m->stride = (info.value_size + 7) & ~(size_t)7;
	m->values = calloc((size_t)m->copies, m->stride);
	if (!m->values)
		return fail(EXIT_INTERNAL, "out of memory reading %s (%u bytes)", path, info.value_size);
	return EXIT_OK;
}

/* Pages of an arena that dm_arena_init has not allocated fault in as zeros (a heap not used yet), or raise SIGSEGV
 * when the kernel has no page to give: the heap is then shown as not used. */
static sigjmp_buf arena_fault;
static void on_arena_fault(int sig) { siglongjmp(arena_fault, sig); }

static int read_arena(struct heap_map *m)
{
	struct sigaction fault = { .sa_handler = on_arena_fault }, old;
	const struct dm_control *ctl = (const void *)(m->arena + m->heap_offset);
	size_t room = m->arena_size - (size_t)m->heap_offset;
	int faulted;

	sigaction(SIGSEGV, &fault, &old);
	faulted = sigsetjmp(arena_fault, 1);
	if (!faulted) {
		/* its own size first: copy the heap, not the whole arena */
		m->value_size = ctl->magic == DM_MAGIC && (size_t)ctl->pool_size + ctl->guard <= room
					? ctl->pool_size + ctl->guard
					: (__u32)sizeof(struct dm_control);
		memcpy(m->values, ctl, m->value_size);
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
		return fail(EXIT_BAD_INPUT, "%s", error);
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
		return fail(EXIT_INTERNAL, "out of memory reading %s", path);
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
				  .free_blocks = st->free_blocks, .used_blocks = st->used_blocks, .allocated = st->allocated,
				  .cached_blocks = st->cached_blocks, .cached_bytes = st->cached_bytes };
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
		return fail(errno == EACCES || errno == EPERM ? EXIT_PERMISSION : EXIT_KERNEL, "%s: cannot read the map: %s",
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
			dm_u64 tag;

			/* A block parked in a cache carries its tag at payload + 8 (dynamic_memory.h, dm_parked_tag). */
			memcpy(&tag, value + off + DM_HDR + 8, sizeof(tag));
			if (tag == dm_parked_tag(off)) {
				s->cached_blocks++;
				s->cached_bytes += size;
			} else {
				s->used_blocks++;
			}
			if (used)
				memset(used + off, 1, size);
		}
		off += size;
	}
	s->allocated = ctl->c.allocated - (s->cached_bytes - DM_HDR * s->cached_blocks);
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
	X(allocated, "bytes", "gauge", "Sum of usable sizes of live blocks", s->allocated)                                \
	X(free, "bytes", "gauge", "Sum of usable sizes of free blocks", s->free)                                           \
	X(peak_allocated, "bytes", "gauge", "Highest allocated ever", s->ctl->c.peak_allocated)                           \
	X(largest_free, "bytes", "gauge", "Largest free block (usable bytes)", s->largest_free)                          \
	X(used_blocks, "", "gauge", "Live blocks", s->used_blocks)                                                         \
	X(free_blocks, "", "gauge", "Free blocks", s->free_blocks)                                                         \
	X(allocations, "total", "counter", "Successful allocations", s->ctl->c.allocations + s->hits)                    \
	X(frees, "total", "counter", "Successful frees", s->ctl->c.frees + s->parks - s->returned)                         \
	X(failed_allocations, "total", "counter", "Allocations that returned NULL", s->ctl->c.failed_allocations)         \
	X(invalid_frees, "total", "counter", "Frees of pointers that were not live blocks", s->ctl->c.invalid_frees)      \
	X(corruptions, "total", "counter", "Damaged headers found", s->ctl->c.corruptions)                                \
	X(lock_failures, "total", "counter", "Lock give-ups (shared) or nested programs refused (per-CPU)", s->ctl->lock_failures) \
	X(cached_blocks, "", "gauge", "Blocks parked in the front-end caches for their next request", s->cached_blocks)    \
	X(cached_bytes, "bytes", "gauge", "Bytes of the parked blocks, headers included", s->cached_bytes)

static void print_table_row(const char *label, const struct heap_state *s)
{
	if (!s->ctl->magic) {
		printf("%-6s (not used yet)\n", label);
		return;
	}
	printf("%-6s %9u %9llu %9llu %9llu %9llu %6.3f %6llu/%-6llu %9llu %9llu %7llu %7llu %7llu %9llu %6llu\n", label,
	       s->ctl->sentinel - s->ctl->first - DM_HDR, s->allocated, s->free,
	       (unsigned long long)s->ctl->c.peak_allocated, s->largest_free, fragmentation(s), s->used_blocks,
	       s->free_blocks, (unsigned long long)s->ctl->c.allocations + s->hits,
	       (unsigned long long)s->ctl->c.frees + s->parks - s->returned,
	       (unsigned long long)s->ctl->c.failed_allocations, (unsigned long long)s->ctl->c.invalid_frees,
	       (unsigned long long)s->ctl->c.corruptions, (unsigned long long)s->ctl->lock_failures, s->cached_blocks);
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
	printf("%-6s %9s %9s %9s %9s %9s %6s %13s %9s %9s %7s %7s %7s %9s %6s\n", "heap", "capacity", "allocated", "free",
	       "peak", "largest", "frag", "used/free", "allocs", "frees", "failed", "invalid", "corrupt", "lockfail",
	       "cached");
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
		total.allocated += s[i].allocated, total.cached_blocks += s[i].cached_blocks;
		total.hits += s[i].hits, total.parks += s[i].parks, total.returned += s[i].returned;
		total.cached_bytes += s[i].cached_bytes;
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

/* Reads the heap and walks every copy of it; a damaged one is reported on `errors` ("dm: PATH[, cpu N]: what"). */
static int snapshot(struct heap_map *m, struct heap_state *states, unsigned char *used, FILE *errors)
{
	int status = read_heap(m), worst = EXIT_OK;

	for (int i = 0; !status && i < m->copies; i++) {
		unsigned char *map = used ? used + (size_t)i * m->stride : NULL;
		int walked;

		if (map)
			memset(map, 0, m->stride);
		walked = m->process ? process_state(m, &states[i])
				    : walk_heap(m, m->values + (size_t)i * m->stride, &states[i], map);
		if (!walked && !m->process)
			add_cache_counters(m, i, &states[i]);
		if (walked) {
			fprintf(errors, "dm: %s%s%.0d: %s\n", m->path, m->percpu ? ", cpu " : "", m->percpu ? i : 0,
				states[i].error);
			worst = walked;
		}
	}
	return status ? status : worst;
}

static void write_metrics(FILE *out, const struct heap_map *m, const struct heap_state *states)
{
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
}

/* The exporter: libmicrohttpd's one polling thread answers every connection in turn without blocking on any, so a
 * slow or silent client holds a connection slot until its timeout, never the others' scrapes. */
enum { SCRAPE_TIMEOUT_SECONDS = 10, SCRAPE_CONNECTIONS = 256 };

struct exporter {
	struct heap_map *m;
	struct heap_state *states;
};

/* Called once per request by the polling thread, so the heap snapshot needs no lock. */
static enum MHD_Result answer_scrape(void *context, struct MHD_Connection *connection, const char *url,
				     const char *method, const char *version, const char *upload_data,
				     size_t *upload_data_size, void **request)
{
	struct exporter *e = context;
	struct MHD_Response *response;
	unsigned status = MHD_HTTP_OK;
	enum MHD_Result queued;
	char *body = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&body, &size);

	(void)version, (void)upload_data, (void)upload_data_size, (void)request;
	if (!out)
		return MHD_NO; /* out of memory: close the connection */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		fprintf(out, "only GET /metrics is served\n");
	} else if (strcmp(url, "/metrics")) {
		status = MHD_HTTP_NOT_FOUND;
		fprintf(out, "only /metrics is served\n");
	} else if (snapshot(e->m, e->states, NULL, out)) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR; /* the body says what is wrong with the heap */
	} else {
		write_metrics(out, e->m, e->states);
	}
	fclose(out);
	response = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_MUST_FREE);
	if (!response) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? "text/plain; version=0.0.4" : "text/plain");
	queued = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return queued;
}

/* Serves /metrics on [ADDR:]PORT until SIGINT or SIGTERM. */
static int serve_prometheus(const char *listen_on, struct heap_map *m, struct heap_state *states)
{
	const char *colon = strrchr(listen_on, ':');
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct exporter exporter = { m, states };
	struct MHD_Daemon *daemon;
	char host[64] = "127.0.0.1", *end;
	long port = strtol(colon ? colon + 1 : listen_on, &end, 10);
	int one = 1, server, signal_number;
	sigset_t stop_signals;

	if (colon)
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_on), listen_on);
	if (*end || port <= 0 || port > 65535 || inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		return fail(EXIT_USAGE, "stat: --prometheus %s: expected [ADDR:]PORT, e.g. 9464 or 127.0.0.1:9464", listen_on);
	addr.sin_port = htons((unsigned short)port);
	server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (server < 0)
		return fail(EXIT_INTERNAL, "stat: cannot make a socket: %s", strerror(errno));
	setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(server, (struct sockaddr *)&addr, sizeof(addr)) || listen(server, SCRAPE_CONNECTIONS)) {
		int bind_errno = errno;

		close(server);
		return fail(bind_errno == EACCES ? EXIT_PERMISSION : EXIT_USAGE, "stat: cannot listen on %s:%ld: %s", host,
			    port, strerror(bind_errno));
	}
	/* the server's thread inherits the blocked signals: they reach sigwait below, not it */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, answer_scrape, &exporter,
				  MHD_OPTION_LISTEN_SOCKET, server,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SCRAPE_TIMEOUT_SECONDS,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)SCRAPE_CONNECTIONS, MHD_OPTION_END);
	if (!daemon) {
		close(server);
		return fail(EXIT_INTERNAL, "stat: libmicrohttpd cannot serve on %s:%ld", host, port);
	}
	fprintf(stderr, "dm: serving http://%s:%ld/metrics for %s\n", host, port, m->path);
	sigwait(&stop_signals, &signal_number);
	MHD_stop_daemon(daemon);
	close(server);
	return EXIT_OK;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig, stop = 1; }

static int stat_command(int argc, char **argv)
{
	const char *path = NULL, *listen_on = NULL;
	char pid_path[64];
	int json = 0, layout = 0, watch = 0, status;
	struct heap_map m = { .cache_fd = -1 };
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
			       "                   until interrupted; a damaged heap answers 500 with what is wrong\n"
			       "  --pid PID        instead of PIN_PATH: a process running on libdynamic_memory.so (its file\n"
			       "                   /dev/shm/dm-PID; give a DM_STATS=PATH file as PIN_PATH); no --layout\n");
			print_exit_statuses((const int[]){ EXIT_OK, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_PERMISSION, EXIT_CORRUPT,
							   EXIT_KERNEL, EXIT_INTERNAL, -1 });
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
		return fail(EXIT_INTERNAL, "out of memory reading %s", path);
	if (listen_on) {
		status = serve_prometheus(listen_on, &m, states);
	} else {
		/* No SA_RESTART: a signal must end sleep(), not resume it. */
		sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
		sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
		do {
			status = snapshot(&m, states, used, stderr);
			if (watch)
				printf("\033[H\033[2J");
			if (status == EXIT_OK && json) {
				show_json(&m, states);
			} else if (status == EXIT_OK && layout) {
				for (int i = 0; i < m.copies; i++) {
					char label[32];

					if (m.percpu)
						snprintf(label, sizeof(label), "cpu %d", i);
					else
						snprintf(label, sizeof(label), "%s", m.name);
					show_layout(&states[i], used + (size_t)i * m.stride, label);
				}
			} else if (status == EXIT_OK) {
				show_table(&m, states);
			}
			fflush(stdout);
			if (watch)
				sleep((unsigned)watch);
		} while (watch && !stop);
	}
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
	int fd, status;

	if (argc != 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		printf("usage: dm arena-init PIN_PATH\n\n"
		       "Runs the pinned program dm_arena_init of an arena heap (DM_HEAP_ARENA) once: it allocates the\n"
		       "arena's pages and formats the heap. Until then every allocation fails. Running it again is harmless.\n");
		print_exit_statuses((const int[]){ EXIT_OK, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_PERMISSION, EXIT_KERNEL, -1 });
		return argc == 1 ? EXIT_OK : EXIT_USAGE;
	}
	status = open_pinned(argv[0], "program", "the pinned program dm_arena_init of an arena heap", &fd);
	if (status)
		return status;
	if (bpf_prog_get_info_by_fd(fd, &info, &len) || info.type != BPF_PROG_TYPE_SYSCALL ||
	    strcmp(info.name, "dm_arena_init")) {
		close(fd);
		return fail(EXIT_BAD_INPUT, "%s: the pinned program '%s', expected dm_arena_init (a syscall program)",
			    argv[0], info.name);
	}
	if (bpf_prog_test_run_opts(fd, &opts))
		status = fail(errno == EPERM ? EXIT_PERMISSION : EXIT_KERNEL, "%s: the kernel would not run it: %s", argv[0],
			      strerror(errno));
	else if (opts.retval)
		status = fail(EXIT_KERNEL, "%s: dm_arena_init failed: %d (%s): the kernel would not give the arena's pages",
			      argv[0], (int)opts.retval, strerror(-(int)opts.retval));
	close(fd);
	if (status == EXIT_OK)
		printf("arena heap ready\n");
	return status;
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
		return fail(EXIT_INTERNAL, "port: %s, just written, cannot be opened: %s", object, libbpf_error(errno));
	libbpf_set_print(quiet_libbpf);
	err = bpf_object__load(obj);
	bpf_object__close(obj);
	if (err == -EPERM)
		return fail(EXIT_PERMISSION, "port: %s is written; checking that it loads needs root or CAP_BPF", object);
	if (err) {
		explain_rejection(log, program);
		return EXIT_KERNEL;
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
	return EXIT_OK; /* any name: the front end reads the file as C whatever its name (tests/port.bats) */
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
			return fail(EXIT_USAGE, "port: -o %s is the program itself: writing the object would destroy it",
				    object);
		return faccessat(AT_FDCWD, object, W_OK, AT_EACCESS) ? permission_denied(object, &out, "write") : EXIT_OK;
	}
	snprintf(path, sizeof(path), "%s", object);
	dir = dirname(path);
	if (stat(dir, &out) || !S_ISDIR(out.st_mode))
		return fail(EXIT_BAD_INPUT, "-o %s: no directory %s to write it in", object, dir);
	return faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) ? permission_denied(dir, &out, "write in") : EXIT_OK;
}

/* Whether a status is a row of EXIT_STATUSES: dm port passes its front end's statuses on only then. */
static int is_exit_status(int code)
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

static int port_command(int argc, char **argv)
{
	const char *script = getenv("DM_PORT_SCRIPT") ? getenv("DM_PORT_SCRIPT") : DM_PORT_SCRIPT;
	const char *program = NULL, *object = NULL;
	char **args;
	int status, n = 0;
	pid_t child;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: dm port PROGRAM.c -o PROGRAM.bpf.o [--pool BYTES] [--keep DIR]\n\n"
			       "Ports a plain C program (int main(void) or main(argc, argv); malloc & co; printf, fprintf,\n"
			       "puts, fputs, putchar, fputc, perror to stdout and stderr; scanf, getchar, fgets from stdin;\n"
			       "exit, abort, assert, strtol & co, atoi, rand/srand, <ctype.h>, errno, <string.h>: README's\n"
			       "subset) to a BPF object that `dm run` runs in the kernel, on the arena heap. Refused at the\n"
			       "use, with FILE:LINE: construct not supported in BPF: ...: recursion, floating point that\n"
			       "computes, file I/O, other libc functions, variable-length arrays, &variable, function\n"
			       "pointers, printf precision and %%p. A verifier rejection is shown with its source line.\n"
			       "  --pool BYTES  heap size, fixed at port time (a power of two, default 1048576)\n"
			       "  --keep DIR    keep the ported C source in DIR\n");
			print_exit_statuses((const int[]){ EXIT_OK, EXIT_UNPORTABLE, EXIT_USAGE, EXIT_BAD_INPUT,
							   EXIT_PERMISSION, EXIT_KERNEL, EXIT_INTERNAL, -1 });
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			object = argv[i + 1];
		else if (argv[i][0] != '-' && !program && !(i > 0 && takes_value(argv[i - 1])))
			program = argv[i];
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
	return WEXITSTATUS(status) ? WEXITSTATUS(status) : check_loads(object, program);
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
	if (got < SELFMAG || memcmp(elf.e_ident, ELFMAG, SELFMAG)) {
		if (length > 2 && !strcmp(object + length - 2, ".c"))
			return fail(EXIT_BAD_INPUT, "%s: C source, not a BPF object: port it first (dm port %s -o "
				    "PROGRAM.bpf.o)", object, object);
		return fail(EXIT_BAD_INPUT, "%s: not an ELF object (%llu bytes, not starting with \\177ELF); expected %s",
			    object, size, expected);
	}
	if (got < sizeof(elf))
		return fail(EXIT_BAD_INPUT, "%s: truncated: %llu bytes, less than an ELF header (%zu); expected %s", object,
			    size, sizeof(elf), expected);
	if (elf.e_ident[EI_CLASS] != ELFCLASS64 || elf.e_machine != EM_BPF)
		return fail(EXIT_BAD_INPUT, "%s: an ELF object for another machine (e_machine %u, BPF is %u); expected %s",
			    object, elf.e_machine, EM_BPF, expected);
	if (elf.e_shoff > size || (unsigned long long)elf.e_shnum * elf.e_shentsize > size - elf.e_shoff)
		return fail(EXIT_BAD_INPUT, "%s: truncated: %llu bytes, but its section headers end at byte %llu; "
			    "expected %s", object, size,
			    (unsigned long long)elf.e_shoff + (unsigned long long)elf.e_shnum * elf.e_shentsize, expected);
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
			return fail(EXIT_INTERNAL, "run: out of memory for standard input (%zu bytes read)", input_bytes);
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
	*context = (struct dm_port_context){ .arguments = (__u64)(uintptr_t)text, .arguments_bytes = bytes,
					     .input = (__u64)(uintptr_t)input, .input_bytes = input_bytes,
					     .argc = (__u32)argc };
	memory[0] = text;
	memory[1] = input;
	return EXIT_OK;
}

static int run_command(int argc, char **argv)
{
	const char *object = NULL;
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

	for (int i = 0; i < argc && !object; i++) {
		if (!strcmp(argv[i], "--stats"))
			stats = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
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
							   EXIT_PROGRAM_FAILED, -1 });
			return EXIT_OK;
		} else if (argv[i][0] != '-') {
			object = argv[i];
			object_at = i;
		} else
			return fail(EXIT_USAGE, "run: unexpected '%s' (see dm run --help)", argv[i]);
	}
	if (!object)
		return fail(EXIT_USAGE, "run: which program? give an object made by dm port (see dm run --help)");
	status = check_bpf_object(object);
	if (status)
		return status;
	libbpf_set_print(quiet_libbpf);
	obj = bpf_object__open_file(object, NULL);
	if (!obj)
		return fail(EXIT_BAD_INPUT, "%s: libbpf cannot open it: %s; expected a BPF object made by dm port", object,
			    libbpf_error(errno));
	if (missing_port_part(obj)) {
		fail(EXIT_BAD_INPUT, "%s: a BPF object without %s: not made by dm port (dm port PROGRAM.c -o OBJECT "
		     "makes one)", object, missing_port_part(obj));
		bpf_object__close(obj);
		return EXIT_BAD_INPUT;
	}
	err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		if (err == -EPERM)
			return fail(EXIT_PERMISSION, "%s: permission denied: loading a BPF program needs root or CAP_BPF",
				    object);
		return fail(EXIT_KERNEL, "%s: the kernel refuses to load it: %s (dm port shows the verifier's reason)",
			    object, libbpf_error(err));
	}
	source = bpf_object__find_map_by_name(obj, ".rodata.dm_port"); /* the program's file name */
	name = source ? bpf_map__initial_value(source, &(size_t){ 0 }) : NULL;
	if (name)
		out.source = name;
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
		return fail(EXIT_KERNEL, "%s: %s", object, err ? "the heap could not be set up (dm_arena_init failed)"
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
	if (stats) {
		fflush(stdout);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		heap_view_print(obj, bpf_object__find_map_by_name(obj, "dm_arena"));
	}
	ring_buffer__free(ring);
	bpf_object__close(obj);
	return out.failed || (opts.retval & DM_PORT_OUTPUT_LOST) ? EXIT_PROGRAM_FAILED : (int)(opts.retval & 0xff);
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
		       "  preload -- COMMAND    run a command on the heap as its malloc (dm preload --help)\n\n"
		       "Every command checks its input files first and names what a file is and what it expected.\n");
		print_exit_statuses(NULL);
		return EXIT_OK;
	}
	return fail(EXIT_USAGE, argc < 2 ? "which command? (dm --help lists them)" : "unknown command '%s' (dm --help)",
		    argv[1]);
}
