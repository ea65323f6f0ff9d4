/* SPDX-License-Identifier: MIT */
/* dynamic_memory/env.h: the environment layer's common part: what BPF and native builds need before the heap
 * exists (types, DM_INLINE/DM_ENTRY, headers). Each heap kind's part is in env_*.h.
 * Part of dynamic_memory.h, which includes it: not a header to include on its own. */
#ifndef DYNAMIC_MEMORY_ENV_H
#define DYNAMIC_MEMORY_ENV_H

/* ================================================= Environment ================================================= */
/*
 * Everything that differs between BPF and native lives here and nowhere else:
 *   dm_env_heap()            the heap (control block + pool + guard), or NULL when it cannot be reached
 *   dm_env_ready()           whether the heap's memory exists (an arena heap before dm_arena_init: not yet)
 *   dm_env_refused()         allocations refused because the heap was not ready (counted outside the heap)
 *   dm_env_cas/unlock/add    atomics on heap words
 *   dm_env_single_threaded() whether the lock can be skipped (native process with one thread)
 *   dm_env_relax(attempt)    what a waiter does before its attempt-th retry of the lock
 *   dm_env_lock_id()         what a lock holder writes into the lock (BPF: its CPU + 1)
 *   dm_env_holder_interrupted(holder)  whether the lock's holder is a program the caller interrupted (BPF: its CPU)
 *   dm_env_bounded()         an index clamped so that the verifier sees the bound
 *   dm_env_repeat()          a loop of `steps` (at most the constant `most`) whose body may stop it (bpf_loop)
 *   dm_env_copy/zero()       copying and zeroing variable lengths inside the pool
 *   dm_env_ptr/off()         converting between pool offsets and pointers the program can dereference
 *   dm_env_payload()         the pointer handed to the program for a payload offset (NULL for 0)
 *   DM_AS                    the address space of those pointers (`__arena` for the arena heap, else none)
 *   DM_PTR()                 re-deriving a pointer that was stored in heap memory
 *   DM_INDEX()               &p[i] for a heap pointer p and any index i
 *   DM_ENTRY                 how the entry points are compiled (BPF: global subprograms, each verified once)
 */
#if defined(__bpf__)

#if !defined(__BPF_HELPERS__) && !defined(__BPF_HELPER_DEFS_H__)
#error "dynamic_memory.h: include <bpf/bpf_helpers.h> before dynamic_memory.h in BPF programs"
#endif
typedef __u8 dm_u8;
typedef __u32 dm_u32;
typedef __u64 dm_u64;
typedef __SIZE_TYPE__ size_t; /* the same type vmlinux.h gives it; <linux/bpf.h> gives none */
#ifndef NULL
#define NULL ((void *)0)
#endif

#define DM_INLINE static __attribute__((always_inline)) inline
#if defined(DM_HEAP_ARENA)
#ifndef __BPF_FEATURE_ADDR_SPACE_CAST
#error "dynamic_memory.h: DM_HEAP_ARENA needs a compiler with BPF address-space casts (clang >= 19)"
#endif
#define DM_AS __attribute__((address_space(1)))
#ifndef __arena
#define __arena DM_AS
#endif
#else
#define DM_AS
#endif
/* Global (verified once), weak (several objects linked by `bpftool gen object` share one copy). */
#define DM_ENTRY __attribute__((noinline)) __attribute__((weak))

#else /* native */

#if !defined(native_executable)
#error "dynamic_memory.h: compile userspace code with -Dnative_executable (BPF code with clang -target bpf)"
#endif
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/single_threaded.h>
typedef uint8_t dm_u8;
typedef uint32_t dm_u32;
typedef uint64_t dm_u64;

#define DM_INLINE static inline __attribute__((always_inline))
#define DM_AS
#define DM_ENTRY static inline

#endif

/* Programs written for the arena heap annotate their heap pointers `__arena`; elsewhere it means nothing, so that
 * one source compiles for every heap. */
#ifndef __arena
#define __arena
#endif

/* `can_loop` (as in the kernel's bpf_experimental.h): a loop condition that lets the verifier accept a walk whose
 * length it cannot know, such as following `next` pointers through the heap. Always true natively. */
#ifndef can_loop
#define can_loop dm_may_goto()
#endif

#endif /* DYNAMIC_MEMORY_ENV_H */
