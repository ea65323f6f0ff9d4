/* SPDX-License-Identifier: MIT */
/* dynamic_memory/env_bpf_arena.h: BPF, the arena heap (DM_HEAP_ARENA): where the heap lives in the arena, its
 * pointers (`__arena`, plain), dm_arena_init.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_ENV_BPF_ARENA_H
#define DYNAMIC_MEMORY_ENV_BPF_ARENA_H

/*
 * The arena is [globals room][heap][globals room], mapped at a fixed user address (map_extra) so that the heap's
 * address is a constant for programs and userspace alike. The program's own `__arena` globals go where libbpf puts
 * them: at the arena's start (libbpf 1.4 to 1.6, and 1.7 on kernels whose verifier limits ldimm64 offsets into an
 * arena), or at its end (libbpf 1.7 on kernels without that limit). A room of DM_ARENA_GLOBALS bytes at each end
 * keeps them off the heap; unused rooms cost address space only, no memory.
 */
#ifdef DM_ARENA_ADDR
#error "dynamic_memory.h: DM_ARENA_ADDR is derived from DM_ARENA_WINDOW and DM_ARENA_GLOBALS; set those instead"
#endif
/* Room for the program's `__arena` globals, at each end of the arena: at least their total size (dm_arena_setup
 * refuses a larger one), a multiple of 4096. */
#ifndef DM_ARENA_GLOBALS
#define DM_ARENA_GLOBALS 1048576
#endif
#if (DM_ARENA_GLOBALS) < 4096 || (DM_ARENA_GLOBALS) > 268435456 || ((DM_ARENA_GLOBALS) % 4096) != 0
#error "DM_ARENA_GLOBALS must be a multiple of 4096 from 4096 to 268435456 (256 MiB)"
#endif
/* The 4 GiB window of user addresses the arena lies in: objects loaded in one process need different windows. */
#ifndef DM_ARENA_WINDOW
#define DM_ARENA_WINDOW (1ull << 44)
#endif
#if (DM_ARENA_WINDOW) == 0 || ((DM_ARENA_WINDOW) % (1ull << 32)) != 0 || (DM_ARENA_WINDOW) >= (1ull << 47)
#error "DM_ARENA_WINDOW must be a nonzero multiple of 4 GiB (1 << 32) below 1 << 47 (the user address space)"
#endif
#define DM_ARENA_PAGE 4096ull
#define DM_ARENA_HEAP_BYTES ((sizeof(struct dm_heap) + DM_ARENA_PAGE - 1) & ~(DM_ARENA_PAGE - 1))
#define DM_ARENA_HEAP ((DM_ARENA_WINDOW) + DM_ARENA_HEAP_LOW)   /* the heap's address */
#define DM_ARENA_ADDR (DM_ARENA_HEAP - (DM_ARENA_GLOBALS))      /* the arena's */
#define DM_ARENA_BYTES (DM_ARENA_HEAP_BYTES + 2 * (DM_ARENA_GLOBALS))
_Static_assert(DM_ARENA_HEAP_LOW + DM_ARENA_HEAP_BYTES + (DM_ARENA_GLOBALS) <= (1ull << 32),
	       "the arena must end inside its 4 GiB window");
/* No BPF_F_SEGV_ON_FAULT: libbpf writes the program's `__arena` globals into the mapped arena while loading, before
 * any program can allocate pages, and that write must fault the pages in. A reader touching heap pages before
 * dm_arena_init faults them in too; dm_arena_init frees such pages before allocating the pool. Numbers, not names:
 * <linux/bpf.h> may predate arenas. */
struct {
	__uint(type, 33 /* BPF_MAP_TYPE_ARENA */);
	__uint(map_flags, 1024 /* BPF_F_MMAPABLE */);
	__uint(max_entries, DM_ARENA_BYTES / DM_ARENA_PAGE);
	__ulong(map_extra, DM_ARENA_ADDR);
#if defined(DM_PIN)
	__uint(pinning, LIBBPF_PIN_BY_NAME);
#endif
} dm_arena SEC(".maps") __attribute__((weak));

/* Allocations refused before dm_arena_init: the heap's own counters do not exist yet. */
__attribute__((weak)) __u64 dm_arena_refused;

