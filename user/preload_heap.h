/* SPDX-License-Identifier: MIT */
/* The heap build of libdynamic_memory.so, for the library and for dm's reader of its control block: the largest
 * native pool (pages beyond DM_POOL are never touched) and malloc's alignment. Include it first; DM_NATIVE_HEAP
 * says where the heap is (the reader has none). */
#ifndef PRELOAD_HEAP_H
#define PRELOAD_HEAP_H

#ifndef DM_NATIVE_HEAP
#error "user/preload_heap.h: define DM_NATIVE_HEAP (the heap's address, or NULL) first"
#endif
#define DM_POOL_SIZE 2147483648
#define DM_ALIGN 16
#include "user/preload_stats.h"

#endif
