/* A string builder: append strings, characters and numbers into a buffer that grows with realloc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct builder {
	char *text;
	size_t length, capacity;
};

/* Room for `more` characters and the terminating NUL, growing by half again as much as needed. */
static int reserve(struct builder *b, size_t more)
{
	size_t capacity = b->length + more + 1;
	char *text;

	if (capacity <= b->capacity)
		return 0;
	capacity += capacity / 2;
	text = realloc(b->text, capacity);
	if (!text)
		return -1;
	b->text = text;
	b->capacity = capacity;
	return 0;
}

static void append(struct builder *b, const char *s)
{
	size_t n = strlen(s);

	if (reserve(b, n) == 0) {
		memcpy(b->text + b->length, s, n + 1);
		b->length += n;
	}
}

static void append_char(struct builder *b, char c)
{
	if (reserve(b, 1) == 0) {
		b->text[b->length++] = c;
		b->text[b->length] = '\0';
	}
}

/* The digits go into a scratch buffer backwards, then into the text in one copy. */
static void append_number(struct builder *b, long n)
{
	char *digits = malloc(24);
	int count = 0, negative = n < 0;

	if (!digits)
		return;
	if (negative)
		n = -n;
	do {
		digits[23 - count++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	if (negative)
		digits[23 - count++] = '-';
	if (reserve(b, (size_t)count) == 0) {
		memcpy(b->text + b->length, digits + 24 - count, (size_t)count);
		b->length += (size_t)count;
		b->text[b->length] = '\0';
	}
	free(digits);
}

int main(void)
{
	struct builder *b = calloc(1, sizeof(*b));
	int i;

	if (!b)
		return 1;
	append(b, "squares:");
	for (i = 1; i <= 12; i++) {
		append_char(b, ' ');
		append_number(b, (long)i * i);
	}
	append(b, "; negative: ");
	append_number(b, -4096);
	printf("%s\n", b->text);
	printf("length %lu, capacity %lu, starts with \"squares\": %s\n", (unsigned long)b->length,
	       (unsigned long)b->capacity, strncmp(b->text, "squares", 7) == 0 ? "yes" : "no");
	puts(strchr(b->text, ';') + 2);
	free(b->text);
	free(b);
	return 0;
}
