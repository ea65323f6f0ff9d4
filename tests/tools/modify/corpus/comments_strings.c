#include <stdio.h>
#include <stdlib.h>

/* malloc(n) and free(p) in a comment stay as they are; so does "free(p)" in a string. */
int main(void)
{
	// calloc(1, 2) in a line comment
	char *s = malloc(16); /* malloc here is code */

	if (!s)
		return 1;
	puts("call malloc(3) then free(x)");
	free(s);
	return 0;
}
