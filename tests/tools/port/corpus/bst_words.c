/* bst_words: reads words from standard input with scanf into a binary search tree (recursive insert), then prints
 * them in order with their counts, the tree's height, and the words at a depth given on the command line; frees
 * the tree recursively. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
	char *word;
	int count;
	struct node *left, *right;
};

static struct node *node_new(const char *word)
{
	struct node *n = malloc(sizeof(*n));

	if (!n) {
		fprintf(stderr, "bst_words: out of memory\n");
		exit(1);
	}
	n->word = malloc(strlen(word) + 1);
	if (!n->word) {
		fprintf(stderr, "bst_words: out of memory\n");
		exit(1);
	}
	strcpy(n->word, word);
	n->count = 1;
	n->left = n->right = NULL;
	return n;
}

static struct node *insert(struct node *root, const char *word)
{
	int order;

	if (!root)
		return node_new(word);
	order = strcmp(word, root->word);
	if (order < 0)
		root->left = insert(root->left, word);
	else if (order > 0)
		root->right = insert(root->right, word);
	else
		root->count++;
	return root;
}

static int height(const struct node *root)
{
	int left, right;

	if (!root)
		return 0;
	left = height(root->left);
	right = height(root->right);
	return 1 + (left > right ? left : right);
}

static void print_in_order(const struct node *root, int *position)
{
	if (!root)
		return;
	print_in_order(root->left, position);
	(*position)++;
	printf("%3d. %-12s x%d\n", *position, root->word, root->count);
	print_in_order(root->right, position);
}

static void print_depth(const struct node *root, int depth)
{
	if (!root)
		return;
	if (depth == 0) {
		printf(" %s", root->word);
		return;
	}
	print_depth(root->left, depth - 1);
	print_depth(root->right, depth - 1);
}

static int free_tree(struct node *root)
{
	int freed;

	if (!root)
		return 0;
	freed = 1 + free_tree(root->left) + free_tree(root->right);
	free(root->word);
	free(root);
	return freed;
}

int main(int argc, char **argv)
{
	struct node *root = NULL;
	char word[32];
	int depth = argc > 1 ? atoi(argv[1]) : 2, position = 0, words = 0;

	while (scanf("%31s", word) == 1) {
		root = insert(root, word);
		words++;
	}
	if (words == 0) {
		fprintf(stderr, "%s: no words on standard input\n", argv[0]);
		return 1;
	}
	print_in_order(root, &position);
	printf("%d words, %d distinct, height %d\n", words, position, height(root));
	printf("depth %d:", depth);
	print_depth(root, depth);
	printf("\n");
	printf("freed %d nodes\n", free_tree(root));
	return 0;
}
