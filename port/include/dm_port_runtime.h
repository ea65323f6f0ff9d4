/* SPDX-License-Identifier: MIT */
/*
 * dm_port_runtime.h: what a C program ported by `dm port` runs on in the kernel. port/port.py rewrites the program
 * (see its header) so that it calls only what is defined here; `dm run` loads the object, runs dm_arena_init, then
 * dm_port_run once, and prints the ring buffer dm_port_output as the program's standard output.
 *
 *   - The heap is dynamic_memory's arena heap: every pointer of the program is an `__arena` pointer.
 *   - main is called by the syscall program dm_port_run, whose return value is main's.
 *   - printf/puts/putchar (standard output) and fprintf/fputs/fputc/perror (standard error too) format into
 *     dm_port_text and send it, one record per call and stream, through the ring buffer; dm run writes each record
 *     to its own stream.
 *   - The rest of the libc a ported program may use (exit, abort, assert, strtol, rand, <ctype.h>, scanf, ...) is
 *     dm_port_libc.h.
 *   - A failure (heap exhausted at an unchecked allocation, a loop past the verifier's budget, an index outside a
 *     fixed-size array) sends a failure record, which dm run reports as `FILE:LINE: ...` and exits 70 on, and ends
 *     the program where it is, as exit() and abort() do (dm_port_end: bpf_throw unwinds every call).
 */
#ifndef DM_PORT_RUNTIME_H
#define DM_PORT_RUNTIME_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define DM_HEAP_ARENA
#include "dynamic_memory.h"
#include "dm_port_records.h"

#ifndef DM_PORT_OUTPUT_BYTES
#define DM_PORT_OUTPUT_BYTES (1 << 22)
#endif
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, DM_PORT_OUTPUT_BYTES);
} dm_port_output SEC(".maps");

#define DM_PORT_TEXT_BYTES 1024 /* one record; a longer printf is sent in several */
char dm_port_text[DM_PORT_TEXT_BYTES];
__u32 dm_port_length = 1;            /* dm_port_text[0] is the record kind */
__u32 dm_port_stream = DM_PORT_TEXT; /* the stream dm_port_text is for: DM_PORT_TEXT or DM_PORT_ERROR_TEXT */
__u32 dm_port_lost;                  /* records the ring buffer had no room for: dm run says so */
__u64 dm_port_written;               /* characters output so far: what printf returns is the difference */

__attribute__((noinline)) int dm_port_flush(void)
{
	__u32 length = dm_port_length;

	if (length > 1) {
		dm_port_text[0] = (char)dm_port_stream;
		if (bpf_ringbuf_output(&dm_port_output, dm_port_text, length & (DM_PORT_TEXT_BYTES - 1), 0))
			dm_port_lost++;
	}
	dm_port_length = 1;
	return 0;
}

static __attribute__((always_inline)) inline void dm_port_put(char c)
{
	if (dm_port_length >= DM_PORT_TEXT_BYTES - 1)
		dm_port_flush();
	dm_port_text[dm_port_length & (DM_PORT_TEXT_BYTES - 1)] = c;
	dm_port_length++;
	dm_port_written++;
}

/* Output goes to `stream` (DM_PORT_TEXT: standard output, DM_PORT_ERROR_TEXT: standard error) from here on. */
static __attribute__((always_inline)) inline void dm_port_select(__u32 stream)
{
	if (stream != dm_port_stream)
		dm_port_flush();
	dm_port_stream = stream;
}

/* The program ends here, wherever here is (a failure, exit, abort): the output so far is sent, then bpf_throw (6.7+;
 * the arena heap needs 6.9 anyway) unwinds every call and dm_port_run returns `result` as if main had: its exit
 * status and flags (dm_port_records.h). The verifier follows no path past it, so a failure cannot leave a loop
 * running on a number it could not bound (each pass a new state). */
