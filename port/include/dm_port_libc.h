/* SPDX-License-Identifier: MIT */
/*
 * dm_port_libc.h: the libc of a ported program beyond printf and <string.h> (dm_port_runtime.h includes it), each
 * function behaving as glibc's so that the program's output matches its native build byte for byte:
 *
 *   streams      stdout, stderr, stdin: fprintf, fputs, fputc, putc, fflush, perror; dm run writes each record to
 *                its own stream
 *   ending       exit (the status dm run exits with; output stops there), abort and a failed assert (dm run
 *                discards what it still buffers for standard output, as glibc's abort does, and dies of SIGABRT)
 *   numbers      atoi, atol, atoll, strtol, strtoul, strtoll, strtoull (errno ERANGE on overflow)
 *   rand         rand, srand: glibc's TYPE_3 additive feedback generator, so the same seed gives the same numbers
 *   <ctype.h>    the "C" locale's classes and case mappings
 *   input        getchar, getc/fgetc(stdin), fgets(.., stdin), scanf (%d %i %u %x %ld %lu %lld %s %c %%, widths):
 *                dm run's standard input, read whole before the run and copied in DM_PORT_COPY_BYTES at a time
 *   arguments    argv, copied into the heap before main
 *
 * Functions with loops are global subprograms (verified once); pointers travel as 64-bit numbers.
 */
#ifndef DM_PORT_LIBC_H
#define DM_PORT_LIBC_H

#define EOF (-1)
#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 2147483647

/* ---------------------------------------------------------------- errno */

#include "dm_port_errno_numbers.h"
int dm_port_errno;
#define errno dm_port_errno

/* glibc's messages for errno 0 to 34, for perror; rows of a fixed width, so that a row's index is all the verifier
 * has to prove. */
#define DM_PORT_ERROR_MESSAGES 35
#define DM_PORT_ERROR_WIDTH 40
static const char dm_port_error_message[DM_PORT_ERROR_MESSAGES][DM_PORT_ERROR_WIDTH] = {
	"Success",
	"Operation not permitted",
	"No such file or directory",
	"No such process",
	"Interrupted system call",
	"Input/output error",
	"No such device or address",
	"Argument list too long",
	"Exec format error",
	"Bad file descriptor",
	"No child processes",
	"Resource temporarily unavailable",
	"Cannot allocate memory",
	"Permission denied",
	"Bad address",
	"Block device required",
	"Device or resource busy",
	"File exists",
	"Invalid cross-device link",
	"No such device",
	"Not a directory",
	"Is a directory",
	"Invalid argument",
	"Too many open files in system",
	"Too many open files",
	"Inappropriate ioctl for device",
	"Text file busy",
	"File too large",
	"No space left on device",
	"Illegal seek",
	"Read-only file system",
	"Too many links",
	"Broken pipe",
	"Numerical argument out of domain",
	"Numerical result out of range",
};

/* A failed allocation sets errno to ENOMEM, as glibc's malloc does (for perror("malloc")). */
static __attribute__((always_inline)) inline void __arena *dm_port_no_memory_if_null(void __arena *p)
{
	if (!p)
		dm_port_errno = ENOMEM;
	return p;
}
#define static_malloc(size) dm_port_no_memory_if_null(static_malloc(size))
#define static_calloc(count, size) dm_port_no_memory_if_null(static_calloc(count, size))
#define static_realloc(p, size) dm_port_no_memory_if_null(static_realloc(p, size))

/* ---------------------------------------------------------------- streams */

/* A FILE is never dereferenced: stdout, stderr and stdin are small numbers, arena pointers as every pointer of
 * the program is. */
typedef struct dm_port_file FILE;
#define DM_PORT_STDOUT 1
#define DM_PORT_STDERR 2
#define DM_PORT_STDIN 3
#define stdout ((FILE __arena *)(__u64)DM_PORT_STDOUT)
#define stderr ((FILE __arena *)(__u64)DM_PORT_STDERR)
#define stdin ((FILE __arena *)(__u64)DM_PORT_STDIN)
/* the record kind of a stream; standard output for anything else */
#define dm_port_stream_of(stream) ((__u64)(stream) == DM_PORT_STDERR ? DM_PORT_ERROR_TEXT : DM_PORT_TEXT)

