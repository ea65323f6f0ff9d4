/* expect: function_pointer.c:5: construct not supported in BPF: function pointers */
static int twice(int x) { return 2 * x; }
int main(void)
{
	int (*f)(int) = twice;
	return f(2);
}
