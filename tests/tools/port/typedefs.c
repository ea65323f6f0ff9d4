/* typedef structs, enums, switch, const pointers, stdint/stdbool types, a global array, main returning 5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdbool.h>

typedef struct item {
	uint32_t id;
	const char *name;
	struct item *next;
} item_t;

enum color { RED, GREEN, BLUE };

static const char *color_name(enum color c)
{
	switch (c) {
	case RED: return "red";
	case GREEN: return "green";
	default: return "blue";
	}
}

static item_t *make(uint32_t id, const char *name)
{
	item_t *it = malloc(sizeof(item_t));
	if (!it)
		return NULL;
	it->id = id;
	it->name = name;
	it->next = NULL;
	return it;
}

int counts[3];

int main(void)
{
	item_t *head = NULL, *tail = NULL;
	const item_t *walk;
	bool any = false;
	unsigned total = 0;

	for (uint32_t i = 0; i < 6; i++) {
		item_t *it = make(i, color_name((enum color)(i % 3)));
		if (!it)
			return 1;
		if (tail)
			tail->next = it;
		else
			head = it;
		tail = it;
		counts[i % 3]++;
	}
	for (walk = head; walk; walk = walk->next) {
		total += walk->id * 10u;
		any = true;
		printf("%2u %-5s|\n", walk->id, walk->name);
	}
	printf("total %u any %d counts %d %d %d len %zu\n", total, any, counts[0], counts[1], counts[2], strlen(head->name));
	while (head) {
		item_t *next = head->next;
		free(head);
		head = next;
	}
	return total > 100 ? 5 : 0;
}
