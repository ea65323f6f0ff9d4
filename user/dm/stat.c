/* SPDX-License-Identifier: MIT */
/*
 * dm stat: reads a pinned heap map (dm_heap: shared or per-CPU; dm_arena: arena heap, through a read-only mapping)
 * without changing it, validating every offset it follows, and shows its state: a table, JSON, the pool's layout, or
 * Prometheus metrics served on /metrics. A process on libdynamic_memory.so is read from its stats file instead.
 */
#include "user/heap_view.h" /* the control block layout, the header check, arena setup; the native heap goes unused */
#include "user/preload_stats.h" /* processes on libdynamic_memory.so: user/preload_stats.c */
#include "user/dm/dm.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

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

int stat_command(int argc, char **argv)
{
	static const struct dm_option options[] = { { "--json", NULL }, { "--layout", NULL }, { "--watch", "SECONDS" },
						    { "--prometheus", "[ADDR:]PORT" }, { "--pid", "PID" }, { NULL, NULL } };
	enum { JSON, LAYOUT, WATCH, PROMETHEUS, PID };
	const char *path = NULL, *listen_on = NULL, *value;
	char pid_path[64];
	int json = 0, layout = 0, watch = 0, status;
	struct heap_map m = { .cache_fd = -1 };
	struct heap_state *states;
	unsigned char *used = NULL; /* --layout: one byte map per heap, filled by the walk */

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
				return fail(EXIT_USAGE, "stat: --watch %s: expected a number of seconds above 0", value);
			break;
		case PROMETHEUS:
			listen_on = value;
			break;
		case PID:
			if (atoi(value) <= 0)
				return fail(EXIT_USAGE, "stat: --pid %s: expected a process id above 0", value);
			if (path)
				return fail(EXIT_USAGE, "stat: give PIN_PATH or --pid PID, not both (see dm stat --help)");
			path = pid_path, snprintf(pid_path, sizeof(pid_path), "/dev/shm/dm-%d", atoi(value));
			break;
		case ARGUMENT_OPERAND:
			if (path)
				return path == pid_path ? fail(EXIT_USAGE, "stat: give PIN_PATH or --pid PID, not both (see dm "
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
