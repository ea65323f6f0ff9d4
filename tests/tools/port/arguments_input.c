/* main(argc, argv) gets dm run's arguments, and scanf, getchar and fgets read dm run's standard input
 * (tests/tools/port/input/arguments_input.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char *argv[])
{
	int *number = malloc(sizeof(int));
	unsigned *count = malloc(sizeof(unsigned));
	long *big = malloc(sizeof(long));
	char *word = malloc(64);
	char *letter = malloc(1);
	char *line = malloc(16);
	int i, c, lines = 0, got;

	if (!number || !count || !big || !word || !letter || !line)
		return 1;
	printf("argc %d\n", argc);
	for (i = 1; i < argc; i++)
		printf("argv[%d] \"%s\" atoi %d\n", i, argv[i], atoi(argv[i]));
	printf("argv[argc] is %s\n", argv[argc] ? "set" : "NULL");
	got = scanf("%d %u %ld", number, count, big);
	printf("scanf: %d conversions: %d %u %ld\n", got, *number, *count, *big);
	got = scanf("%63s %c", word, letter);
	printf("scanf: %d conversions: \"%s\" '%c'\n", got, word, *letter);
	got = scanf("%d", number);
	printf("scanf on a word: %d\n", got);
	c = getchar();
	printf("getchar: '%c'\n", c);
	while (fgets(line, 16, stdin)) {
		lines++;
		printf("fgets %d: [%s] %d characters\n", lines, line, (int)strlen(line));
	}
	got = scanf("%d", number);
	printf("scanf at the end: %d, getchar at the end: %d\n", got, getchar());
	free(number);
	free(count);
	free(big);
	free(word);
	free(letter);
	free(line);
	return argc;
}
