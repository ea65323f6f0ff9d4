/* SPDX-License-Identifier: MIT */
/* What percpu_scratch.bpf.c and its loader percpu_scratch.c share: the scratch buffer's size. */
#ifndef PERCPU_SCRATCH_H
#define PERCPU_SCRATCH_H

#define SCRATCH 128 /* bytes of each packet's scratch buffer, from its CPU's heap */

#endif
