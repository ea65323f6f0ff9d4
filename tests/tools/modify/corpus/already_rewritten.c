#include <stdio.h>
#include "dynamic_memory.h"

int main(void)
{
	char *s = static_malloc(4);

	if (!s)
		return 1;
	static_free(s);
	return 0;
}