/* Standard error is unbuffered in glibc: each call on it ends its record; standard output is sent as it fills. */
static __attribute__((always_inline)) inline void dm_port_end_call(void)
{
	if (dm_port_stream == DM_PORT_ERROR_TEXT)
		dm_port_flush();
}

#define fprintf(stream, ...)                                                                                           \
	({                                                                                                             \
		int dm_port_n = dm_port_printf_to(dm_port_stream_of(stream), __VA_ARGS__);                             \
		dm_port_end_call();                                                                                    \
		dm_port_n;                                                                                             \
	})

static __attribute__((always_inline)) inline int fputs(const char __arena *s, FILE __arena *stream)
{
	dm_port_select(dm_port_stream_of(stream));
	dm_port_put_string((__u64)s);
	dm_port_end_call();
	return 1;
}
static __attribute__((always_inline)) inline int fputc(int c, FILE __arena *stream)
{
	dm_port_select(dm_port_stream_of(stream));
	dm_port_put((char)c);
	dm_port_end_call();
	return (unsigned char)c;
}
#define putc(c, stream) fputc(c, stream)
static __attribute__((always_inline)) inline int fflush(FILE __arena *stream)
{
	dm_port_flush();
	return 0;
}

/* perror(s): "s: message\n" on standard error, or the message alone when s is NULL or empty. */
__attribute__((noinline)) int dm_port_perror(__u64 prefix)
{
	const char __arena *s = (const char __arena *)prefix;
	__u32 row = dm_port_errno >= 0 && dm_port_errno < DM_PORT_ERROR_MESSAGES ? dm_port_errno : 0;

	dm_port_select(DM_PORT_ERROR_TEXT);
	if (s && s[0]) {
		dm_port_put_string(prefix);
		dm_port_put(':');
		dm_port_put(' ');
	}
	if (dm_port_errno < 0 || dm_port_errno >= DM_PORT_ERROR_MESSAGES) { /* glibc: "Unknown error N" */
		struct dm_port_args number = { { (__u64)(__s64)dm_port_errno } };

		dm_port_format(DM_PORT_ERROR_TEXT, (__u64)dm_port_literal("Unknown error %d\n"), &number, 1);
		return 0;
	}
	for (__u32 i = dm_port_opaque(0); i < DM_PORT_ERROR_WIDTH && dm_port_more(0); i++) {
		char c = dm_port_error_message[dm_env_bounded(row, DM_PORT_ERROR_MESSAGES)]
					      [dm_env_bounded(i, DM_PORT_ERROR_WIDTH)];

		if (!c)
			break;
		dm_port_put(c);
	}
	dm_port_put('\n');
	dm_port_flush();
	return 0;
}
#define perror(s) dm_port_perror((__u64)(s))

/* ---------------------------------------------------------------- ending */

/* exit(status): the program ends here with `status`, whatever calls it is in (dm_port_end unwinds them). Output
 * is flushed, as glibc's exit flushes stdio. */
__attribute__((noinline)) int dm_port_exit(int status)
{
	dm_port_end((__u32)status & 0xff);
	return 0;
}
#define exit(status) ((void)dm_port_exit(status))
#define _Exit(status) ((void)dm_port_exit(status))

/* abort(): the program ends here, and dm run dies of SIGABRT, losing what glibc would still have buffered. */
__attribute__((noinline)) int dm_port_abort(void)
{
	dm_port_end(DM_PORT_ABORTED);
	return 0;
}
#define abort() ((void)dm_port_abort())

/* The program's name as glibc's assert prints it: argv[0]'s last component (dm_port_copy_arguments). */
__u64 dm_port_program_name;

