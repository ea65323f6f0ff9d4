/* Initialised local arrays above 256 bytes (issue 19, 6: a 280-byte one was refused): dm port moves them to static
 * storage and copies the initialiser again at each pass through the declaration, as a local array would get it. */
#include <stdio.h>

static int sum_and_spoil(int round)
{
	int primes[70] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29 }; /* 280 bytes, the rest zero */
	char words[300] = "initialised again at every call";
	int sum = 0;

	for (int i = 0; i < 70; i++)
		sum += primes[i];
	for (int i = 0; i < 70; i++)
		primes[i] = round; /* the next call must see the initialiser again, not this */
	words[0] = (char)('A' + round);
	printf("round %d: sum %d, %c%c%c\n", round, sum, words[0], words[1], words[30]);
	return sum;
}

int main(void)
{
	long table[8][8] = { { 1, 2, 3 }, { 4, 5 }, [7] = { [7] = 64 } }; /* 512 bytes */
	int total = 0;

	for (int round = 0; round < 3; round++)
		total += sum_and_spoil(round);
	printf("table %ld %ld %ld, total %d\n", table[0][2], table[1][0], table[7][7], total);
	return total == 3 * 129 ? 0 : 1;
}
