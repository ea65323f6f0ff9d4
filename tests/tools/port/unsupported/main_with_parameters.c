/* expect: main_with_parameters.c:4: construct not supported in BPF: main with 3 parameters: a ported program's main is int main(void) or int main(int argc, char **argv) */
#include <stdio.h>

int main(int argc, char **argv, char **environment)
{
	printf("%d %s %s\n", argc, argv[0], environment[0]);
	return 0;
}
