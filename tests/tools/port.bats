#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2030,SC2031 # bats: `run` in a helper sets status and output in the test's own shell
# dm port + dm run end to end: every program in port/examples/ runs in the kernel and prints byte for byte what it prints
# natively, with the same exit status; every unsupported construct (tests/tools/port/unsupported/) stops dm port with the
# message its "expect:" comment gives; programs that fail in the kernel (tests/tools/port/failing/) are reported, not
# silently cut short. Run from the repository root; BUILD (default build) holds dm.

load dm_run_kernel

setup() {
	build=${BUILD:-build}
	dm=$build/dm
	tmp=$(mktemp -d)
}

teardown() {
	rm -rf "$tmp"
}

# the "expect: ..." text of a test program
expected() {
	sed -n 's|^.*expect: \(.*\)$|\1|p' "$1" | sed 's| \*/$||'
}

# same_as_native PROGRAM [ARGUMENT...]: native and in-kernel runs agree on standard output, standard error and exit
# status, given the same arguments and the standard input $input (default /dev/null). Both are compiled in the
# program's directory (assert prints __FILE__) and run from $tmp with the same argv[0], the object's name.
same_as_native() {
	local program=$1
	shift
	(cd "$(dirname "$program")" && cc -O2 -o "$tmp/native" "$(basename "$program")")
	set +e
	(cd "$tmp" && exec -a program.bpf.o ./native "$@") < "${input:-/dev/null}" > "$tmp/native.out" 2> "$tmp/native.err"
	native_status=$?
	set -e
	(cd "$(dirname "$program")" && dm_port "$(basename "$program")" -o "$tmp/program.bpf.o")
	set +e
	(cd "$tmp" && dm_run program.bpf.o "$@") > "$tmp/kernel.out" 2> "$tmp/kernel.err"
	kernel_status=$?
	set -e
	cmp "$tmp/native.out" "$tmp/kernel.out" || { diff "$tmp/native.out" "$tmp/kernel.out"; return 1; }
	cmp "$tmp/native.err" "$tmp/kernel.err" || { diff "$tmp/native.err" "$tmp/kernel.err"; return 1; }
	[ "$kernel_status" -eq "$native_status" ] || { echo "status: native $native_status, kernel $kernel_status"; return 1; }
}

@test "port/examples/dynamic_array.c: the same output and status in the kernel as natively" { same_as_native port/examples/dynamic_array.c; }
@test "port/examples/linked_list.c: the same output and status in the kernel as natively" { same_as_native port/examples/linked_list.c; }
@test "port/examples/binary_tree.c: the same output and status in the kernel as natively" { same_as_native port/examples/binary_tree.c; }
@test "port/examples/hash_table.c: the same output and status in the kernel as natively" { same_as_native port/examples/hash_table.c; }
@test "port/examples/string_builder.c: the same output and status in the kernel as natively" { same_as_native port/examples/string_builder.c; }

@test "printf conversions, widths, flags and length modifiers agree with glibc's" { same_as_native tests/tools/port/formats.c; }
@test "typedefs, enums, switch, const pointers and a nonzero exit status agree" { same_as_native tests/tools/port/typedefs.c; }

@test "local arrays too large for the BPF stack move to static storage, and the program still agrees" {
	same_as_native tests/tools/port/large_locals.c
}
@test "initialised local arrays above 256 bytes move to static storage, initialised again at each call" {
	same_as_native tests/tools/port/initialised_arrays.c
}
@test "char* s (the star on the type) and parenthesised function names port and agree" {
	same_as_native tests/tools/port/pointer_spellings.c
}
@test "recursion: calls in expressions, after && || ?:, in arguments, in conditions, &locals, 10,000 deep, agree" {
	same_as_native tests/tools/port/recursion.c
}
@test "functions that call each other: prototypes, shared and own parameters, void, calls in arguments, agree" {
	same_as_native tests/tools/port/mutual_recursion.c
}
@test "loops made with a backward goto are bounded and agree" { same_as_native tests/tools/port/goto_loop.c; }
@test "structs and unions passed and returned by value agree" { same_as_native tests/tools/port/struct_by_value.c; }
@test "a function that ignores a parameter loads as a global subprogram and agrees" {
	same_as_native tests/tools/port/ignored_parameter.c
}
@test "variables whose address is taken (locals, parameters, globals, arrays as pointers) live in the arena and agree" {
	same_as_native tests/tools/port/address_of.c
}
@test "structs copied in and out of arena memory agree (clang expands such copies without the arena cast)" {
	same_as_native tests/tools/port/struct_copies.c
}
@test "function pointers (callbacks, tables, typedefs, methods in heap structs) become numbers and agree" {
	same_as_native tests/tools/port/function_pointers.c
}
@test "declarations of several declarators, pointers after non-pointers, arrays of pointers agree" {
	same_as_native tests/tools/port/declarations.c
}
@test "a static struct used in part keeps its BTF, so the heap's callback loads" {
	same_as_native tests/tools/port/static_struct_parts.c
}

