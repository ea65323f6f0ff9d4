/* expect: variable_length_array.c:5: construct not supported in BPF: variable-length array 'squares' */
int main(void)
{
	int n = 10;
	int squares[n];
	squares[0] = 1;
	return squares[0];
}