extern void bpf_throw(__u64 cookie) __ksym;
static __attribute__((always_inline)) inline void dm_port_end(__u32 result)
{
	dm_port_flush();
	bpf_throw(result | (dm_port_lost ? DM_PORT_OUTPUT_LOST : 0));
}

__attribute__((noinline)) int dm_port_fail(__u32 line, __u32 kind, __u64 value, __u32 bound)
{
	struct dm_port_failure failure = {
		.record = DM_PORT_FAILURE, .line = line, .kind = kind, .bound = bound, .value = value
	};

	dm_port_flush();
	if (bpf_ringbuf_output(&dm_port_output, &failure, sizeof(failure), 0))
		dm_port_lost++;
	dm_port_end(0);
	return 0;
}

/* The condition every loop of the program gets: a failure when the verifier's loop budget (can_loop) runs out,
 * rather than a silent early exit. */
#define dm_port_more(line) (can_loop ? 1 : dm_port_fail(line, DM_PORT_LOOP_LIMIT, 0, 0))

/* A number the verifier cannot know: loops that start from it are checked in one pass (see port/port.py). */
__u64 dm_port_unknown_zero;
#define dm_port_opaque(x)                                                                                              \
	((x) + *(volatile __u64 *)&dm_port_unknown_zero) /* 64 unknown bits: any arithmetic stays unknown */

/* An index into a fixed-size array of the program's own (not heap memory): proven below `length`. */
static __attribute__((always_inline)) inline __u32 dm_port_index(__u64 index, __u32 length, __u32 line)
{
	if (index >= length) {
		dm_port_fail(line, DM_PORT_BAD_INDEX, index, length);
		return 0;
	}
	return dm_env_bounded((__u32)index, length);
}

/* Recursion (port/port.py, recursion_as_loops): a recursive function keeps its frames in a stack on the heap, made at
 * its first call and doubled when full (from 16 frames): at depth 0 (no stack yet) and at each power of two from 16.
 * When the heap has no room, the program ends with `FILE:LINE: recursion deeper than the heap allows`. A global
 * function (verified once) returning the stack as a number: a global function cannot return a pointer. A new block
 * comes from static_calloc, not static_malloc: the heap itself, not its small-block caches, whose refill is one call
 * deeper; BPF allows 8 frames from dm_port_run to the heap's deepest, and the program's own calls count. */
__attribute__((noinline)) __u64 dm_port_frames(__u64 stack, __u64 depth, __u64 frame_bytes, int line)
{
	if (stack && (depth < 16 || (depth & (depth - 1))))
		return stack;
	stack = stack ? (__u64)static_realloc((void __arena *)stack, 2 * depth * frame_bytes)
		      : (__u64)static_calloc(16, frame_bytes);
	if (!stack)
		dm_port_fail((__u32)line, DM_PORT_RECURSION, depth, 0);
	return stack;
}
/* The locals of one activation whose address is taken: a block of their own, which never moves (from the heap
 * itself, as the frames). */
__attribute__((noinline)) __u64 dm_port_home(__u64 bytes, int line)
{
	__u64 home = (__u64)static_calloc(1, bytes);

	if (!home)
		dm_port_fail((__u32)line, DM_PORT_RECURSION, 0, 0);
	return home;
}
static __attribute__((always_inline)) inline void dm_port_frames_free(__u64 stack)
{
	static_free((void __arena *)stack);
}
/* The depth of a recursive function's stack, unknown to the verifier: were it followed, it would differ at every
 * call and the verifier would walk the recursion call by call. */
static __attribute__((always_inline)) inline __u64 dm_port_unknown(__u64 value)
{
	return dm_port_opaque(value);
}