/* The cast makes the verifier treat the address as arena memory; naming the map ties the program to the arena,
 * which the verifier requires of every program that casts. */
DM_INLINE struct dm_heap *dm_env_heap(void)
{
	dm_u64 addr = DM_ARENA_HEAP;

	asm volatile("%0 = addr_space_cast(%0, 0, 1)" : "+r"(addr) : "r"(&dm_arena));
	return (struct dm_heap *)addr;
}
/* Before dm_arena_init the pages do not exist: reads give 0, writes vanish, atomics are not to be trusted. */
DM_INLINE int dm_env_ready(struct dm_heap *heap) { return heap->ctl.magic == DM_MAGIC; }
DM_INLINE void dm_env_refuse(void) { __sync_fetch_and_add(&dm_arena_refused, 1); }
DM_INLINE dm_u64 dm_env_refused(void) { return dm_arena_refused; }

/* Arena memory needs no proofs: a payload pointer is the heap's user address plus the offset, an `__arena`
 * pointer every program and userspace can follow as it is. Only the low 32 bits of an arena pointer count. */
DM_INLINE void *dm_env_ptr(struct dm_heap *heap, dm_u64 off) { return (dm_u8 *)heap + (off & DM_MASK); }
DM_INLINE void DM_AS *dm_env_payload(struct dm_heap *heap, dm_u64 off)
{
	(void)heap;
	return off ? (void DM_AS *)(DM_ARENA_HEAP + off) : NULL;
}
DM_INLINE dm_u64 dm_env_off(struct dm_heap *heap, const void DM_AS *ptr)
{
	(void)heap;
	return (dm_u32)((dm_u32)(dm_u64)ptr - (dm_u32)DM_ARENA_HEAP);
}
/* Indexing needs no proof in the arena. */
#define DM_INDEX(p, i) (&(p)[i])
/* Stored pointers are plain pointers: the value is unchanged. Naming the map associates a program that only reads
 * the heap with the arena, as the verifier requires. */
#define DM_PTR(p)                                                                                                  \
	({                                                                                                         \
		asm volatile("" ::"r"(&dm_arena));                                                                 \
		(p);                                                                                               \
	})

/*
 * dm_arena_init: allocates the heap's pages and formats the heap. A loader runs it once after loading the object
 * (BPF_PROG_TEST_RUN; user/heap_reader.h has dm_arena_setup()); until then every allocation returns NULL and is
 * counted. Returns 0, also when the heap was ready already, or -ENOMEM (-12) when the pages cannot be had.
 * Sleepable (arena pages can only be allocated there); ~11 us per 4 KiB page. Not to be run by two at once.
 * Objects linked together (bpftool gen object) share it; with libbpf 1.4, whose linker cannot merge a kfunc
 * declared by two objects, define DM_ARENA_INIT_ELSEWHERE in all of them but one.
 */
#if !defined(DM_ARENA_INIT_ELSEWHERE)
extern void *bpf_arena_alloc_pages(void *p__map, void *addr__ign, __u32 page_cnt, int node_id, __u64 flags)
	__ksym __weak;
extern void bpf_arena_free_pages(void *p__map, void *ptr__ign, __u32 page_cnt) __ksym __weak;
DM_ENTRY int dm_format_heap(void);
SEC("syscall") __attribute__((weak)) int dm_arena_init(void *ctx)
{
	struct dm_heap *heap = dm_env_heap();

	(void)ctx;
	if (dm_env_ready(heap))
		return 0;
	/* A page some reader faulted in (zeros: the heap is not formatted) makes the allocation of the range fail. */
	bpf_arena_free_pages(&dm_arena, (void *)DM_ARENA_HEAP, DM_ARENA_HEAP_BYTES / DM_ARENA_PAGE);
	if (!bpf_arena_alloc_pages(&dm_arena, (void *)DM_ARENA_HEAP, DM_ARENA_HEAP_BYTES / DM_ARENA_PAGE, -1, 0))
		return -12;
	dm_format_heap();
	return 0;
}
#endif /* DM_ARENA_INIT_ELSEWHERE */

#endif /* DYNAMIC_MEMORY_ENV_BPF_ARENA_H */
