/* expect: header_outside_subset.c:2: construct not supported in BPF: #include <math.h>: the libc of ported programs is stdio.h */
#include <math.h>
int main(void) { return 0; }
