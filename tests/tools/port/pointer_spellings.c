/* Spellings of pointers and function names the port must keep (issue 19, 1 and 2): `char* s` with the star on the
 * type (it became `char__arena`), and function names in parentheses (Csmith's support code, and libraries that
 * protect a name from a macro), defined and declared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int (safe_add)(int a, int b);

int (twice)(int a) { return (safe_add)(a, a); }

static int (safe_add)(int a, int b)
{
	return a + b;
}

int main(void)
{
	char* s = malloc(8);
	char*t=malloc(8);

	if (!s || !t)
		return 1;
	strcpy(s, "ok");
	strcpy(t, s);
	printf("%s %s %d\n", s, t, twice(21));
	free(s);
	free(t);
	return 0;
}
