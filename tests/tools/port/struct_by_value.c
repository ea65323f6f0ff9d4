/* Structs and unions passed and returned by value (issue 19, 5: the BPF backend failed with an LLVM internal message,
 * `GlobalAddress<ptr @func_1...`): dm port inlines the functions that do, so that no call passes one. */
#include <stdio.h>

struct point {
	int x, y;
};
typedef struct {
	long low, high;
} range;
union word {
	unsigned int whole;
	unsigned char bytes[4];
};

static struct point moved(struct point p, int dx, int dy)
{
	p.x += dx;
	p.y += dy;
	return p;
}

static range widen(range r, long by);

static range widen(range r, long by)
{
	return (range){ r.low - by, r.high + by };
}

union word flipped(union word w)
{
	w.whole = ~w.whole;
	return w;
}

int main(void)
{
	struct point p = { 1, 2 };
	range r = { 10, 20 };
	union word w = { 0x12345678u };

	for (int i = 0; i < 5; i++) {
		p = moved(p, i, -i);
		r = widen(r, i);
	}
	w = flipped(w);
	printf("point (%d, %d), range [%ld, %ld], word %x byte %u\n", p.x, p.y, r.low, r.high, w.whole, w.bytes[0]);
	return 0;
}
