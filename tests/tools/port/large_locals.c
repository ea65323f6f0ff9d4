/* Three functions, each with 200 bytes of locals, compiled into one: more than the BPF stack's 512 bytes, so dm port
 * moves the arrays to static storage. */
#include <stdio.h>

static int innermost(int x)
{
	char scratch[200];
	for (int i = 0; i < 200; i++)
		scratch[i] = (char)(x + i);
	return scratch[x % 200];
}

static int middle(int x)
{
	char scratch[200];
	for (int i = 0; i < 200; i++)
		scratch[i] = (char)innermost(x + i);
	return scratch[x % 200];
}

static int outer(int x)
{
	char scratch[200];
	for (int i = 0; i < 200; i++)
		scratch[i] = (char)middle(x + i);
	return scratch[x % 200];
}

int main(void)
{
	printf("%d\n", outer(3));
	return 0;
}
