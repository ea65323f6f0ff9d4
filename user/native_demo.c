/* SPDX-License-Identifier: MIT */
/* The allocator in a userspace program (-Dnative_executable): builds a linked list on the heap, grows a buffer
 * with realloc, frees part of it, shows one refused double free, and prints the heap stats after each step. */
#include "dynamic_memory.h"
#include "user/stats_columns.h"

#include <stdio.h>
#include <string.h>

struct item {
	int value;
	struct item *next;
};

static void show(const char *what)
{
	struct dm_stats s;

	static_stats(&s);
	printf("%-34s allocated %6llu B in %3llu blocks, free %6llu B (largest %6llu), check %d\n", what,
	       (unsigned long long)s.allocated, (unsigned long long)s.used_blocks, (unsigned long long)s.free,
	       (unsigned long long)s.largest_free, static_check());
}

int main(void)
{
	struct item *head = NULL;
	char *text = NULL;
	struct dm_stats s;

	show("empty heap");
	for (int i = 1; i <= 10; i++) {
		struct item *it = static_malloc(sizeof(*it));

		if (!it)
			return 1;
		it->value = i * i;
		it->next = head;
		head = it;
	}
	printf("list:");
	for (struct item *it = head; it; it = it->next)
		printf(" %d", it->value);
	printf("\n");
	show("after 10 list items");
	for (int round = 0; round < 4; round++) {
		size_t len = text ? strlen(text) : 0;
		char *grown = static_realloc(text, len + 32);

		if (!grown)
			return 1;
		text = grown;
		snprintf(text + len, 32, "%sround %d", len ? ", " : "", round);
	}
	printf("text: \"%s\" (usable %zu)\n", text, static_usable_size(text));
	show("after growing a string 4 times");
	while (head) {
		struct item *next = head->next;

		static_free(head);
		head = next;
	}
	show("after freeing the list");
	static_free(text);
	static_free(text);
	show("after freeing the string twice");
	static_stats(&s);
	printf("the heap's counters (invalid: the second free):\n%-6s", "");
	dm_stats_print_titles(stdout);
	printf("\n%-6s", "heap");
	dm_stats_print_values(stdout, &s);
	putchar('\n');
	return 0;
}
