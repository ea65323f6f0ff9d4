/* SPDX-License-Identifier: MIT */
/* The one userspace reader of a heap's memory: user/heap_reader.h says what each function does. Built with the
 * default configuration: the control block's counters and the block headers sit at the same place whatever the pool
 * size and policy (the control block says which, and where the blocks start and end), so one reader serves every
 * heap; the native heap this translation unit would define goes unused. */
#include "user/heap_reader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static enum heap_reader_result refuse(struct heap_reader *r, enum heap_reader_result result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum heap_reader_result refuse(struct heap_reader *r, enum heap_reader_result result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return result;
}

/* ------------------------------------------------------------------ arenas */

long heap_reader_arena_offset(__u64 addr, size_t bytes)
{
	__u32 low = (__u32)addr;

	if (low >= DM_ARENA_HEAP_LOW || DM_ARENA_HEAP_LOW - low + sizeof(struct dm_control) > bytes)
		return -1;
	return (long)(DM_ARENA_HEAP_LOW - low);
}

size_t heap_reader_arena_bytes(const struct bpf_map *arena)
{
	return (size_t)bpf_map__max_entries(arena) * (size_t)sysconf(_SC_PAGESIZE);
}

const struct dm_control *heap_reader_arena(const struct bpf_map *map)
{
	__u64 addr = bpf_map__map_extra(map);
	long at = heap_reader_arena_offset(addr, heap_reader_arena_bytes(map));

	return bpf_map__type(map) == BPF_MAP_TYPE_ARENA && at >= 0 ? (const void *)(uintptr_t)(addr + (__u64)at) : NULL;
}

int heap_reader_arena_room(const char *name, __u64 addr, size_t bytes, size_t globals, char *error, size_t size)
{
	long room = heap_reader_arena_offset(addr, bytes);

	if (room < 0) {
		snprintf(error, size, "%s: its arena (%zu bytes at 0x%llx) has no heap %u bytes into its 4 GiB window",
			 name, bytes, (unsigned long long)addr, DM_ARENA_HEAP_LOW);
		return -EINVAL;
	}
	if (globals > (size_t)room) {
		snprintf(error, size,
			 "%s: the program's __arena globals (%zu bytes) do not fit the %ld bytes DM_ARENA_GLOBALS "
			 "leaves "
			 "them in the arena: build it with a larger DM_ARENA_GLOBALS",
			 name, globals, room);
		return -E2BIG;
	}
	return 0;
}

int dm_arena_setup(struct bpf_object *obj)
{
	struct bpf_program *init = bpf_object__find_program_by_name(obj, "dm_arena_init");
	struct bpf_map *arena = bpf_object__find_map_by_name(obj, "dm_arena");
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	size_t globals = 0;
	char error[320];
	int err;

	if (!init || !arena)
		return 0;
	bpf_map__initial_value(arena, &globals);
	err = heap_reader_arena_room(bpf_object__name(obj), bpf_map__map_extra(arena), heap_reader_arena_bytes(arena),
				     globals, error, sizeof(error));
	if (err) {
		fprintf(stderr, "%s\n", error);
		return err;
	}
	if (bpf_prog_test_run_opts(bpf_program__fd(init), &opts))
		return -errno;
	return (int)opts.retval;
}

struct dm_cache_sums heap_reader_cache_sums(int fd, __u32 generation, int cpu)
{
	int cpus = libbpf_num_possible_cpus();
	struct dm_cache *caches = fd >= 0 && cpus > 0 ? calloc((size_t)cpus, sizeof(*caches)) : NULL;
	struct dm_cache_sums sums = { .generation = generation };
	__u32 zero = 0;

	if (caches && !bpf_map_lookup_elem(fd, &zero, caches))
		for (int c = 0; c < cpus; c++) {
			if ((cpu >= 0 && c != cpu) || caches[c].generation != generation)
				continue;
			sums.blocks += caches[c].blocks, sums.bytes += caches[c].bytes;
			sums.hits += caches[c].hits - caches[c].refilled;
			sums.parks += caches[c].parks, sums.returned += caches[c].returned;
		}
	free(caches);
	return sums;
}

/* ------------------------------------------------------------------ open */

/* An arena heap (DM_HEAP_ARENA): the map dm_arena, read where its programs see it (its map_extra address). A pin is
 * mapped read-only by the reader; a loaded object's arena is mapped there by libbpf already. */
static enum heap_reader_result open_arena(struct heap_reader *r, const struct bpf_map_info *info, int map_it)
{
	void *at;
	int rw;

