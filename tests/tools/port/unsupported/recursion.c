/* expect: recursion.c:6: construct not supported in BPF: recursion (depth -> depth) */
#include <stdlib.h>
struct node { struct node *next; };
static int depth(struct node *n)
{
	return n ? 1 + depth(n->next) : 0;
}
int main(void) { return depth(NULL); }
