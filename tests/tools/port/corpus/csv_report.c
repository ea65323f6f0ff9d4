/* csv_report: reads CSV lines (name,department,salary) from standard input, groups them by department in a list
 * kept sorted by name, and writes a report through a growing string builder passed by address; a line without
 * three fields is reported on stderr and skipped, a negative salary ends the program (status 4). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct builder {
	char *text;
	size_t length, capacity;
};

struct department {
	char *name;
	long total;
	int people;
	struct department *next;
};

static void sb_reserve(struct builder *sb, size_t extra)
{
	if (sb->length + extra + 1 > sb->capacity) {
		size_t capacity = sb->capacity ? sb->capacity : 32;
		char *grown;

		while (capacity < sb->length + extra + 1)
			capacity *= 2;
		grown = realloc(sb->text, capacity);
		if (!grown) {
			fprintf(stderr, "csv_report: out of memory\n");
			exit(1);
		}
		sb->text = grown;
		sb->capacity = capacity;
	}
}

static void sb_putc(struct builder *sb, char c)
{
	sb_reserve(sb, 1);
	sb->text[sb->length++] = c;
	sb->text[sb->length] = 0;
}

static void sb_puts(struct builder *sb, const char *s)
{
	while (*s)
		sb_putc(sb, *s++);
}

static void sb_number(struct builder *sb, long n)
{
	char digits[24];
	int count = 0;

	if (n < 0) {
		sb_putc(sb, '-');
		n = -n;
	}
	do {
		digits[count++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (count)
		sb_putc(sb, digits[--count]);
}

static char *field(char **cursor)
{
	char *start = *cursor, *end = strchr(start, ',');
	char *copy;
	size_t n;

	if (!end)
		end = start + strlen(start);
	n = (size_t)(end - start);
	while (n > 0 && isspace(start[n - 1]))
		n--;
	copy = malloc(n + 1);
	if (!copy)
		exit(1);
	memcpy(copy, start, n);
	copy[n] = 0;
	*cursor = *end ? end + 1 : end;
	return copy;
}

static struct department *find_or_add(struct department **list, const char *name)
{
	struct department **link = list, *d;

	while (*link && strcmp((*link)->name, name) < 0)
		link = &(*link)->next;
	if (*link && strcmp((*link)->name, name) == 0)
		return *link;
	d = calloc(1, sizeof(*d));
	if (!d)
		exit(1);
	d->name = malloc(strlen(name) + 1);
	if (!d->name)
		exit(1);
	strcpy(d->name, name);
	d->next = *link;
	*link = d;
	return d;
}

int main(void)
{
	struct builder report = { NULL, 0, 0 };
	struct department *departments = NULL, *d;
	char line[128];
	int number = 0;

	while (fgets(line, sizeof(line), stdin)) {
		char *cursor = line, *name, *department, *salary;

		number++;
		if (!strchr(line, ',') || !strchr(strchr(line, ',') + 1, ',')) {
			fprintf(stderr, "line %d: expected name,department,salary\n", number);
			continue;
		}
		name = field(&cursor);
		department = field(&cursor);
		salary = field(&cursor);
		if (atol(salary) < 0) {
			fprintf(stderr, "line %d: negative salary for %s\n", number, name);
			exit(4);
		}
		d = find_or_add(&departments, department);
		d->total += atol(salary);
		d->people++;
		free(name);
		free(department);
		free(salary);
	}
	for (d = departments; d; d = d->next) {
		sb_puts(&report, d->name);
		sb_puts(&report, ": ");
		sb_number(&report, d->people);
		sb_puts(&report, " people, total ");
		sb_number(&report, d->total);
		sb_puts(&report, ", average ");
		sb_number(&report, d->total / d->people);
		sb_putc(&report, '\n');
	}
	fputs(report.text ? report.text : "(empty)\n", stdout);
	printf("%zu characters in a builder of %zu\n", report.length, report.capacity);
	free(report.text);
	while (departments) {
		d = departments->next;
		free(departments->name);
		free(departments);
		departments = d;
	}
	return 0;
}