	if (strcmp(info->name, "dm_arena") || !info->map_extra)
		return refuse(r, HEAP_READ_NOT_A_HEAP,
			      "%s: not a dm heap: arena '%s'%s, expected 'dm_arena' at a fixed "
			      "address",
			      r->path, info->name, info->map_extra ? "" : " without a fixed address");
	r->arena = 1;
	r->copies = 1;
	r->arena_size = (size_t)info->max_entries * (size_t)sysconf(_SC_PAGESIZE);
	r->heap_offset = heap_reader_arena_offset(info->map_extra, r->arena_size);
	if (r->heap_offset < 0)
		return refuse(r, HEAP_READ_NOT_A_HEAP,
			      "%s: not a dm heap: its arena (%zu bytes at 0x%llx) does not reach "
			      "%u bytes into its 4 GiB window, where the heap starts",
			      r->path, r->arena_size, (unsigned long long)info->map_extra, DM_ARENA_HEAP_LOW);
	r->stride = r->arena_size;
	r->values = calloc(1, r->stride);
	if (!r->values)
		return refuse(r, HEAP_READ_NO_MEMORY, "out of memory reading %s (%zu bytes)", r->path, r->arena_size);
	if (!map_it) {
		r->arena_base = (const void *)(uintptr_t)info->map_extra;
		return HEAP_READ_OK;
	}
	/* The kernel maps an arena only through a descriptor that may write it (it may fault pages in); the mapping
	 * itself stays read-only. */
	rw = bpf_obj_get(r->path);
	if (rw >= 0) {
		close(r->fd);
		r->fd = rw;
	}
	at = mmap((void *)(unsigned long)info->map_extra, r->arena_size, PROT_READ, MAP_SHARED, r->fd, 0);
	if (at == MAP_FAILED || at != (void *)(unsigned long)info->map_extra) {
		if (at != MAP_FAILED)
			munmap(at, r->arena_size);
		return refuse(r, HEAP_READ_KERNEL, "%s: cannot map the arena (%zu bytes at 0x%llx): %s", r->path,
			      r->arena_size, (unsigned long long)info->map_extra,
			      at == MAP_FAILED ? strerror(errno) : "moved");
	}
	r->arena_base = at;
	r->mapped = 1;
	return HEAP_READ_OK;
}

/* The per-CPU map dm_cache pinned beside the heap (bpftool pinmaps, DM_PIN): the caches' counters. -1 when there is
 * none: allocations and frees are then the heap's own only. */
static int open_pinned_caches(const char *heap_path)
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

/* A shared or per-CPU heap: a one-entry (PERCPU_)ARRAY named dm_heap whose value type is struct dm_heap. */
static enum heap_reader_result open_array(struct heap_reader *r, const struct bpf_map_info *info)
{
	struct btf *btf;
	int described;

	if (info->type != BPF_MAP_TYPE_ARRAY && info->type != BPF_MAP_TYPE_PERCPU_ARRAY)
		return refuse(r, HEAP_READ_NOT_A_HEAP,
			      "%s: not a dm heap: map type %u, expected ARRAY, PERCPU_ARRAY or "
			      "ARENA",
			      r->path, info->type);
	if (strcmp(info->name, "dm_heap") || info->max_entries != 1 || info->key_size != 4)
		return refuse(r, HEAP_READ_NOT_A_HEAP,
			      "%s: not a dm heap: map '%s' with %u entries of %u-byte keys, "
			      "expected 'dm_heap' with 1",
			      r->path, info->name, info->max_entries, info->key_size);
	btf = info->btf_id ? btf__load_from_kernel_by_id(info->btf_id) : NULL;
	if (!btf && info->btf_id && errno == EPERM)
		return refuse(r, HEAP_READ_PERMISSION,
			      "%s: permission denied: reading a map's type information (BTF) "
			      "needs root or CAP_SYS_ADMIN",
			      r->path);
	described = btf && !strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, info->btf_value_type_id)->name_off),
				   "dm_heap");
	btf__free(btf);
	if (!described)
		return refuse(r, HEAP_READ_NOT_A_HEAP, "%s: not a dm heap: its BTF does not describe struct dm_heap",
			      r->path);
	if (info->value_size < sizeof(struct dm_control))
		return refuse(r, HEAP_READ_NOT_A_HEAP, "%s: not a dm heap: value of %u bytes", r->path,
			      info->value_size);
	r->percpu = info->type == BPF_MAP_TYPE_PERCPU_ARRAY;
	r->copies = r->percpu ? libbpf_num_possible_cpus() : 1;
	r->value_size = info->value_size;
	r->stride = (info->value_size + 7) & ~(size_t)7;
	r->values = calloc((size_t)r->copies, r->stride);
	if (!r->values)
		return refuse(r, HEAP_READ_NO_MEMORY, "out of memory reading %s (%u bytes)", r->path, info->value_size);
	return HEAP_READ_OK;
}

