#include <stdlib.h>

typedef void (*release_fn)(void *);

static void each(void **items, int n, release_fn release)
{
	for (int i = 0; i < n; i++)
		release(items[i]);
}

int main(void)
{
	void *items[2] = { malloc(8), malloc(8) };
	release_fn fn = free;
	void (*table[])(void *) = { free, NULL };

	each(items, 2, free);
	fn = table[0];
	(void)fn;
	return 0;
}
