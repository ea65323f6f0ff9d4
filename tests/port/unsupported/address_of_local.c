/* expect: address_of_local.c:9: construct not supported in BPF: taking the address of 'count', a variable */
#include <stdlib.h>
static void bump(int *n) { *n += 1; }
int main(void)
{
	int count = 0;
	int *heap = malloc(sizeof(int));
	bump(heap);
	bump(&count);
	return count;
}
