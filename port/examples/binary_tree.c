/* A binary search tree: insert, search, an iterative in-order walk with an explicit stack, delete. */
#include <stdio.h>
#include <stdlib.h>

struct tree {
	int key;
	struct tree *left, *right;
};

static struct tree *insert(struct tree *root, int key)
{
	struct tree *n = calloc(1, sizeof(*n)), *at = root;

	if (!n)
		return root;
	n->key = key;
	if (!root)
		return n;
	for (;;) {
		if (key < at->key) {
			if (!at->left) {
				at->left = n;
				break;
			}
			at = at->left;
		} else {
			if (!at->right) {
				at->right = n;
				break;
			}
			at = at->right;
		}
	}
	return root;
}

static int contains(struct tree *n, int key)
{
	while (n && n->key != key)
		n = key < n->key ? n->left : n->right;
	return n != NULL;
}

/* In order, without recursion: the stack of nodes still to visit lives on the heap. */
static void walk(const char *label, struct tree *root)
{
	struct tree **stack = malloc(64 * sizeof(*stack));
	int depth = 0, count = 0;
	struct tree *n = root;

	printf("%s:", label);
	while (n || depth > 0) {
		while (n) {
			stack[depth++] = n;
			n = n->left;
		}
		n = stack[--depth];
		printf(" %d", n->key);
		count++;
		n = n->right;
	}
	printf(" (%d keys)\n", count);
	free(stack);
}

static struct tree *delete_key(struct tree *root, int key)
{
	struct tree *parent = NULL, *n = root, *child;

	while (n && n->key != key) {
		parent = n;
		n = key < n->key ? n->left : n->right;
	}
	if (!n)
		return root;
	if (n->left && n->right) { /* two children: take the successor's key, delete the successor */
		struct tree *successor = n->right, *above = n;

		while (successor->left) {
			above = successor;
			successor = successor->left;
		}
		n->key = successor->key;
		if (above == n)
			above->right = successor->right;
		else
			above->left = successor->right;
		free(successor);
		return root;
	}
	child = n->left ? n->left : n->right;
	if (!parent)
		root = child;
	else if (parent->left == n)
		parent->left = child;
	else
		parent->right = child;
	free(n);
	return root;
}

int main(void)
{
	struct tree *root = NULL;
	unsigned seed = 12345;
	int i;

	for (i = 0; i < 20; i++) {
		seed = seed * 1103515245u + 12345u;
		root = insert(root, (int)(seed >> 16) % 100);
	}
	walk("in order", root);
	printf("contains 52: %d, contains 7: %d\n", contains(root, 52), contains(root, 7));
	root = delete_key(root, root->key);
	root = delete_key(root, 99);
	walk("after deleting the root", root);
	while (root)
		root = delete_key(root, root->key);
	walk("emptied", root);
	return 0;
}