@test "libc: strtol & co, atoi, <ctype.h>, errno and perror, <inttypes.h>, <limits.h> and glibc's rand sequences" {
	same_as_native tests/tools/port/libc_numbers.c
}
@test "stdout and stderr each to its own stream (fprintf, fputs, fputc, putc, perror), and exit() from a call" {
	same_as_native tests/tools/port/streams.c
}
@test "main(argc, argv) gets dm run's arguments; scanf, getchar and fgets read its standard input" {
	input=tests/tools/port/input/arguments_input.txt same_as_native tests/tools/port/arguments_input.c 10 abc "two words"
}
@test "a failed assert prints glibc's message and both die of SIGABRT, losing the same buffered output" {
	same_as_native tests/tools/port/assert_fails.c
}
@test "headers included for nothing (time.h, math.h, malloc.h) are accepted; an unused float too" {
	same_as_native tests/tools/port/unused_headers.c
}

# The corpus (tests/tools/port/corpus/NAME.c, with NAME.args, one line of arguments, and NAME.input, its standard input):
# programs written the way ordinary C is, each compared with its native build.
corpus() {
	local name=$1 dir=tests/tools/port/corpus arguments=()
	[ ! -f "$dir/$name.args" ] || read -ra arguments < "$dir/$name.args"
	input=$dir/$name.input
	[ -f "$input" ] || input=/dev/null
	input=$input same_as_native "$dir/$name.c" "${arguments[@]}"
}

@test "corpus: word_frequency (stdin, a growing hash table, argv) agrees with its native build" { corpus word_frequency; }
@test "corpus: matrix_chain (argv, rand, heap matrices, exit on errors) agrees with its native build" { corpus matrix_chain; }
@test "corpus: task_queue (a binary heap of tasks, rand, realloc) agrees with its native build" { corpus task_queue; }
@test "corpus: inventory (commands on stdin, fgets, strtol, exit with stderr) agrees with its native build" { corpus inventory; }
@test "corpus: bst_words (recursive insert, walks and free over a tree) agrees with its native build" { corpus bst_words; }
@test "corpus: list_merge_sort (recursive merge sort, &locals of a recursive function) agrees with its native build" {
	corpus list_merge_sort
}
@test "corpus: csv_report (a string builder passed by address, a digit loop counting down, a bad line) agrees" {
	corpus csv_report
}
@test "corpus: lru_cache (hash table and recency list, an out-parameter) agrees with its native build" { corpus lru_cache; }
@test "corpus: graph_search (a recursive DFS with a visitor callback) agrees with its native build" { corpus graph_search; }
@test "corpus: expression_tree (a mutually recursive descent parser, errors on stderr) agrees with its native build" {
	corpus expression_tree
}

# unsupported CONSTRUCT: dm port refuses tests/tools/port/unsupported/CONSTRUCT.c, exit 1, with the expected message
unsupported() {
	run "$dm" port "tests/tools/port/unsupported/$1.c" -o "$tmp/out.bpf.o"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$(expected "tests/tools/port/unsupported/$1.c")"* ]] ||
		{ echo "expected: $(expected "tests/tools/port/unsupported/$1.c")"; echo "got: $output"; return 1; }
	[ ! -e "$tmp/out.bpf.o" ]
}

@test "recursion through a function pointer is refused at the function's use of itself" { unsupported recursion; }
@test "functions that call each other with a definition between them are refused, naming it" {
	unsupported recursion_apart
}
@test "floating point is refused" { unsupported floating_point; }
@test "a printf of a floating-point conversion is refused" { unsupported float_format; }
@test "file I/O is refused" { unsupported file_io; }
@test "libc beyond the supported subset is refused" { unsupported libc_outside_subset; }
@test "a function of a header beyond the supported subset is refused at its call" { unsupported header_outside_subset; }
@test "a type of a header beyond the supported subset is refused at its use" { unsupported type_outside_subset; }
@test "a printf of a floating-point value is refused at the use, not at the declaration" { unsupported float_use; }
@test "a variable-length array is refused" { unsupported variable_length_array; }
@test "a pointer to a function pointer is refused" { unsupported pointer_to_function_pointer; }
@test "main with parameters other than argc and argv is refused" { unsupported main_with_parameters; }

# failing PROGRAM [PORT OPTIONS]: ports, and dm run stops it with exit 70 and the expected message
failing() {
	local program=tests/tools/port/failing/$1.c
	shift
	dm_port "$program" -o "$tmp/out.bpf.o" "$@"
	run dm_run "$tmp/out.bpf.o"
	[ "$status" -eq 70 ]
	[[ "$output" == *"dm run: $(expected "$program")"* ]] || { echo "got: $output"; return 1; }
}

