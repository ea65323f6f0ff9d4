/* SPDX-License-Identifier: MIT */
/* dynamic_memory/env_bpf_map.h: BPF, the map heaps (shared ARRAY, DM_HEAP_PERCPU): the map `dm_heap`, offsets
 * masked into the map value, DM_PTR re-derivation of stored pointers.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_ENV_BPF_MAP_H
#define DYNAMIC_MEMORY_ENV_BPF_MAP_H

#if defined(DM_HEAP_PERCPU)
_Static_assert((DM_POOL_SIZE) + (DM_GUARD) <= 32768,
	       "per-CPU heap: DM_POOL_SIZE + DM_GUARD must be <= 32768, the kernel's limit on a PERCPU_ARRAY value "
	       "(use DM_POOL_SIZE 16384 or less)");
#define DM_HEAP_MAP_TYPE BPF_MAP_TYPE_PERCPU_ARRAY
#else
#define DM_HEAP_MAP_TYPE BPF_MAP_TYPE_ARRAY
#endif
struct {
	__uint(type, DM_HEAP_MAP_TYPE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dm_heap);
#if defined(DM_PIN)
	__uint(pinning, LIBBPF_PIN_BY_NAME);
#endif
} dm_heap SEC(".maps") __attribute__((weak));

DM_INLINE struct dm_heap *dm_env_heap(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&dm_heap, &zero);
}
/* A map value exists from the start: a zeroed one is formatted on first use. */
DM_INLINE int dm_env_ready(struct dm_heap *heap) { return heap != NULL; }
DM_INLINE void dm_env_refuse(void) {}
DM_INLINE dm_u64 dm_env_refused(void) { return 0; }

/* The masked offset gives the verifier the range [0, DM_POOL_SIZE): heap-internal accesses of a few bytes. The
 * barrier keeps the mask where clang could prove it redundant (an offset it knows below the sentinel): the verifier
 * does not carry a bound proven on one register to a copy or sum of it (older ones not even `r2 = r6 - 880`), so it
 * must see the mask on the register it adds. */
DM_INLINE void *dm_env_ptr(struct dm_heap *heap, dm_u64 off)
{
	asm volatile("" : "+r"(off));
	return (dm_u8 *)heap + (off & DM_MASK);
}
/* A pointer handed to the program, or NULL for offset 0. Its proven range is [DM_ALIGN, DM_POOL_SIZE] in steps of
 * DM_ALIGN: the verifier accepts accesses at offsets 0 .. DM_GUARD - 1 from it, rejects DM_GUARD, and knows it
 * aligned (atomics need that). The barrier hides from clang whether it is NULL: otherwise a dereference without a
 * NULL check (undefined behaviour) lets clang delete the NULL path, and the verifier never sees the missing check. */
#define DM_PAYLOAD_MASK (DM_MASK & ~(dm_u32)(DM_ALIGN - 1))
DM_INLINE void *dm_env_payload(struct dm_heap *heap, dm_u64 off)
{
	void *p = off ? (dm_u8 *)heap + ((off - DM_ALIGN) & DM_PAYLOAD_MASK) + DM_ALIGN : NULL;

	asm volatile("" : "+r"(p));
	return p;
}
DM_INLINE dm_u64 dm_env_off(struct dm_heap *heap, const void *ptr)
{
	return (dm_u64)((const dm_u8 *)ptr - (const dm_u8 *)heap);
}
/* A pointer loaded from memory is a plain number to the verifier: rebuild it from the heap's address. The 32-bit
 * move also turns into a number a pointer that clang forwarded from a store instead of loading it (root may move
 * half a pointer); an offset into a pool below 4 GiB needs only the low half. */
DM_INLINE void *dm_rederive(dm_u64 raw)
{
	struct dm_heap *heap = dm_env_heap();
	dm_u32 low;

	if (!heap || !raw)
		return NULL;
	asm volatile("%0 = %1" : "=w"(low) : "w"((dm_u32)raw));
	return dm_env_payload(heap, ((low - (dm_u32)heap->ctl.self - DM_ALIGN) & DM_PAYLOAD_MASK) + DM_ALIGN);
}
#define DM_PTR(p) ((__typeof__(p))dm_rederive((dm_u64)(p)))
/* &p[i] for an index the verifier cannot bound: the address is rebuilt from the heap's, as by DM_PTR but to the
 * byte, so that an element of up to DM_GUARD bytes is accessible at it whatever i. The offset is added after the
 * 32-bit move, to a number: added to the pointer, an unbounded index is refused. An address outside the pool wraps
 * into it (memory-safe; the program's own bug). */
DM_INLINE void *dm_rederive_at(const void *p, dm_u64 offset)
{
	struct dm_heap *heap = dm_env_heap();
	void *at = (void *)p; /* where the heap's map value cannot be had: never for an ARRAY map, but verifiers before
			       * 6.13 do not know that, and &p[i] of a valid p must not be NULL */
	dm_u32 low;

	if (heap) {
		asm volatile("%0 = %1" : "=w"(low) : "w"((dm_u32)(dm_u64)p));
		at = (dm_u8 *)heap + ((low + (dm_u32)offset - (dm_u32)heap->ctl.self) & DM_MASK);
	}
	asm volatile("" : "+r"(at));
	return at;
}
#define DM_INDEX(p, i) ((__typeof__(p))dm_rederive_at((p), (dm_u64)(i) * sizeof(*(p))))

#endif /* DYNAMIC_MEMORY_ENV_BPF_MAP_H */