/* A local that port/port.py moved to static storage (an array too large for the stack, or a variable whose
 * address the program takes, in the arena) gets its initial value again at its declaration, as a local would: a byte
 * at a time (volatile: clang would make it a memcpy call, which BPF lacks), from an unknown start so that the
 * verifier checks one pass of the loop, the index proven on the register used. dm_port_initialise copies a constant
 * initialiser kept beside the program; dm_port_zero clears one whose parts port/port.py then assigns (an
 * initialiser with addresses, or the heap's copies of string literals, in it). */
#define dm_port_copy_bytes(to, from)                                                                                   \
	({                                                                                                             \
		volatile char *dm_port_to = (volatile char *)&(to);                                                    \
		const volatile char *dm_port_from = (const volatile char *)&(from);                                    \
		for (__u64 dm_port_i = dm_port_opaque(0); dm_port_i < sizeof(to) && dm_port_more(0); dm_port_i++)      \
			dm_port_to[dm_env_bounded(dm_port_i, sizeof(to))] =                                            \
				dm_port_from[dm_env_bounded(dm_port_i, sizeof(to))];                                   \
	})
#define dm_port_initialise(variable, ...)                                                                              \
	({                                                                                                             \
		static const __typeof_unqual__(variable) dm_port_initial __attribute__((used)) = __VA_ARGS__;          \
		dm_port_copy_bytes(variable, dm_port_initial);                                                         \
	})
/* A struct or union read from or written to arena memory (port/port.py, copy_records): clang 19 expands a struct
 * copy into loads and stores that lack the arena cast, so the copy is made a byte at a time, through the stack. */
#define dm_port_record_value(...) /* an lvalue, a compound literal's commas included */                                \
	({                                                                                                             \
		__typeof_unqual__(__VA_ARGS__) dm_port_value;                                                          \
		dm_port_copy_bytes(dm_port_value, (__VA_ARGS__));                                                      \
		dm_port_value;                                                                                         \
	})
#define dm_port_store_record(lvalue, ...)                                                                              \
	({                                                                                                             \
		__typeof_unqual__(lvalue) dm_port_value = (__VA_ARGS__);                                               \
		dm_port_copy_bytes(lvalue, dm_port_value);                                                             \
		dm_port_value;                                                                                         \
	})

/* clang-format off: clang-format 14 does not indent the body of a loop in a macro */
#define dm_port_zero(variable)                                                                                         \
	for (__u64 dm_port_i = dm_port_opaque(0); dm_port_i < sizeof(variable) && dm_port_more(0); dm_port_i++)        \
	((volatile char *)&(variable))[dm_env_bounded(dm_port_i, sizeof(variable))] = 0
/* clang-format on */

/* A pointer to a function of the program: its number (port/port.py numbers them; 0 is NULL). A call through one
 * is a call of dm_port_call_K, a switch over the program's functions of its type. A number: it travels to global
 * functions and lives in the heap like any other. */
typedef unsigned long dm_port_function;

/* A parameter whose address the program takes: port/port.py renames it dm_port_arg_NAME, and NAME is a static
 * local in the arena that starts with its value (copied a byte at a time: a struct may have const members). */