static enum heap_reader_result open_map(struct heap_reader *r, int fd, const char *path, int pinned)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	*r = (struct heap_reader){ .path = path, .fd = fd, .cache_fd = -1 };
	if (bpf_map_get_info_by_fd(fd, &info, &len))
		return refuse(r, HEAP_READ_NOT_A_HEAP, "%s: cannot read the map's description: %s", path,
			      strerror(errno));
	snprintf(r->name, sizeof(r->name), "%s", info.name);
	if (pinned)
		r->cache_fd = open_pinned_caches(path);
	return info.type == BPF_MAP_TYPE_ARENA ? open_arena(r, &info, pinned) : open_array(r, &info);
}

enum heap_reader_result heap_reader_open_fd(struct heap_reader *r, int fd, const char *path)
{
	return open_map(r, fd, path, 1);
}

enum heap_reader_result heap_reader_open_object(struct heap_reader *r, struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "dm_arena"), *caches;
	enum heap_reader_result result;
	int fd;

	if (!map)
		map = bpf_object__find_map_by_name(obj, "dm_heap");
	fd = map ? dup(bpf_map__fd(map)) : -1;
	if (fd < 0) {
		*r = (struct heap_reader){ .path = bpf_object__name(obj), .fd = -1, .cache_fd = -1 };
		return refuse(r, HEAP_READ_NOT_A_HEAP, "%s: no heap: neither a dm_arena nor a loaded dm_heap map",
			      bpf_object__name(obj));
	}
	result = open_map(r, fd, bpf_object__name(obj), 0);
	caches = bpf_object__find_map_by_name(obj, "dm_cache");
	if (!result && caches)
		r->cache_fd = dup(bpf_map__fd(caches));
	return result;
}

void heap_reader_close(struct heap_reader *r)
{
	free(r->values);
	if (r->mapped)
		munmap((void *)r->arena_base, r->arena_size);
	if (r->fd >= 0)
		close(r->fd);
	if (r->cache_fd >= 0)
		close(r->cache_fd);
	r->values = NULL, r->mapped = 0, r->fd = -1, r->cache_fd = -1;
}

/* ------------------------------------------------------------------ snapshot */

/* Pages of an arena that dm_arena_init has not allocated fault in as zeros (a heap not used yet), or raise SIGSEGV
 * when the kernel has no page to give: the heap is then shown as not used. */
static sigjmp_buf arena_fault;
static void on_arena_fault(int sig)
{
	siglongjmp(arena_fault, sig);
}

static enum heap_reader_result snapshot_arena(struct heap_reader *r)
{
	struct sigaction fault = { .sa_handler = on_arena_fault }, old;
	const struct dm_control *ctl = (const void *)(r->arena_base + r->heap_offset);
	size_t room = r->arena_size - (size_t)r->heap_offset;
	int faulted;

	sigaction(SIGSEGV, &fault, &old);
	faulted = sigsetjmp(arena_fault, 1);
	if (!faulted) {
		/* its own size first: copy the heap, not the whole arena */
		r->value_size = ctl->magic == DM_MAGIC && (size_t)ctl->pool_size + ctl->guard <= room
					? ctl->pool_size + ctl->guard
					: (__u32)sizeof(struct dm_control);
		memcpy(r->values, ctl, r->value_size);
	}
	sigaction(SIGSEGV, &old, NULL);
	if (faulted)
		memset(r->values, 0, r->stride); /* no pages yet: shown as not used, like a zeroed map */
	return HEAP_READ_OK;
}

enum heap_reader_result heap_reader_snapshot(struct heap_reader *r)
{
	__u32 zero = 0;

	if (r->arena)
		return snapshot_arena(r);
	if (bpf_map_lookup_elem(r->fd, &zero, r->values))
		return refuse(r, errno == EACCES || errno == EPERM ? HEAP_READ_PERMISSION : HEAP_READ_KERNEL,
			      "%s: cannot read the map: %s", r->path, strerror(errno));
	return HEAP_READ_OK;
}

/* ------------------------------------------------------------------ walk */

static void note_free_block(struct heap_walk *w, unsigned at, unsigned size)
{
	int i = 4;

	if (size <= w->largest_size[4])
		return;
	for (; i > 0 && size > w->largest_size[i - 1]; i--) {
		w->largest_size[i] = w->largest_size[i - 1];
		w->largest_at[i] = w->largest_at[i - 1];
	}
	w->largest_size[i] = size;
	w->largest_at[i] = at;
}

