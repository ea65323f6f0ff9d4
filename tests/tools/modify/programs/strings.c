/* A string builder: calloc, then realloc as it grows; free through a function pointer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct builder {
	char *text;
	size_t len, cap;
};

static int append(struct builder *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *grown = realloc(b->text, cap);

		if (!grown)
			return -1;
		b->text = grown;
		b->cap = cap;
	}
	memcpy(b->text + b->len, s, n + 1);
	b->len += n;
	return 0;
}

int main(void)
{
	struct builder b = { calloc(4, 1), 0, 4 };
	void (*release)(void *) = free;
	const char *words[] = { "static", "pools", "for", "BPF", "programs" };

	if (!b.text)
		return 1;
	for (int i = 0; i < 5; i++)
		if (append(&b, words[i]) || append(&b, i < 4 ? " " : "."))
			return 1;
	printf("\"%s\" (%zu bytes, capacity %zu)\n", b.text, b.len, b.cap);
	release(b.text);
	return 0;
}
