/* A list that outgrows a 4 KiB heap: the allocation on line 13 is used without a NULL check.
 * expect: heap_exhausted.c:13: out of heap memory: malloc returned NULL */
#include <stdio.h>
#include <stdlib.h>
struct node {
	long payload[8];
	struct node *next;
};
int main(void)
{
	struct node *head = NULL;
	for (int i = 0; i < 1000; i++) {
		struct node *n = malloc(sizeof(*n));
		n->next = head;
		head = n;
	}
	printf("unreachable in the kernel\n");
	return 0;
}
