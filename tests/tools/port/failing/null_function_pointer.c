/* expect: null_function_pointer.c:13: a call through a function pointer that holds no function of its type (NULL) */
#include <stdio.h>
#include <stdlib.h>

static int twice(int x) { return 2 * x; }

int main(void)
{
	int (*f)(int) = twice;

	printf("%d\n", f(21));
	f = NULL;
	return f(1);
}
