/* inventory: reads commands from standard input, one a line (add NAME QTY, remove NAME QTY, list, total), into a
 * growing array of items; a malformed line is reported on stderr with its number and ends the program (status 3). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
	char *name;
	long quantity;
};

struct inventory {
	struct item *items;
	int count;
	int capacity;
};

static char *copy_word(const char *start, int length)
{
	char *word = malloc((size_t)length + 1);

	if (!word)
		return NULL;
	memcpy(word, start, (size_t)length);
	word[length] = 0;
	return word;
}

static struct item *find(struct inventory *inv, const char *name)
{
	int i;

	for (i = 0; i < inv->count; i++)
		if (strcmp(inv->items[i].name, name) == 0)
			return inv->items + i;
	return NULL;
}

static struct item *add(struct inventory *inv, const char *name)
{
	struct item *it = find(inv, name);

	if (it)
		return it;
	if (inv->count == inv->capacity) {
		int capacity = inv->capacity ? inv->capacity * 2 : 2;
		struct item *grown = realloc(inv->items, (size_t)capacity * sizeof(struct item));

		if (!grown)
			return NULL;
		inv->items = grown;
		inv->capacity = capacity;
	}
	it = inv->items + inv->count++;
	it->name = copy_word(name, (int)strlen(name));
	it->quantity = 0;
	return it->name ? it : NULL;
}

static void bad_line(int number, const char *why)
{
	fprintf(stderr, "inventory: line %d: %s\n", number, why);
	exit(3);
}

int main(void)
{
	struct inventory *inv = calloc(1, sizeof(*inv));
	char *line = malloc(128);
	int number = 0, i, length;
	char *command, *name;
	long quantity, total;

	if (!inv || !line)
		return 1;
	while (fgets(line, 128, stdin)) {
		number++;
		for (length = 0; line[length] && !isspace(line[length]); length++)
			;
		command = copy_word(line, length);
		if (!command)
			return 1;
		if (strcmp(command, "list") == 0) {
			for (i = 0; i < inv->count; i++)
				printf("  %-10s %5ld\n", inv->items[i].name, inv->items[i].quantity);
		} else if (strcmp(command, "total") == 0) {
			for (i = 0, total = 0; i < inv->count; i++)
				total += inv->items[i].quantity;
			printf("total %ld in %d items\n", total, inv->count);
		} else if (strcmp(command, "add") == 0 || strcmp(command, "remove") == 0) {
			char *rest = line + length;
			int name_length;
			struct item *it;

			while (isspace(*rest))
				rest++;
			for (name_length = 0; rest[name_length] && !isspace(rest[name_length]); name_length++)
				;
			if (name_length == 0)
				bad_line(number, "a name is missing");
			name = copy_word(rest, name_length);
			quantity = strtol(rest + name_length, NULL, 10);
			if (!name || quantity <= 0)
				bad_line(number, "a positive quantity is missing");
			it = command[0] == 'a' ? add(inv, name) : find(inv, name);
			if (!it)
				bad_line(number, "no such item");
			if (command[0] == 'r' && it->quantity < quantity)
				bad_line(number, "not that many in stock");
			it->quantity += command[0] == 'a' ? quantity : -quantity;
			free(name);
		} else {
			fprintf(stderr, "inventory: line %d: unknown command '%s'\n", number, command);
		}
		free(command);
	}
	printf("%d lines, %d items, capacity %d\n", number, inv->count, inv->capacity);
	for (i = 0; i < inv->count; i++)
		free(inv->items[i].name);
	free(inv->items);
	free(inv);
	free(line);
	return 0;
}
