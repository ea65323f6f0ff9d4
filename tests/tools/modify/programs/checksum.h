/* Plain C to be rewritten and then compiled into a BPF program: a scratch buffer from the heap. */
#ifndef CHECKSUM_H
#define CHECKSUM_H
#include <stdlib.h>

static inline long checksum(int n)
{
	unsigned char *scratch = calloc(64, 1);
	long sum = 0;

	if (!scratch)
		return -1;
	for (int i = 0; i < 64; i++)
		scratch[i] = (unsigned char)(i * n);
	for (int i = 0; i < 64; i++)
		sum += scratch[i];
	free(scratch);
	return sum;
}
#endif
