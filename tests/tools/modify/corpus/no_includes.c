void *grow(void *p, unsigned long n)
{
	return realloc(p, n);
}