/* glibc's message: "NAME: FILE:LINE: FUNCTION: Assertion `EXPRESSION' failed.\n", then abort. main is renamed by
 * the port: its name is said as the program's. */
__attribute__((noinline)) int dm_port_assert_fail(__u64 expression, __u64 file, int line, __u64 function)
{
	struct dm_port_args parts = { { dm_port_program_name, file, (__u64)line, function, expression } };

	if (!dm_port_strncmp(function, (__u64)dm_port_literal("dm_port_main"), (__u64)-1))
		parts.value[3] = (__u64)dm_port_literal("main");
	dm_port_format(DM_PORT_ERROR_TEXT, (__u64)dm_port_literal("%s: %s:%d: %s: Assertion `%s' failed.\n"), &parts,
		       5);
	return dm_port_abort();
}
#ifdef NDEBUG
#define assert(expression) ((void)0)
#else
#define assert(expression)                                                                                             \
	((expression)                                                                                                  \
		 ? (void)0                                                                                             \
		 : (void)dm_port_assert_fail((__u64)dm_port_literal(#expression), (__u64)dm_port_literal(__FILE__),    \
					     __LINE__, (__u64)dm_port_literal(__func__)))
#endif

/* ---------------------------------------------------------------- numbers */

static __attribute__((always_inline)) inline int isspace(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}
static __attribute__((always_inline)) inline int isdigit(int c)
{
	return c >= '0' && c <= '9';
}
static __attribute__((always_inline)) inline int isupper(int c)
{
	return c >= 'A' && c <= 'Z';
}
static __attribute__((always_inline)) inline int islower(int c)
{
	return c >= 'a' && c <= 'z';
}
static __attribute__((always_inline)) inline int isalpha(int c)
{
	return isupper(c) || islower(c);
}
static __attribute__((always_inline)) inline int isalnum(int c)
{
	return isalpha(c) || isdigit(c);
}
static __attribute__((always_inline)) inline int isxdigit(int c)
{
	return isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static __attribute__((always_inline)) inline int iscntrl(int c)
{
	return (c >= 0 && c < ' ') || c == 127;
}
static __attribute__((always_inline)) inline int isprint(int c)
{
	return c >= ' ' && c < 127;
}
static __attribute__((always_inline)) inline int isgraph(int c)
{
	return c > ' ' && c < 127;
}
static __attribute__((always_inline)) inline int ispunct(int c)
{
	return isgraph(c) && !isalnum(c);
}
static __attribute__((always_inline)) inline int isblank(int c)
{
	return c == ' ' || c == '\t';
}
static __attribute__((always_inline)) inline int toupper(int c)
{
	return islower(c) ? c - 'a' + 'A' : c;
}
static __attribute__((always_inline)) inline int tolower(int c)
{
	return isupper(c) ? c - 'A' + 'a' : c;
}

/* The value of a digit in bases up to 36, or 36 for a character that is none. */
static __attribute__((always_inline)) inline __u32 dm_port_digit(int c)
{
	return isdigit(c) ? c - '0' : islower(c) ? c - 'a' + 10 : isupper(c) ? c - 'A' + 10 : 36;
}

/* strtol and its kin: `limit` is the largest magnitude of a positive result (LONG_MAX, ULONG_MAX), `is_signed`
 * whether a negative one is bounded by limit + 1 (strtol) or the magnitude negated (strtoul). */
__attribute__((noinline)) __u64 dm_port_strto(__u64 text, __u64 end, int base, __u64 limit, int is_signed)
{
	const char __arena *s = (const char __arena *)text;
	__u64 i = dm_port_opaque(0), value = dm_port_opaque(0), digits = dm_port_opaque(0);
	int negative = 0, overflow = 0;

	if (base < 0 || base == 1 || base > 36) {
		dm_port_errno = EINVAL;
		if (end)
			*(__u64 __arena *)end = text;
		return 0;
	}
	while (isspace(s[i]) && dm_port_more(0))
		i++;
	if (s[i] == '-' || s[i] == '+')
		negative = s[i++] == '-';
	if ((base == 0 || base == 16) && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
	    dm_port_digit(s[i + 2]) < 16) {
		i += 2;
		base = 16;
	} else if (base == 0) {
		base = s[i] == '0' ? 8 : 10;
	}
	for (; dm_port_digit(s[i]) < (__u32)base && dm_port_more(0); i++, digits++) {
		__u64 d = dm_port_digit(s[i]);

		if (value > (limit + (is_signed && negative) - d) / (__u64)base)
			overflow = 1;
		else
			value = value * (__u64)base + d;
	}
	if (end)
		*(__u64 __arena *)end = digits ? text + i : text;
	if (overflow) {
		dm_port_errno = ERANGE;
		return is_signed ? (negative ? -limit - 1 : limit) : limit;
	}
	return negative ? -value : value;
}
#define DM_PORT_LONG_MAX 9223372036854775807ULL
#define DM_PORT_ULONG_MAX 18446744073709551615ULL
#define strtol(s, end, base) ((long)dm_port_strto((__u64)(s), (__u64)(end), base, DM_PORT_LONG_MAX, 1))
#define strtoll(s, end, base) ((long long)dm_port_strto((__u64)(s), (__u64)(end), base, DM_PORT_LONG_MAX, 1))
#define strtoul(s, end, base) ((unsigned long)dm_port_strto((__u64)(s), (__u64)(end), base, DM_PORT_ULONG_MAX, 0))
#define strtoull(s, end, base) ((unsigned long long)dm_port_strto((__u64)(s), (__u64)(end), base, DM_PORT_ULONG_MAX, 0))
#define atoi(s) ((int)strtol(s, 0, 10))
#define atol(s) strtol(s, 0, 10)
#define atoll(s) strtoll(s, 0, 10)

/* ---------------------------------------------------------------- rand */

/* glibc's random_r with its default state (TYPE_3): 31 words r[i] = r[i - 31] + r[i - 3] (mod 2^32), each result
 * a word without its lowest bit. srandom_r seeds r[0] = seed (1 for 0) and r[i] = 16807 r[i - 1] mod (2^31 - 1)
 * (Schrage's method, in 32 bits), then throws the first 310 results away. The two indices are the front and rear
 * of the window (3 apart); dm_port_rand_seeded says whether srand ran (rand without it is srand(1)'s). */
#define DM_PORT_RAND_WORDS 31
#define DM_PORT_RAND_SEPARATION 3
__s32 dm_port_rand_state[32];
__u32 dm_port_rand_front, dm_port_rand_rear, dm_port_rand_seeded;

__attribute__((noinline)) int dm_port_rand_next(void)
{
	__u32 front = dm_port_rand_front & 31, rear = dm_port_rand_rear & 31, value;

	value = (__u32)dm_port_rand_state[front] + (__u32)dm_port_rand_state[rear];
	dm_port_rand_state[front] = (__s32)value;
	dm_port_rand_front = front + 1 >= DM_PORT_RAND_WORDS ? 0 : front + 1;
	dm_port_rand_rear = rear + 1 >= DM_PORT_RAND_WORDS ? 0 : rear + 1;
	return (int)(value >> 1);
}

__attribute__((noinline)) int dm_port_srand(__u32 seed)
{
	__s32 word = seed ? (__s32)seed : 1;

	dm_port_rand_state[0] = word;
	for (__u32 i = 1; i < DM_PORT_RAND_WORDS; i++) {
		/* C's division, which truncates, on the magnitude: BPF before -mcpu=v4 has no signed division */
		__u64 magnitude = word < 0 ? -(__s64)word : word;
		__s64 high = (__s64)(magnitude / 127773), low = (__s64)(magnitude % 127773);

		if (word < 0) {
			high = -high;
			low = -low;
		}
		word = (__s32)(16807 * low - 2836 * high);
		if (word < 0)
			word += 2147483647;
		dm_port_rand_state[i] = word;
	}
	dm_port_rand_front = DM_PORT_RAND_SEPARATION;
	dm_port_rand_rear = 0;
	dm_port_rand_seeded = 1;
	for (__u32 i = 0; i < 10 * DM_PORT_RAND_WORDS; i++)
		dm_port_rand_next();
	return 0;
}
#define srand(seed) ((void)dm_port_srand(seed))
static __attribute__((always_inline)) inline int rand(void)
{
	if (!dm_port_rand_seeded)
		dm_port_srand(1);
	return dm_port_rand_next();
}

/* ---------------------------------------------------------------- dm run's memory: arguments and input */

struct dm_port_context dm_port_context;
char dm_port_window[DM_PORT_COPY_BYTES]; /* dm run's memory from dm_port_window_at on */
__u64 dm_port_window_at = (__u64)-1;

/* The DM_PORT_COPY_BYTES of dm run's memory at `address` in dm_port_window; 0, or the copy failed. */
__attribute__((noinline)) int dm_port_window_load(__u64 address)
{
	long err;

	if (dm_port_window_at == address)
		return 0;
	err = bpf_copy_from_user(dm_port_window, DM_PORT_COPY_BYTES, (const void *)address);
	dm_port_window_at = err ? (__u64)-1 : address;
	return err;
}

/* ---------------------------------------------------------------- arguments */

char __arena *__arena *dm_port_argv;
__u64 dm_port_argument;
#define DM_PORT_ARGUMENT (*(volatile __u64 *)&dm_port_argument)

/* argv in the heap: the strings, then the pointers (argc of them and a NULL); the program's name for assert.
 * 0 when the heap is too small for them (dm run reports it). */
__attribute__((noinline)) int dm_port_copy_arguments(void)
{
	__u64 bytes = dm_port_context.arguments_bytes, argc = dm_port_context.argc;
	char __arena *text = static_malloc(bytes + 1);
	char __arena *__arena *argv = static_malloc((argc + 1) * sizeof(char __arena *));

	if (!text || !argv) {
		dm_port_fail(0, DM_PORT_NO_ARGUMENTS, bytes, 0);
		return 0;
	}
	for (__u64 i = dm_port_opaque(0); i < bytes && dm_port_more(0); i++) {
		if (dm_port_window_load(dm_port_context.arguments + (i & ~(__u64)(DM_PORT_COPY_BYTES - 1))))
			break;
		text[i] = dm_port_window[i & (DM_PORT_COPY_BYTES - 1)];
	}
	text[bytes] = 0;
	dm_port_program_name = (__u64)text;
	DM_PORT_ARGUMENT = 0; /* in memory: counted in a register, the verifier would follow each count */
	for (__u64 i = dm_port_opaque(0); i < bytes && DM_PORT_ARGUMENT < argc && dm_port_more(0); i++) {
		if (i == 0 || !text[i - 1])
			argv[DM_PORT_ARGUMENT++] = text + i;
		if (text[i] == '/' && DM_PORT_ARGUMENT == 1)
			dm_port_program_name = (__u64)(text + i + 1);
	}
	argv[argc] = 0;
	dm_port_argv = argv;
	return 1;
}

/* ---------------------------------------------------------------- input */

__u64 dm_port_input_at; /* characters of the input read */
#if DM_PORT_READS_INPUT /* the port saw a call of an input function: dm run reads its standard input for it */
const char dm_port_reads_input SEC(".rodata.dm_port_in") = 1;
#endif

/* The next character of the input without reading it, or EOF. */
static __attribute__((always_inline)) inline int dm_port_peek(void)
{
	__u64 at = dm_port_input_at;

	if (at >= dm_port_context.input_bytes)
		return EOF;
	if (dm_port_window_load(dm_port_context.input + (at & ~(__u64)(DM_PORT_COPY_BYTES - 1))))
		return EOF;
	return (unsigned char)dm_port_window[at & (DM_PORT_COPY_BYTES - 1)];
}

__attribute__((noinline)) int dm_port_getchar(void)
{
	int c = dm_port_peek();

	if (c != EOF)
		dm_port_input_at++;
	return c;
}
#define getchar() dm_port_getchar()
#define dm_port_stream_is_stdin(stream) ((__u64)(stream) == DM_PORT_STDIN)
#define getc(stream) (dm_port_stream_is_stdin(stream) ? dm_port_getchar() : EOF)
#define fgetc(stream) getc(stream)

/* fgets(s, size, stdin): a line with its '\n', at most size - 1 characters; NULL at the end of the input. */
__attribute__((noinline)) __u64 dm_port_fgets(__u64 buffer, int size)
{
	char __arena *s = (char __arena *)buffer;
	int n = dm_port_opaque(0), c = 0;

	if (size <= 0)
		return 0;
	while (n < size - 1 && dm_port_more(0)) {
		c = dm_port_getchar();
		if (c == EOF)
			break;
		s[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0 && c == EOF)
		return 0;
	s[n] = 0;
	return buffer;
}
#define fgets(s, size, stream) ((char __arena *)(dm_port_stream_is_stdin(stream) ? dm_port_fgets((__u64)(s), size) : 0))

/* scanf's state in memory, for the same reason as the formatter's (dm_port_formatting). */
struct dm_port_scanning {
	__u32 at, assigned, width, longs, shorts, skip, digits, negative, base, any_input;
	__u64 value;
};
struct dm_port_scanning dm_port_s;
#define DM_PORT_S (*(volatile struct dm_port_scanning *)&dm_port_s)

static __attribute__((always_inline)) inline void dm_port_skip_space(void)
{
	while (isspace(dm_port_peek()) && dm_port_more(0))
		dm_port_input_at++;
}

/* An integer in DM_PORT_S.base (0: as strtol's base 0), at most DM_PORT_S.width characters: 1 when it had
 * digits. The sign and a 0x prefix count in the width, as in glibc. */
__attribute__((noinline)) int dm_port_scan_integer(void)
{
	int c;

	DM_PORT_S.value = DM_PORT_S.negative = DM_PORT_S.digits = 0;
	dm_port_skip_space();
	c = dm_port_peek();
	if ((c == '-' || c == '+') && DM_PORT_S.width) {
		DM_PORT_S.negative = c == '-';
		dm_port_input_at++;
		DM_PORT_S.width--;
	}
	if (DM_PORT_S.base == 0 || DM_PORT_S.base == 16) {
		if (dm_port_peek() == '0' && DM_PORT_S.width) {
			dm_port_input_at++;
			DM_PORT_S.width--;
			DM_PORT_S.digits = 1;
			if ((dm_port_peek() == 'x' || dm_port_peek() == 'X') && DM_PORT_S.width) {
				dm_port_input_at++;
				DM_PORT_S.width--;
				DM_PORT_S.base = 16;
			} else if (DM_PORT_S.base == 0) {
				DM_PORT_S.base = 8;
			}
		} else if (DM_PORT_S.base == 0) {
			DM_PORT_S.base = 10;
		}
	}
	while (DM_PORT_S.width && dm_port_digit(dm_port_peek()) < DM_PORT_S.base && dm_port_more(0)) {
		DM_PORT_S.value = DM_PORT_S.value * DM_PORT_S.base + dm_port_digit(dm_port_peek());
		dm_port_input_at++;
		DM_PORT_S.width--;
		DM_PORT_S.digits = 1;
	}
	if (DM_PORT_S.negative)
		DM_PORT_S.value = -DM_PORT_S.value;
	return DM_PORT_S.digits;
}

/* scanf(format, pointers...): conversions %d %i %u %x %o %c %s %% with a width and the modifiers hh h l ll z; '*'
 * suppresses an assignment; white space in the format skips white space in the input. Returns the conversions
 * assigned, or EOF when the input ended before the first. */
__attribute__((noinline)) int dm_port_scan(__u64 format, struct dm_port_args *args, int count)
{
	const char __arena *f = (const char __arena *)format;
	__u32 i;

	if (!args || !f)
		return 0;
	DM_PORT_S.at = DM_PORT_S.assigned = DM_PORT_S.any_input = 0;
	for (i = dm_port_opaque(0); f[i] && dm_port_more(0); i++) {
		char c = f[i];
		__u64 target;

		if (isspace(c)) {
			dm_port_skip_space();
			continue;
		}
		if (c != '%' || f[i + 1] == '%') {
			if (c == '%')
				i++;
			if (c == '%')
				dm_port_skip_space();
			if (dm_port_peek() != (unsigned char)c)
				break;
			dm_port_input_at++;
			continue;
		}
		c = f[++i];
		DM_PORT_S.skip = c == '*';
		if (DM_PORT_S.skip)
			c = f[++i];
		DM_PORT_S.width = 0;
		for (; isdigit(c) && dm_port_more(0); c = f[++i])
			DM_PORT_S.width = DM_PORT_S.width * 10 + (__u32)(c - '0');
		DM_PORT_S.longs = DM_PORT_S.shorts = 0;
		for (; (c == 'l' || c == 'z' || c == 'h' || c == 'j') && dm_port_more(0); c = f[++i]) {
			if (c == 'h')
				DM_PORT_S.shorts++;
			else
				DM_PORT_S.longs++;
		}
		if (c != 'c' && c != 'n')
			dm_port_skip_space();
		if (dm_port_peek() == EOF && c != 'n')
			break;
		DM_PORT_S.any_input = 1;
		target = DM_PORT_S.skip || DM_PORT_S.at >= (__u32)count
				 ? 0
				 : args->value[dm_env_bounded(DM_PORT_S.at, DM_PORT_MAX_ARGS)];
		if (!DM_PORT_S.skip)
			DM_PORT_S.at++;
		if (c == 'c' || c == 's') {
			char __arena *s = (char __arena *)target;
			__u32 n = dm_port_opaque(0), limit = DM_PORT_S.width ? DM_PORT_S.width
							     : c == 'c'      ? 1
									     : (__u32)-1;

			for (; n < limit && dm_port_peek() != EOF && (c == 'c' || !isspace(dm_port_peek())) &&
			       dm_port_more(0);
			     n++) {
				if (s)
					s[n] = (char)dm_port_peek();
				dm_port_input_at++;
			}
			if (c == 's' && s)
				s[n] = 0;
		} else if (c == 'n') {
			if (target)
				*(int __arena *)target = (int)dm_port_input_at;
			continue;
		} else {
			DM_PORT_S.base = c == 'd' || c == 'u' ? 10 : c == 'x' || c == 'X' ? 16 : c == 'o' ? 8 : 0;
			if (!DM_PORT_S.width)
				DM_PORT_S.width = (__u32)-1;
			if (!dm_port_scan_integer())
				break;
			if (target && DM_PORT_S.longs)
				*(__u64 __arena *)target = DM_PORT_S.value;
			else if (target && DM_PORT_S.shorts == 1)
				*(__u16 __arena *)target = (__u16)DM_PORT_S.value;
			else if (target && DM_PORT_S.shorts >= 2)
				*(__u8 __arena *)target = (__u8)DM_PORT_S.value;
			else if (target)
				*(__u32 __arena *)target = (__u32)DM_PORT_S.value;
		}
		if (!DM_PORT_S.skip)
			DM_PORT_S.assigned++;
	}
	return !DM_PORT_S.assigned && !DM_PORT_S.any_input && dm_port_peek() == EOF ? EOF : (int)DM_PORT_S.assigned;
}
#define dm_port_scanf_args(format, ...)                                                                                \
	({                                                                                                             \
		struct dm_port_args dm_port_a = { { DM_PORT_MAP(DM_PORT_U64, __VA_ARGS__) } };                         \
		dm_port_scan((__u64)(format), &dm_port_a, DM_PORT_COUNT(__VA_ARGS__));                                 \
	})
#define scanf(format, ...) dm_port_scanf_args(format, __VA_ARGS__)

#endif
