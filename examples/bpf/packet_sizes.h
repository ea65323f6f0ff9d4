/* SPDX-License-Identifier: MIT */
/* What packet_sizes.bpf.c and its loader packet_sizes.c share: the histogram's shape. */
#ifndef PACKET_SIZES_H
#define PACKET_SIZES_H

#define BUCKET_BYTES 64 /* bucket b counts packets of b * 64 to b * 64 + 63 bytes... */
#define BUCKETS 17      /* ...and the last one those of 1024 bytes and more */

#endif
