/* Headers a program includes for nothing it uses are no refusal (only a use of what they declare is), nor is a
 * floating-point variable declared and never used. */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double unused_weight = 0.5;

struct sample {
	int id;
	float never_read;
};

int main(void)
{
	struct sample *s = malloc(3 * sizeof(*s));
	int i;

	if (!s)
		return 1;
	for (i = 0; i < 3; i++)
		s[i].id = i * 10;
	printf("%d %d %d\n", s[0].id, s[1].id, s[2].id);
	free(s);
	return 0;
}
