/* expect: pointer_to_function_pointer.c:7: construct not supported in BPF: a pointer to a function pointer */
static int twice(int x) { return 2 * x; }

int main(void)
{
	int (*f)(int) = twice;
	int (**to_f)(int) = &f;

	return (*to_f)(2);
}
