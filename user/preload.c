/* SPDX-License-Identifier: MIT */
/*
 * libdynamic_memory.so: the native heap of dynamic_memory.h as the process's malloc.
 *
 *   LD_PRELOAD=libdynamic_memory.so DM_POOL=1G COMMAND ARGS...
 *
 * Every function of the C allocation interface is served from one heap in an mmapped region (MAP_NORESERVE: pages
 * the program never reaches cost nothing). The heap is built for the largest native pool (2 GiB); DM_POOL is
 * enforced by a fence, one block allocated at start-up over everything beyond the pool, whose pages are never
 * touched. Settings, read once, at the first allocation:
 *   DM_POOL=SIZE            bytes for the program (K, M, G suffixes; default 512M, at most 2G less one page)
 *   DM_FALLBACK=libc        what the heap cannot serve goes to glibc's malloc (counted) instead of failing
 *   DM_ABORT_ON_MISUSE=1    an invalid or double free, or a damaged header, aborts with a one-line report
 *   DM_STATS=PATH           the live-metrics file (default /dev/shm/dm-PID; user/preload_stats.h)
 *   DM_REPORT=PATH          at exit, append the process's counters to PATH (dm preload uses it)
 * Nothing here may allocate: the first malloc can come before libc has finished initialising (ld.so, other
 * libraries' constructors), so set-up uses system calls, getenv and hand-made formatting only.
 */
#define _GNU_SOURCE
#include <stdint.h>

struct dm_heap;
static struct dm_heap *preload_heap; /* NULL until set-up has mapped the heap */
#define DM_NATIVE_HEAP preload_heap
#include "user/preload_heap.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)

/* glibc's own allocator, exported under these names: no dlsym (which may allocate) on the way to them. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t nmemb, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *ptr);

#define DEFAULT_POOL (512ull << 20)
#define HEAP_BYTES ((sizeof(struct dm_heap) + DM_PRELOAD_PAGE - 1) & ~(size_t)(DM_PRELOAD_PAGE - 1))
/* The fence covers at least the rest of the shared first page: no program data ever lands in the stats file. */
#define MAX_POOL ((dm_u64)(DM_SENTINEL - DM_PRELOAD_PAGE) & ~(dm_u64)(DM_ALIGN - 1))
#define MIN_POOL (64ull << 10)
/* Before an aligned pointer that is not its block's start: this word xor the pointer, then the block's start. */
#define ALIGNED_TAG 0xa119bed0dead10ccull

static int ready, fallback, abort_on_misuse, file_backed;
static struct dm_preload_info private_info, *info = &private_info;
static char stats_path[256];
/* The heap's first page and the info as they were when the process forked: the shared pages are its parent's and
 * keep changing after the fork, private memory is the child's own copy. */
static unsigned char first_page_copy[DM_PRELOAD_PAGE] __attribute__((aligned(64)));
static struct dm_preload_info info_copy;
static size_t (*libc_usable_size)(void *);

/* ------------------------------------------ Formatting without malloc ------------------------------------------ */

static char *put_str(char *at, char *end, const char *s)
{
	while (*s && at < end)
		*at++ = *s++;
	return at;
}
static char *put_num(char *at, char *end, unsigned long long n, unsigned base)
{
	char digits[24];
	int len = 0;

	do
		digits[len++] = "0123456789abcdef"[n % base];
	while ((n /= base) && len < 24);
	while (len && at < end)
		*at++ = digits[--len];
	return at;
}
static void say(const char *a, const char *b, const char *c)
{
	char line[512], *at = line, *end = line + sizeof(line) - 1;

	at = put_str(at, end, "libdynamic_memory.so: ");
	at = put_str(at, end, a);
	at = put_str(at, end, b);
	at = put_str(at, end, c);
	*at++ = '\n';
	if (write(STDERR_FILENO, line, (size_t)(at - line)) < 0)
		return; /* nowhere left to say it */
}
static _Noreturn void refuse_setting(const char *name, const char *value, const char *why)
{
	char line[160], *end = line + sizeof(line) - 1;

	*put_str(put_str(put_str(line, end, name), end, "="), end, value) = 0;
	say(line, ": ", why);
	_exit(127);
}

/* "512M", "1G", "65536": bytes, or 0 when it is not a size. */
static dm_u64 parse_size(const char *s)
{
	dm_u64 n = 0;

	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (1ull << 40))
			return 0;
		n = n * 10 + (dm_u64)(*s - '0');
	}
	switch (*s) {
	case 'K':
	case 'k':
		n <<= 10, s++;
		break;
	case 'M':
	case 'm':
		n <<= 20, s++;
		break;
	case 'G':
	case 'g':
		n <<= 30, s++;
		break;
	}
	return *s ? 0 : n;
}

