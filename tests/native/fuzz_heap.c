/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the input is an operation stream (8 bytes an operation) run against the shadow model of
 * heap_model.h; any violation aborts, which libFuzzer reports with the input that caused it. */
#include "heap_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;

	model_reset(&m);
	for (size_t i = 0; i + 8 <= size && i < 8 * 4096; i += 8) {
		uint32_t a, b;

		memcpy(&a, data + i, 4);
		memcpy(&b, data + i + 4, 4);
		model_step(&m, a, b);
		if (m.violations)
			abort();
	}
	return 0;
}