@test "an unchecked allocation that fails ends the program with its line" { failing heap_exhausted --pool 4096; }
@test "an index past a fixed-size array ends the program with its line" { failing index_out_of_bounds; }
@test "a loop past the verifier's budget ends the program loudly, not silently" { failing loop_budget; }
@test "a call through a NULL function pointer ends the program with its line" { failing null_function_pointer; }
@test "recursion deeper than the heap has frames for ends the program with its line" { failing recursion_too_deep; }

@test "dm run --stats prints the heap's counters after the output" {
	dm_port port/examples/linked_list.c -o "$tmp/list.bpf.o"
	run dm_run --stats "$tmp/list.bpf.o"
	[ "$status" -eq 0 ]
	[[ "$output" == *"deleted 4 nodes"* ]]
	awk '$1 == "heap" { for (i = 1; i <= NF; i++) column[$i] = i; next }
		$1 == "all" { clean = $column["allocs"] > 0 && !$column["failed"] && !$column["invalid"] && !$column["corrupt"] }
		END { exit !clean }' <<< "$output"
}

@test "usage: --help, a missing program, an object dm port did not make" {
	run "$dm" port --help
	[ "$status" -eq 0 ] && [[ "$output" == *"--pool BYTES"* ]] && [[ "$output" == *"exit status"* ]]
	[[ "$output" == *"Refused at the use"*"recursion"* ]]
	run "$dm" run --help
	[ "$status" -eq 0 ] && [[ "$output" == *"exit status"* ]]
	run "$dm" port "$tmp/absent.c" -o "$tmp/x.bpf.o"
	[ "$status" -eq 3 ] && [[ "$output" == *"absent.c: no such file"* ]]
	run "$dm" port port/examples/linked_list.c
	[ "$status" -eq 2 ] && [[ "$output" == *"-o OBJECT"* ]]
	run dm_port --pool 8192 port/examples/linked_list.c -o "$tmp/small.bpf.o" # options before the program
	[ "$status" -eq 0 ] && [[ "$output" == *"(8192-byte pool)"* ]]
	run "$dm" run "$build/bpf/cost-seg-4096.bpf.o"
	[ "$status" -eq 3 ] && [[ "$output" == *"not made by dm port"* ]]
}

@test "bad input: a directory, an empty file, a binary, no main, a syntax error, each said as what it is" {
	mkdir "$tmp/somedir"
	run "$dm" port "$tmp/somedir" -o "$tmp/x.bpf.o"
	[ "$status" -eq 3 ] && [[ "$output" == *"somedir: a directory, expected a C program"* ]]
	: > "$tmp/empty.c"
	run "$dm" port "$tmp/empty.c" -o "$tmp/x.bpf.o"
	[ "$status" -eq 3 ] && [[ "$output" == *"empty.c: empty (0 bytes), expected a C program"* ]]
	run "$dm" port "$dm" -o "$tmp/x.bpf.o"
	[ "$status" -eq 3 ] && [[ "$output" == *"an ELF object, not C source"* ]]
	printf 'int helper(void) { return 1; }\n' > "$tmp/no_main.c"
	run "$dm" port "$tmp/no_main.c" -o "$tmp/x.bpf.o"
	[ "$status" -eq 1 ] && [[ "$output" == *"no_main.c: no main function"* ]] && [[ "$output" != *libbpf* ]]
	printf 'int main(void)\n{\n\treturn (1;\n}\n' > "$tmp/syntax.c"
	run "$dm" port "$tmp/syntax.c" -o "$tmp/x.bpf.o"
	[ "$status" -eq 1 ] && [[ "$output" == *"syntax.c:3:"*": does not compile: expected ')'"* ]]
	[[ "$output" != *"not supported in BPF"* ]]
	[ ! -e "$tmp/x.bpf.o" ]
}

@test "a C program in a file not named .c ports and runs" {
	cp port/examples/linked_list.c "$tmp/notes.txt"
	dm_port "$tmp/notes.txt" -o "$tmp/notes.bpf.o"
	run dm_run "$tmp/notes.bpf.o"
	[ "$status" -eq 0 ] && [[ "$output" == *"deleted 4 nodes"* ]]
}

@test "an internal error of the porter names the program and the step, exit 7, no traceback" {
	run "$dm" port --clang /bin/true port/examples/linked_list.c -o "$tmp/x.bpf.o" # a "compiler" that prints no AST
	[ "$status" -eq 7 ]
	[[ "$output" == *"port/examples/linked_list.c: internal error while reading the program with clang"* ]]
	[[ "$output" != *Traceback* ]]
}
