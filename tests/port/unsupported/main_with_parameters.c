/* expect: main_with_parameters.c:4: construct not supported in BPF: main with parameters: a ported program has no command line */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("%d %s\n", argc, argv[0]);
	return 0;
}