#define dm_port_parameter(name)                                                                                        \
	static __typeof_unqual__(dm_port_arg_##name) __arena name __attribute__((used));                               \
	dm_port_copy_bytes(name, dm_port_arg_##name)

/* The globals initialised with what exists only once the program runs (addresses, string literals' copies on the
 * heap): port/port.py writes their initialisation into this function, at the end of the program. */
static void dm_port_start(void);

/* An allocation whose result the program uses without a NULL check: NULL ends the program. */
#define dm_port_checked(call, function, line)                                                                          \
	({                                                                                                             \
		__typeof__(call) dm_port_result = (call);                                                              \
		if (!dm_port_result)                                                                                   \
			dm_port_fail(line, DM_PORT_NO_MEMORY, function, 0);                                            \
		dm_port_result;                                                                                        \
	})

/* A string literal copied once into the heap, so that every string the program handles is heap memory. The copy
 * has a constant size, so clang expands it into loads and stores the verifier checks in one pass, no loop; its
 * destination is cast to the kernel's view first (clang 19 expands copies to `__arena` pointers without the cast). */
static __attribute__((always_inline)) inline char *dm_port_kernel_view(char __arena *p)
{
	__u64 address = (__u64)p;

	asm volatile("%0 = addr_space_cast(%0, 0, 1)" : "+r"(address));
	return (char *)address;
}
#define dm_port_literal(s)                                                                                             \
	({                                                                                                             \
		static char __arena *dm_port_copy;                                                                     \
		if (!dm_port_copy) {                                                                                   \
			dm_port_copy = static_malloc(sizeof(s));                                                       \
			if (dm_port_copy)                                                                              \
				__builtin_memcpy(dm_port_kernel_view(dm_port_copy), s, sizeof(s));                     \
		}                                                                                                      \
		dm_port_copy;                                                                                          \
	})

/* printf: the arguments travel as 64-bit numbers; the format says what they are. */
#define DM_PORT_MAX_ARGS 12
struct dm_port_args {
	__u64 value[DM_PORT_MAX_ARGS];
};
/* A printf of at most four arguments (most of them) assigns them here once all are evaluated (an
 * argument may itself print), rather than building them in a struct on its caller's stack: 96 bytes a function that
 * prints would hold of the 512 the BPF stack has for a whole chain of calls (Csmith's programs went past it). With
 * more arguments, the struct on the stack: assigned here, they made a program of tests/tools/port/ (libc_numbers)
 * pass the verifier's limit (measured on 6.12; the cause not found). */
struct dm_port_args dm_port_few_args;

/* The formatter keeps its counters in memory, not in registers: the verifier then sees the same state at every turn
 * of a loop and checks one pass of it, instead of following each count (which never ends, for a format). */
struct dm_port_formatting {
	__u64 value;
	__u32 at, used, width, left, zero, longs, shorts, digits;
	__s32 pad;
	char digit[32]; /* 2^64 - 1 has 20 decimal digits */
};
struct dm_port_formatting dm_port_f;
#define DM_PORT_F (*(volatile struct dm_port_formatting *)&dm_port_f)

static __attribute__((always_inline)) inline void dm_port_put_string(__u64 address)
{
	const char __arena *s = (const char __arena *)address;

	if (!s)
		return;
	for (DM_PORT_F.at = 0; s[DM_PORT_F.at] && dm_port_more(0); DM_PORT_F.at++)
		dm_port_put(s[DM_PORT_F.at]);
}

/* %s and %c with a width: spaces before, or after with '-'. */
static __attribute__((noinline)) int dm_port_put_padded(__u64 address, char c)
{
	const char __arena *s = (const char __arena *)address;

	DM_PORT_F.at = 0;
	if (c == 's')
		for (; s && s[DM_PORT_F.at] && dm_port_more(0); DM_PORT_F.at++)
			;
	DM_PORT_F.pad = (__s32)DM_PORT_F.width - (__s32)(c == 's' ? DM_PORT_F.at : 1);
	for (; !DM_PORT_F.left && DM_PORT_F.pad > 0 && dm_port_more(0); DM_PORT_F.pad--)
		dm_port_put(' ');
	if (c == 's')
		dm_port_put_string(address);
	else
		dm_port_put((char)address);
	for (; DM_PORT_F.left && DM_PORT_F.pad > 0 && dm_port_more(0); DM_PORT_F.pad--)
		dm_port_put(' ');
	return 0;
}

/* DM_PORT_F.value in `base`, negative when `negative`, padded to DM_PORT_F.width. */
static __attribute__((noinline)) int dm_port_put_number(int negative, __u32 base, int upper)
{
	DM_PORT_F.digits = 0;
	do {
		__u32 d = (__u32)(DM_PORT_F.value % base);

		DM_PORT_F.digit[DM_PORT_F.digits & 31] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
		DM_PORT_F.value /= base;
		DM_PORT_F.digits++;
	} while (DM_PORT_F.value && DM_PORT_F.digits < 32 && dm_port_more(0));
	DM_PORT_F.pad = (__s32)DM_PORT_F.width - (__s32)DM_PORT_F.digits - negative;
	if (negative && DM_PORT_F.zero)
		dm_port_put('-');
	for (; !DM_PORT_F.left && DM_PORT_F.pad > 0 && dm_port_more(0); DM_PORT_F.pad--)
		dm_port_put(DM_PORT_F.zero ? '0' : ' ');
	if (negative && !DM_PORT_F.zero)
		dm_port_put('-');
	while (DM_PORT_F.digits > 0 && dm_port_more(0)) {
		DM_PORT_F.digits--;
		dm_port_put(DM_PORT_F.digit[DM_PORT_F.digits & 31]);
	}
	for (; DM_PORT_F.left && DM_PORT_F.pad > 0 && dm_port_more(0); DM_PORT_F.pad--)
		dm_port_put(' ');
	return 0;
}

/* Formats %d %i %u %x %X %c %s %% with flags '-' and '0', a width, and the length modifiers hh h l ll z (dm port
 * refuses other conversions at port time). Global, so that the verifier checks it once for every printf. */
__attribute__((noinline)) int dm_port_format(__u32 stream, __u64 format, struct dm_port_args *args, int count)
{
	const char __arena *f = (const char __arena *)format;
	__u64 start = dm_port_written;
	__u32 i;

	if (!args || !f)
		return 0;
	dm_port_select(stream);
	DM_PORT_F.used = 0;
	for (i = 0; f[i] && dm_port_more(0); i++) {
		char c = f[i];

		if (c != '%') {
			dm_port_put(c);
			continue;
		}
		DM_PORT_F.left = DM_PORT_F.zero = DM_PORT_F.width = DM_PORT_F.longs = DM_PORT_F.shorts = 0;
		for (c = f[++i]; (c == '-' || c == '0') && dm_port_more(0); c = f[++i]) {
			if (c == '-')
				DM_PORT_F.left = 1;
			else
				DM_PORT_F.zero = 1;
		}
		for (; c >= '0' && c <= '9' && dm_port_more(0); c = f[++i])
			DM_PORT_F.width = DM_PORT_F.width * 10 + (__u32)(c - '0');
		for (; (c == 'l' || c == 'z' || c == 'h') && dm_port_more(0); c = f[++i]) {
			if (c == 'h')
				DM_PORT_F.shorts++;
			else
				DM_PORT_F.longs++;
		}
		if (c == '%') {
			dm_port_put('%');
			continue;
		}
		DM_PORT_F.value = DM_PORT_F.used < (__u32)count
					  ? args->value[dm_env_bounded(DM_PORT_F.used, DM_PORT_MAX_ARGS)]
					  : 0;
		DM_PORT_F.used++;
		if (c == 'd' || c == 'i') { /* an int travelled sign-extended: take the bits the modifiers say */
			__s64 v = DM_PORT_F.longs         ? (__s64)DM_PORT_F.value
				  : DM_PORT_F.shorts == 1 ? (__s16)DM_PORT_F.value
				  : DM_PORT_F.shorts == 2 ? (__s8)DM_PORT_F.value
							  : (__s32)DM_PORT_F.value;

			DM_PORT_F.value = v < 0 ? -(__u64)v : (__u64)v;
			dm_port_put_number(v < 0, 10, 0);
			continue;
		}
		if (!DM_PORT_F.longs)
			DM_PORT_F.value = DM_PORT_F.shorts == 1   ? (__u16)DM_PORT_F.value
					  : DM_PORT_F.shorts == 2 ? (__u8)DM_PORT_F.value
								  : (__u32)DM_PORT_F.value;
		if (c == 'u')
			dm_port_put_number(0, 10, 0);
		else if (c == 'x' || c == 'X')
			dm_port_put_number(0, 16, c == 'X');
		else if (c == 'c' || c == 's')
			dm_port_put_padded(DM_PORT_F.value, c);
	}
	dm_port_flush();
	return (int)(dm_port_written - start);
}

/* Up to DM_PORT_MAX_ARGS arguments, each made a 64-bit number (pointers keep their arena address). */
#define DM_PORT_U64(x) ((__u64)(x))
#define DM_PORT_MAP1(m, x) m(x)
#define DM_PORT_MAP2(m, x, ...) m(x), DM_PORT_MAP1(m, __VA_ARGS__)
#define DM_PORT_MAP3(m, x, ...) m(x), DM_PORT_MAP2(m, __VA_ARGS__)
#define DM_PORT_MAP4(m, x, ...) m(x), DM_PORT_MAP3(m, __VA_ARGS__)
#define DM_PORT_MAP5(m, x, ...) m(x), DM_PORT_MAP4(m, __VA_ARGS__)
#define DM_PORT_MAP6(m, x, ...) m(x), DM_PORT_MAP5(m, __VA_ARGS__)
#define DM_PORT_MAP7(m, x, ...) m(x), DM_PORT_MAP6(m, __VA_ARGS__)
#define DM_PORT_MAP8(m, x, ...) m(x), DM_PORT_MAP7(m, __VA_ARGS__)
#define DM_PORT_MAP9(m, x, ...) m(x), DM_PORT_MAP8(m, __VA_ARGS__)
#define DM_PORT_MAP10(m, x, ...) m(x), DM_PORT_MAP9(m, __VA_ARGS__)
#define DM_PORT_MAP11(m, x, ...) m(x), DM_PORT_MAP10(m, __VA_ARGS__)
#define DM_PORT_MAP12(m, x, ...) m(x), DM_PORT_MAP11(m, __VA_ARGS__)
#define DM_PORT_COUNT(...) DM_PORT_COUNT_(__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define DM_PORT_COUNT_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, n, ...) n
#define DM_PORT_CAT(a, b) DM_PORT_CAT_(a, b)
#define DM_PORT_CAT_(a, b) a##b
#define DM_PORT_MAP(m, ...) DM_PORT_CAT(DM_PORT_MAP, DM_PORT_COUNT(__VA_ARGS__))(m, __VA_ARGS__)

#define dm_port_printf_args(stream, format, ...)                                                                       \
	({                                                                                                             \
		struct dm_port_args dm_port_a = { { DM_PORT_MAP(DM_PORT_U64, __VA_ARGS__) } };                         \
		dm_port_format(stream, (__u64)(format), &dm_port_a, DM_PORT_COUNT(__VA_ARGS__));                       \
	})
/* each argument in a number of its own first (a struct literal would be built whole on the stack), then stored */
#define DM_PORT_KEEP(i, x) __u64 dm_port_a##i = (__u64)(x);
#define DM_PORT_STORE(i, x) dm_port_few_args.value[i] = dm_port_a##i;
#define DM_PORT_FEW1(m, a) m(0, a)
#define DM_PORT_FEW2(m, a, b) m(0, a) m(1, b)
#define DM_PORT_FEW3(m, a, b, c) m(0, a) m(1, b) m(2, c)
#define DM_PORT_FEW4(m, a, b, c, d) m(0, a) m(1, b) m(2, c) m(3, d)
#define DM_PORT_FEW(m, ...) DM_PORT_CAT(DM_PORT_FEW, DM_PORT_COUNT(__VA_ARGS__))(m, __VA_ARGS__)
#define dm_port_printf_few(stream, format, ...)                                                                        \
	({                                                                                                             \
		DM_PORT_FEW(DM_PORT_KEEP, __VA_ARGS__)                                                                 \
		DM_PORT_FEW(DM_PORT_STORE, __VA_ARGS__)                                                                \
		dm_port_format(stream, (__u64)(format), &dm_port_few_args, DM_PORT_COUNT(__VA_ARGS__));                \
	})
#define dm_port_printf_plain(stream, format) dm_port_format(stream, (__u64)(format), &dm_port_few_args, 0)
/* printf(format) and printf(format, args...), to a stream: the format alone picks dm_port_printf_plain */
#define dm_port_printf_to(stream, ...)                                                                                 \
	DM_PORT_PRINTF_PICK(__VA_ARGS__, dm_port_printf_args, dm_port_printf_args, dm_port_printf_args,                \
			    dm_port_printf_args, dm_port_printf_args, dm_port_printf_args, dm_port_printf_args,        \
			    dm_port_printf_args, dm_port_printf_few, dm_port_printf_few, dm_port_printf_few,           \
			    dm_port_printf_few, dm_port_printf_plain, )                                                \
	(stream, __VA_ARGS__)
#define DM_PORT_PRINTF_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, which, ...) which
#define printf(...) dm_port_printf_to(DM_PORT_TEXT, __VA_ARGS__)

static __attribute__((always_inline)) inline int puts(const char __arena *s)
{
	dm_port_select(DM_PORT_TEXT);
	dm_port_put_string((__u64)s);
	dm_port_put('\n');
	dm_port_flush();
	return 1;
}
static __attribute__((always_inline)) inline int putchar(int c)
{
	dm_port_select(DM_PORT_TEXT);
	dm_port_put((char)c);
	if (c == '\n')
		dm_port_flush();
	return (unsigned char)c;
}

static __attribute__((always_inline)) inline int abs(int x)
{
	return x < 0 ? -x : x;
}
static __attribute__((always_inline)) inline long labs(long x)
{
	return x < 0 ? -x : x;
}

/* <string.h> on heap memory, a byte at a time (volatile: clang 19 would turn the loops into memcpy/memset and lose
 * the arena cast), every loop bounded by can_loop. Global functions, so that the verifier checks each once; their
 * pointers travel as numbers (a global function may not return a pointer). */
#define DM_PORT_BYTES(p) ((volatile unsigned char __arena *)(p))
__attribute__((noinline)) __u64 dm_port_memmove(__u64 dst, __u64 src, __u64 n)
{
	if (dst < src)
		for (__u64 i = 0; i < n && dm_port_more(0); i++)
			DM_PORT_BYTES(dst)[i] = DM_PORT_BYTES(src)[i];
	else
		for (__u64 i = n; i > 0 && dm_port_more(0); i--)
			DM_PORT_BYTES(dst)[i - 1] = DM_PORT_BYTES(src)[i - 1];
	return dst;
}
__attribute__((noinline)) __u64 dm_port_memset(__u64 s, int c, __u64 n)
{
	for (__u64 i = 0; i < n && dm_port_more(0); i++)
		DM_PORT_BYTES(s)[i] = (unsigned char)c;
	return s;
}
__attribute__((noinline)) int dm_port_memcmp(__u64 a, __u64 b, __u64 n)
{
	for (__u64 i = 0; i < n && dm_port_more(0); i++)
		if (DM_PORT_BYTES(a)[i] != DM_PORT_BYTES(b)[i])
			return DM_PORT_BYTES(a)[i] - DM_PORT_BYTES(b)[i];
	return 0;
}
__attribute__((noinline)) __u64 dm_port_strlen(__u64 s)
{
	__u64 n = 0;

	while (DM_PORT_BYTES(s)[n] && dm_port_more(0))
		n++;
	return n;
}
/* strncmp, and strcmp with n = -1 */
__attribute__((noinline)) int dm_port_strncmp(__u64 a, __u64 b, __u64 n)
{
	for (__u64 i = 0; i < n && dm_port_more(0); i++)
		if (DM_PORT_BYTES(a)[i] != DM_PORT_BYTES(b)[i] || !DM_PORT_BYTES(a)[i])
			return DM_PORT_BYTES(a)[i] - DM_PORT_BYTES(b)[i];
	return 0;
}
__attribute__((noinline)) __u64 dm_port_strncpy(__u64 dst, __u64 src, __u64 n)
{
	__u64 i = 0;

	for (; i < n && DM_PORT_BYTES(src)[i] && dm_port_more(0); i++)
		DM_PORT_BYTES(dst)[i] = DM_PORT_BYTES(src)[i];
	for (; i < n && dm_port_more(0); i++)
		DM_PORT_BYTES(dst)[i] = 0;
	return dst;
}
__attribute__((noinline)) __u64 dm_port_strchr(__u64 s, int c)
{
	for (__u64 i = 0; dm_port_more(0); i++) {
		if (DM_PORT_BYTES(s)[i] == (unsigned char)c)
			return s + i;
		if (!DM_PORT_BYTES(s)[i])
			return 0;
	}
	return 0;
}
#define DM_PORT_N(x) ((__u64)(x))
#define memcpy(dst, src, n) ((void __arena *)dm_port_memmove(DM_PORT_N(dst), DM_PORT_N(src), n))
#define memmove(dst, src, n) ((void __arena *)dm_port_memmove(DM_PORT_N(dst), DM_PORT_N(src), n))
#define memset(s, c, n) ((void __arena *)dm_port_memset(DM_PORT_N(s), c, n))
#define memcmp(a, b, n) dm_port_memcmp(DM_PORT_N(a), DM_PORT_N(b), n)
#define strlen(s) ((size_t)dm_port_strlen(DM_PORT_N(s)))
#define strcmp(a, b) dm_port_strncmp(DM_PORT_N(a), DM_PORT_N(b), (__u64)-1)
#define strncmp(a, b, n) dm_port_strncmp(DM_PORT_N(a), DM_PORT_N(b), n)
#define strcpy(dst, src)                                                                                               \
	((char __arena *)dm_port_memmove(DM_PORT_N(dst), DM_PORT_N(src), dm_port_strlen(DM_PORT_N(src)) + 1))
#define strncpy(dst, src, n) ((char __arena *)dm_port_strncpy(DM_PORT_N(dst), DM_PORT_N(src), n))
#define strcat(dst, src) (strcpy((dst) + strlen(dst), src), (dst))
#define strchr(s, c) ((char __arena *)dm_port_strchr(DM_PORT_N(s), c))

/* Every function of the program that can be is a global subprogram (port/port.py), verified once with unknown
 * arguments: its pointer parameters are arena pointers. */
#ifndef __arg_arena
#define __arg_arena __attribute__((btf_decl_tag("arg:arena")))
#endif

#include "dm_port_libc.h"

/* main, renamed by the port, is called by the program dm run runs: with argc and argv when it takes them (the port
 * defines DM_PORT_MAIN_ARGUMENTS 1 then), which are copied to the heap first; the globals the port initialises at
 * run time (addresses, string literals: dm_port_start) are set before it. */
#if DM_PORT_MAIN_ARGUMENTS
int dm_port_main(int argc, char __arena *__arena *argv __arg_arena);
#else
int dm_port_main(void);
#endif
SEC("syscall")
int dm_port_run(struct dm_port_context *context)
{
	int status;

	dm_port_context = *context;
	if (!dm_port_copy_arguments())
		return DM_PORT_ABORTED;
	dm_port_start();
#if DM_PORT_MAIN_ARGUMENTS
	status = dm_port_main((int)dm_port_context.argc, dm_port_argv);
#else
	status = dm_port_main();
#endif
	dm_port_flush();
	return (status & 0xff) | (dm_port_lost ? DM_PORT_OUTPUT_LOST : 0);
}
#define main dm_port_main

char LICENSE[] SEC("license") = "GPL";

#endif
