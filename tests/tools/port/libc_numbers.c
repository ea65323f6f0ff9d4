/* dm port's libc against glibc: strtol & co (bases, signs, overflow, end pointers), atoi, <ctype.h>, errno and
 * perror, <inttypes.h> and <limits.h>, and rand's sequence for several seeds. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

float never_used_scale; /* declared, never used: no refusal */

/* strtol or strtoul (is_unsigned) of text in base, with where it stopped and errno */
static void show(const char *text, int base, int is_unsigned)
{
	char **end = malloc(sizeof(char *));

	if (!end)
		return;
	errno = 0;
	if (is_unsigned)
		printf("strtoul(\"%s\", %d) = %lu", text, base, strtoul(text, end, base));
	else
		printf("strtol(\"%s\", %d) = %ld", text, base, strtol(text, end, base));
	printf(", rest \"%s\", errno %d\n", *end, errno);
	free(end);
}

int main(void)
{
	const char *classes = "aZ5 \t\n_!~\x7f";
	unsigned int seeds[] = { 0, 1, 2, 42, 12345, 2147483647, 2147483648u, 4294967295u };
	int i, j;

	show("  -1234xyz", 10, 0);
	show("+77", 0, 0);
	show("0x1fZ", 0, 0);
	show("0x", 16, 0);
	show("0755", 0, 0);
	show("zz", 36, 0);
	show("9223372036854775807", 10, 0);
	show("9223372036854775808", 10, 0);
	show("-9223372036854775808", 10, 0);
	show("-99999999999999999999", 10, 0);
	show("nothing", 10, 0);
	show("18446744073709551615", 10, 1);
	show("18446744073709551616", 10, 1);
	show("-1", 10, 1);
	show("ff", 16, 1);
	printf("atoi %d %d %d, atol %ld, atoll %lld\n", atoi("42abc"), atoi("  -7"), atoi("x"), atol("123456789012"),
	       atoll("-5"));
	errno = ERANGE;
	perror("after an overflow");
	errno = 0;
	perror(NULL);
	errno = EINVAL;
	perror("");
	for (i = 0; classes[i]; i++) {
		printf("%3d: alpha %d digit %d space %d upper %d lower %d alnum %d", classes[i],
		       isalpha(classes[i]) != 0, isdigit(classes[i]) != 0, isspace(classes[i]) != 0,
		       isupper(classes[i]) != 0, islower(classes[i]) != 0, isalnum(classes[i]) != 0);
		printf(" punct %d print %d graph %d cntrl %d xdigit %d blank %d -> %d %d\n", ispunct(classes[i]) != 0,
		       isprint(classes[i]) != 0, isgraph(classes[i]) != 0, iscntrl(classes[i]) != 0,
		       isxdigit(classes[i]) != 0, isblank(classes[i]) != 0, toupper(classes[i]), tolower(classes[i]));
	}
	printf("INT_MAX %d INT_MIN %d LONG_MAX %ld UINT_MAX %u CHAR_BIT %d\n", INT_MAX, INT_MIN, LONG_MAX, UINT_MAX,
	       CHAR_BIT);
	printf("%" PRId64 " %" PRIu32 " %" PRIx64 "\n", (int64_t)-5, (uint32_t)4000000000u, (uint64_t)0xabcdef);
	i = rand();
	printf("rand without srand: %d %d\n", i, rand());
	for (i = 0; i < 8; i++) {
		srand(seeds[i]);
		printf("seed %u:", seeds[i]);
		for (j = 0; j < 5; j++)
			printf(" %d", rand());
		printf("\n");
	}
	srand(7);
	for (i = 0, j = 0; i < 100000; i++)
		j ^= rand();
	printf("100000 draws after srand(7): xor %d, RAND_MAX %d\n", j, RAND_MAX);
	return EXIT_SUCCESS;
}