/* ------------------------------------------------ The stats file ------------------------------------------------ */

/* A file left by a process that no longer exists, or by this very pid before it exec'd: safe to replace. */
static int stale_file(const char *path)
{
	struct dm_preload_info old;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), stale;

	if (fd < 0)
		return 0;
	stale = pread(fd, &old, sizeof(old), 0) == (ssize_t)sizeof(old) && old.magic == DM_PRELOAD_MAGIC &&
		((pid_t)old.pid == getpid() || (kill((pid_t)old.pid, 0) && errno == ESRCH));
	close(fd);
	return stale;
}

static int create_exclusive(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0 && errno == EEXIST && stale_file(path) && !unlink(path))
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	return fd;
}

/* Maps the info page and the heap's first page from a new file of this process's own (DM_STATS if free, else
 * /dev/shm/dm-PID), filled from first_page_copy and info_copy. On failure the process runs without a file. */
static void open_stats_file(const char *wanted)
{
	struct dm_preload_info *mapped = MAP_FAILED;
	char *end = stats_path + sizeof(stats_path) - 1;
	int fd = -1, saved_errno = errno;

	if (wanted && *wanted) {
		*put_str(stats_path, end, wanted) = 0;
		fd = create_exclusive(stats_path);
	}
	if (fd < 0) {
		*put_num(put_str(stats_path, end, "/dev/shm/dm-"), end, (unsigned long long)getpid(), 10) = 0;
		fd = create_exclusive(stats_path);
	}
	if (fd >= 0 && !ftruncate(fd, 2 * DM_PRELOAD_PAGE))
		mapped = mmap(file_backed ? info : NULL, DM_PRELOAD_PAGE, PROT_READ | PROT_WRITE,
			      MAP_SHARED | (file_backed ? MAP_FIXED : 0), fd, 0);
	if (mapped != MAP_FAILED && mmap(preload_heap, DM_PRELOAD_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
					 fd, DM_PRELOAD_PAGE) != MAP_FAILED) {
		*mapped = info_copy;
		info = mapped;
		file_backed = 1;
	} else {
		if (fd >= 0)
			unlink(stats_path);
		if (file_backed) {
			/* a child whose file could not be made: its pages must stop being its parent's */
			private_info = info_copy;
			info = &private_info;
			mmap(preload_heap, DM_PRELOAD_PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		}
		file_backed = 0;
	}
	__builtin_memcpy(preload_heap, first_page_copy, sizeof(first_page_copy));
	if (fd >= 0)
		close(fd);
	info->pid = (dm_u32)getpid();
	prctl(PR_GET_NAME, info->program);
	errno = saved_errno;
}

/* --------------------------------------------------- Set-up --------------------------------------------------- */

static void set_up_locked(void)
{
	const char *pool_setting = getenv("DM_POOL"), *fallback_setting = getenv("DM_FALLBACK");
	const char *abort_setting = getenv("DM_ABORT_ON_MISUSE");
	dm_u64 pool = pool_setting ? parse_size(pool_setting) : DEFAULT_POOL, fence, fence_at;
	void *heap;

	if (pool_setting && !pool)
		refuse_setting("DM_POOL", pool_setting, "expected a size in bytes, with K, M or G, e.g. DM_POOL=512M");
	if (pool < MIN_POOL || pool > MAX_POOL)
		refuse_setting(
			"DM_POOL", pool_setting,
			pool < MIN_POOL
				? "below 64K, the smallest pool"
				: "above 2G less one page (2147479552 bytes), the largest pool of the native heap "
				  "(32-bit offsets)");
	if (fallback_setting && *fallback_setting && __builtin_strcmp(fallback_setting, "libc"))
		refuse_setting("DM_FALLBACK", fallback_setting, "expected DM_FALLBACK=libc, or unset");
	fallback = fallback_setting && *fallback_setting;
	abort_on_misuse = abort_setting && *abort_setting && __builtin_strcmp(abort_setting, "0");

	heap = mmap(NULL, HEAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (heap == MAP_FAILED)
		refuse_setting("DM_POOL", pool_setting ? pool_setting : "512M",
			       "cannot reserve the heap's 2 GiB of address space (ulimit -v?)");
	preload_heap = heap;
	/* The fence: everything after the program's pool, as one block at the start (the only free block now). */
	pool &= ~(dm_u64)(DM_ALIGN - 1);
	fence = DM_SENTINEL - DM_FIRST - pool;
	fence_at = dm_env_off(preload_heap, static_malloc(fence - DM_HDR));
	if (fence_at != DM_FIRST + DM_HDR)
		refuse_setting("DM_POOL", pool_setting ? pool_setting : "512M", "the heap could not be fenced");
	info->magic = DM_PRELOAD_MAGIC;
	info->heap = (dm_u64)(uintptr_t)heap;
	info->pool = pool;
	info->fence = fence;
	__builtin_memcpy(first_page_copy, preload_heap, sizeof(first_page_copy));
	info_copy = *info;
	open_stats_file(getenv("DM_STATS"));
}

/* Runs once, at the first call of any entry point, whatever thread makes it (none can exist before one has had
 * memory for its stack's TLS: in practice this is the main thread). */
static void set_up(void)
{
	static int started;

	if (__atomic_exchange_n(&started, 1, __ATOMIC_ACQUIRE)) {
		while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
			sched_yield();
		return;
	}
	set_up_locked();
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
}
#define READY() (unlikely(!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) ? set_up() : (void)0)

static void before_fork(void)
{
	dm_lock(preload_heap);
	__builtin_memcpy(first_page_copy, preload_heap, sizeof(first_page_copy));
	info_copy = *info;
}
static void after_fork_parent(void)
{
	dm_env_unlock(&preload_heap->ctl.lock);
}
/* The child's counters must leave its parent's file before it allocates anything, and start from the copy made
 * under the lock: the parent may have allocated since. */
static void after_fork_child(void)
{
	open_stats_file(NULL);
	dm_env_unlock(&preload_heap->ctl.lock);
}

/* Registrations that may allocate wait for the constructor: the heap exists by then. */
__attribute__((constructor)) static void preload_constructor(void)
{
	READY();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	if (fallback)
		libc_usable_size = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
}

static void report_at_exit(const char *path)
{
	struct dm_preload_record record = { .info = *info };
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	static_stats(&record.stats);
	dm_preload_discount(&record.stats, info);
	if (write(fd, &record, sizeof(record)) != (ssize_t)sizeof(record))
		say("DM_REPORT=", path, ": the record could not be written");
	close(fd);
}

__attribute__((destructor)) static void preload_destructor(void)
{
	const char *report = getenv("DM_REPORT");

	if (!ready)
		return;
	if (report && *report)
		report_at_exit(report);
	if (file_backed && info->pid == (dm_u32)getpid())
		unlink(stats_path);
}

/* ---------------------------------------------------- Misuse --------------------------------------------------- */

/* The misuse counters before an operation that may refuse a pointer, to tell afterwards whether it did. */
struct misuse_mark {
	dm_u64 invalid, corrupt;
};
static struct misuse_mark misuse_mark(void)
{
	return (struct misuse_mark){ preload_heap->ctl.c.invalid_frees, preload_heap->ctl.c.corruptions };
}

/* Whether the heap refused `ptr` since `mark`; with DM_ABORT_ON_MISUSE, a one-line report and abort. (Another
 * thread's misuse in between is taken for this one: the counters are the heap's, not the thread's.) */
static int misused(const char *op, const void *ptr, struct misuse_mark mark)
{
	char line[200], *at = line, *end = line + sizeof(line) - 1;
	int corrupt = preload_heap->ctl.c.corruptions != mark.corrupt;

	if (!corrupt && preload_heap->ctl.c.invalid_frees == mark.invalid)
		return 0;
	if (!abort_on_misuse)
		return 1;
	at = put_str(put_num(put_str(put_str(at, end, op), end, "(0x"), end, (uintptr_t)ptr, 16), end, "): ");
	*put_str(at, end,
		 corrupt ? "damaged block header (a write past the end of a block?)"
			 : "invalid pointer (double free, or not returned by malloc)") = 0;
	say(line, "", "; aborting (DM_ABORT_ON_MISUSE=1)");
	if (file_backed)
		unlink(stats_path); /* abort runs no destructor */
	abort();
}

/* static_free of `start`, the block `ptr` (what the program passed) lies in. */
static void free_block(void *start, void *ptr)
{
	struct misuse_mark mark = misuse_mark();

	static_free(start);
	misused("free", ptr, mark);
}

/* --------------------------------------------------- Helpers --------------------------------------------------- */

static int ours(const void *ptr)
{
	return (uintptr_t)ptr - (uintptr_t)preload_heap < HEAP_BYTES;
}

/* The start of the block an (aligned) pointer of ours lies in. */
static void *block_start(void *ptr)
{
	dm_u64 *words = (dm_u64 *)ptr;

	if (words[-2] == (ALIGNED_TAG ^ (uintptr_t)ptr) && ours((void *)(uintptr_t)words[-1]) &&
	    words[-1] < (uintptr_t)ptr)
		return (void *)(uintptr_t)words[-1];
	return ptr;
}

/* What the heap could not serve: glibc with DM_FALLBACK=libc, else NULL and ENOMEM. */
static void *no_room(void *from_libc)
{
	if (from_libc)
		__atomic_fetch_add(&info->fallback_allocations, 1, __ATOMIC_RELAXED);
	else
		errno = ENOMEM;
	return from_libc;
}
#define SERVE(heap_call, libc_call)                                                                                    \
	({                                                                                                             \
		void *served = (heap_call);                                                                            \
		served ? served : no_room(fallback ? (libc_call) : NULL);                                              \
	})

static size_t usable(void *ptr)
{
	void *start;
	size_t size;

	if (!ours(ptr))
		return libc_usable_size ? libc_usable_size(ptr) : 0;
	start = block_start(ptr);
	size = static_usable_size(start);
	return size ? size - (size_t)((char *)ptr - (char *)start) : 0;
}

static void *aligned(size_t align, size_t size)
{
	char *raw, *ptr;

	if (align <= DM_ALIGN)
		return SERVE(static_malloc(size), __libc_malloc(size));
	if (size > DM_CAPACITY || align > DM_CAPACITY)
		return no_room(fallback ? __libc_memalign(align, size) : NULL);
	raw = SERVE(static_malloc(size + align), __libc_memalign(align, size));
	if (!raw || !ours(raw))
		return raw;
	ptr = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (ptr != raw) {
		((dm_u64 *)ptr)[-2] = ALIGNED_TAG ^ (uintptr_t)ptr; /* raw and ptr are 16-aligned: ptr - raw >= 16 */
		((dm_u64 *)ptr)[-1] = (uintptr_t)raw;
	}
	return ptr;
}

static void release(void *ptr)
{
	void *start = block_start(ptr);

	if (start != ptr)
		((dm_u64 *)ptr)[-2] = 0; /* a second free of ptr must not find the tag */
	free_block(start, ptr);
}

/* ------------------------------------------------ The interface ------------------------------------------------ */

EXPORT void *malloc(size_t size)
{
	READY();
	return SERVE(static_malloc(size), __libc_malloc(size));
}

EXPORT void free(void *ptr)
{
	if (!ptr)
		return;
	READY();
	if (ours(ptr)) {
		release(ptr);
	} else if (fallback) {
		__atomic_fetch_add(&info->fallback_frees, 1, __ATOMIC_RELAXED);
		__libc_free(ptr);
	} else {
		free_block(ptr, ptr); /* outside the pool: counted as an invalid free */
	}
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	READY();
	return SERVE(static_calloc(nmemb, size), __libc_calloc(nmemb, size));
}

EXPORT void *realloc(void *ptr, size_t size)
{
	void *moved;
	size_t keep;

	READY();
	if (!ptr)
		return malloc(size);
	if (!ours(ptr) && fallback) {
		moved = __libc_realloc(ptr, size);
		return moved || !size ? moved : no_room(NULL);
	}
	if (!size) {
		free(ptr);
		return NULL;
	}
	/* A pointer outside the pool is refused (and counted) by static_realloc without being read. */
	if (!ours(ptr) || block_start(ptr) == ptr) {
		struct misuse_mark mark = misuse_mark();

		moved = static_realloc(ptr, size);
		if (moved || misused("realloc", ptr, mark) || !fallback)
			return moved ? moved : no_room(NULL);
	}
	/* An aligned block, or one the heap cannot grow (DM_FALLBACK): allocate, copy, free. */
	keep = usable(ptr);
	moved = malloc(size);
	if (moved) {
		__builtin_memcpy(moved, ptr, keep < size ? keep : size);
		free(ptr);
	}
	return moved;
}

EXPORT void *reallocarray(void *ptr, size_t nmemb, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(nmemb, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, bytes);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	int saved = errno;
	void *ptr;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	READY();
	ptr = aligned(align, size);
	errno = saved;
	if (!ptr)
		return ENOMEM;
	*out = ptr;
	return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	READY();
	return aligned(align, size);
}

/* glibc's memalign rounds an alignment that is not a power of two up to one. */
EXPORT void *memalign(size_t align, size_t size)
{
	READY();
	if (align & (align - 1))
		align = align > DM_CAPACITY ? DM_CAPACITY + 1 : (size_t)1 << (64 - __builtin_clzll(align));
	return aligned(align, size);
}

EXPORT void *valloc(size_t size)
{
	READY();
	return aligned((size_t)getpagesize(), size);
}

EXPORT void *pvalloc(size_t size)
{
	size_t page = (size_t)getpagesize();

	READY();
	return aligned(page, size > DM_CAPACITY ? size : (size + page - 1) & ~(page - 1));
}

EXPORT size_t malloc_usable_size(void *ptr)
{
	if (!ptr)
		return 0;
	READY();
	return usable(ptr);
}