enum heap_reader_result heap_reader_walk(const struct heap_reader *r, int copy, struct heap_walk *w,
					 unsigned char *used)
{
	const unsigned char *value = r->values + (size_t)copy * r->stride;
	const struct dm_control *ctl = (const void *)value;
	struct dm_stats *s = &w->stats;
	struct dm_cache_sums cached;
	unsigned align = ctl->align, min_block, off;

	memset(w, 0, sizeof(*w));
	w->ctl = ctl;
	if (used)
		memset(used, 0, r->stride);
	if (ctl->magic == 0)
		return HEAP_READ_OK; /* never used: all zero */
	if (!heap_reader_control_valid(ctl) || ctl->pool_size + ctl->guard != r->value_size) {
		snprintf(w->error, sizeof(w->error), "control block: bad header (pool %u + guard %u vs value %u bytes)",
			 ctl->pool_size, ctl->guard, r->value_size);
		return HEAP_READ_CORRUPT;
	}
	min_block = (DM_HDR + 12 + align - 1) & ~(align - 1);
	for (off = ctl->first; off < ctl->sentinel;) {
		dm_u32 word0, check, size;

		memcpy(&word0, value + off, 4);
		memcpy(&check, value + off + 4, 4);
		size = word0 & ~DM_FLAGS;
		if (check != dm_check_word(off, word0, ctl->generation) || size < min_block || size % align ||
		    size > ctl->sentinel - off) {
			snprintf(w->error, sizeof(w->error), "block at offset %u: bad header", off);
			return HEAP_READ_CORRUPT;
		}
		if (word0 & DM_FREE) {
			s->free_blocks++;
			s->free += size - DM_HDR;
			s->largest_free = size - DM_HDR > s->largest_free ? size - DM_HDR : s->largest_free;
			note_free_block(w, off, size - DM_HDR);
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
	/* The heap's counters, and the caches' own allocations and frees (which never reach the heap's), as
	 * dm_stats_into counts them; every CPU's caches serve a shared or arena heap, CPU i's serve per-CPU heap i. */
	cached = heap_reader_cache_sums(r->cache_fd, ctl->generation, r->percpu ? copy : -1);
	w->used = 1;
	heap_reader_control_counters(ctl, s);
	s->allocated -= s->cached_bytes - DM_HDR * s->cached_blocks;
	s->allocations += cached.hits;
	s->frees += cached.parks - cached.returned;
	return HEAP_READ_OK;
}

int heap_reader_control_valid(const struct dm_control *ctl)
{
	return ctl->magic == DM_MAGIC && (ctl->align == 8 || ctl->align == 16) && ctl->pool_size >= 4096 &&
	       !(ctl->pool_size & (ctl->pool_size - 1)) &&
	       ctl->first >= sizeof(struct dm_control) - sizeof(ctl->heads) && ctl->sentinel < ctl->pool_size &&
	       ctl->first < ctl->sentinel;
}

void heap_reader_control_counters(const struct dm_control *ctl, struct dm_stats *s)
{
	s->capacity = ctl->sentinel - ctl->first - DM_HDR;
	s->allocated = ctl->c.allocated;
	s->peak_allocated = ctl->c.peak_allocated;
	s->allocations = ctl->c.allocations;
	s->frees = ctl->c.frees;
	s->failed_allocations = ctl->c.failed_allocations;
	s->invalid_frees = ctl->c.invalid_frees + ctl->lockless_invalid_frees;
	s->corruptions = ctl->c.corruptions + ctl->lockless_corruptions;
	s->lock_failures = ctl->lock_failures;
}

/* ------------------------------------------------------------------ printing */

const char *heap_reader_policy(const struct dm_control *ctl)
{
	return ctl->policy == DM_POLICY_FIRST_FIT ? "first-fit" : "segregated";
}

int heap_reader_print_object(FILE *out, struct bpf_object *obj)
{
	struct heap_reader r;
	struct heap_walk w;
	int status = heap_reader_open_object(&r, obj), damaged = 0;

	if (!status)
		status = heap_reader_snapshot(&r);
	if (status) {
		fprintf(stderr, "%s\n", r.error);
		heap_reader_close(&r);
		return -1;
	}
	fprintf(out, "%-6s", "heap");
	dm_stats_print_titles(out);
	fputc('\n', out);
	for (int i = 0; i < r.copies; i++) {
		char label[16];

		snprintf(label, sizeof(label), r.percpu ? "cpu%d" : "all", i);
		fprintf(out, "%-6s", label);
		if (heap_reader_walk(&r, i, &w, NULL))
			fprintf(out, " %s", w.error), damaged = 1;
		else if (!w.used)
			fprintf(out, " (not used yet)");
		else
			dm_stats_print_values(out, &w.stats);
		fputc('\n', out);
	}
	heap_reader_close(&r);
	return damaged ? -1 : 0;
}
