#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# modify/modify.sh: the corpus of tricky inputs against reviewed expected outputs, idempotence, every option and
# error path, and end to end: rewritten programs behave like the originals natively, and rewritten code loads in BPF.
# Run from the repository root with BUILD (default build) holding bpf_runner and vmlinux.h.

setup() {
	root=$PWD
	modify=$root/modify/modify.sh
	build=${BUILD:-build}
	tmp=$(mktemp -d)
	cp -r "$root/tests/tools/modify/corpus" "$tmp/corpus"
}

teardown() {
	rm -rf "$tmp"
}

@test "every corpus file is rewritten exactly as expected" {
	for input in "$tmp"/corpus/*.[ch]; do
		run "$modify" "$input"
		[ "$status" -eq 0 ]
		diff -u "$root/tests/tools/modify/corpus/$(basename "$input").expected" "$input"
	done
}

@test "a second run changes nothing (idempotent), and --check agrees" {
	run "$modify" "$tmp/corpus"
	[ "$status" -eq 0 ]
	cp -r "$tmp/corpus" "$tmp/once"
	run "$modify" "$tmp/corpus"
	[ "$status" -eq 0 ]
	diff -r "$tmp/once" "$tmp/corpus"
	run "$modify" --check "$tmp/corpus"
	[ "$status" -eq 0 ]
}

@test "comments, strings, members, locals, parameters and other identifiers are left alone" {
	run "$modify" "$tmp/corpus/comments_strings.c" "$tmp/corpus/members_locals.c"
	[ "$status" -eq 0 ]
	grep -q '/\* malloc(n) and free(p) in a comment' "$tmp/corpus/comments_strings.c"
	grep -q '"call malloc(3) then free(x)"' "$tmp/corpus/comments_strings.c"
	grep -q 'void \*(\*malloc)(size_t);' "$tmp/corpus/members_locals.c"
	grep -q 'a->free(p);' "$tmp/corpus/members_locals.c"
	grep -q 'return malloc + free;' "$tmp/corpus/members_locals.c"
	grep -q 'my_free(free_list);' "$tmp/corpus/members_locals.c"
	grep -q 'return xmalloc(n);' "$tmp/corpus/members_locals.c"
	grep -q '^void my_free(void \*p);' "$tmp/corpus/members_locals.c"
}

@test "malloc, calloc, realloc and free used as values (an allocator table, an assignment) are rewritten too" {
	run "$modify" "$tmp/corpus/allocator_values.c"
	[ "$status" -eq 0 ]
	grep -q '\.alloc = static_malloc,' "$tmp/corpus/allocator_values.c"
	grep -q '\.zalloc = static_calloc,' "$tmp/corpus/allocator_values.c"
	grep -q '\.resize = static_realloc,' "$tmp/corpus/allocator_values.c"
	grep -q 'grow = static_realloc;' "$tmp/corpus/allocator_values.c"
	grep -q '(\*fallback)(size_t) = static_malloc;' "$tmp/corpus/allocator_values.c"
	grep -q 'char \*p = o.alloc(16);' "$tmp/corpus/allocator_values.c" # a member call stays a member call
}

@test "the include is added once, after the last include, with the spelling asked for" {
	run "$modify" --include '<dynamic_memory.h>' "$tmp/corpus/macros_casts.c"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'dynamic_memory.h' "$tmp/corpus/macros_casts.c")" -eq 1 ]
	[ "$(sed -n 3p "$tmp/corpus/macros_casts.c")" = '#include <dynamic_memory.h>' ]
	run "$modify" --include 'dynamic_memory.h' "$tmp/corpus/no_includes.c"
	[ "$status" -eq 2 ]
	[[ "$output" == *"give it with its quotes or brackets"* ]]
}

@test "--dry-run lists FILE:LINE of each change and writes nothing" {
	run "$modify" --dry-run "$tmp/corpus/comments_strings.c"
	[ "$status" -eq 0 ]
	[[ "$output" == *"comments_strings.c:8: - 	char *s = malloc(16);"* ]]
	[[ "$output" == *"comments_strings.c:14: + 	static_free(s);"* ]]
	cmp "$root/tests/tools/modify/corpus/comments_strings.c" "$tmp/corpus/comments_strings.c"
}

@test "--diff prints a unified diff and writes nothing" {
	run "$modify" --diff "$tmp/corpus/no_includes.c"
	[ "$status" -eq 0 ]
	[[ "$output" == *"+#include \"dynamic_memory.h\""* ]]
	[[ "$output" == *"-	return realloc(p, n);"* ]]
	[[ "$output" == *"+	return static_realloc(p, n);"* ]]
	cmp "$root/tests/tools/modify/corpus/no_includes.c" "$tmp/corpus/no_includes.c"
}

@test "--check exits 1 when something would change, 0 when nothing would, and writes nothing" {
	run "$modify" --check "$tmp/corpus/header.h"
	[ "$status" -eq 1 ]
	[[ "$output" == *"header.h: would change"* ]]
	cmp "$root/tests/tools/modify/corpus/header.h" "$tmp/corpus/header.h"
	run "$modify" --check "$tmp/corpus/already_rewritten.c"
	[ "$status" -eq 0 ]
}

@test "a directory is searched recursively for .c and .h, and nothing else is touched" {
	mkdir -p "$tmp/tree/sub"
	cp "$tmp/corpus/no_includes.c" "$tmp/tree/sub/a.c"
	cp "$tmp/corpus/header.h" "$tmp/tree/b.h"
	printf 'free(p);\n' > "$tmp/tree/notes.txt"
	run "$modify" "$tmp/tree"
	[ "$status" -eq 0 ]
	grep -q static_realloc "$tmp/tree/sub/a.c"
	grep -q static_calloc "$tmp/tree/b.h"
	[ "$(cat "$tmp/tree/notes.txt")" = 'free(p);' ]
}

@test "an allocation dereferenced before a NULL check is warned about, FILE:LINE" {
	run "$modify" "$tmp/corpus/unchecked.c"
	[ "$status" -eq 0 ]
	[[ "$output" == *"unchecked.c:11: warning: the result of static_malloc is used without a NULL check"* ]]
	[[ "$output" == *"unchecked.c:22: warning: the result of static_calloc is used without a NULL check"* ]]
	run "$modify" "$tmp/corpus/header.h"
	[[ "$output" != *warning* ]]
}

@test "--add-null-checks inserts a check that returns from the function, once" {
	run "$modify" --add-null-checks "$tmp/corpus/unchecked.c"
	[ "$status" -eq 0 ]
	[[ "$output" != *warning* ]]
	grep -A2 'struct node \*n = static_malloc' "$tmp/corpus/unchecked.c" | grep -q 'return NULL;'
	grep -A2 'v = static_calloc' "$tmp/corpus/unchecked.c" | grep -q 'return;'
	cp "$tmp/corpus/unchecked.c" "$tmp/checked.c"
	run "$modify" --add-null-checks "$tmp/corpus/unchecked.c"
	cmp "$tmp/checked.c" "$tmp/corpus/unchecked.c"
}

@test "--help prints the usage and exits 0; bad usage exits 2" {
	run "$modify" --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	[[ "$output" == *--add-null-checks* ]]
	run "$modify"
	[ "$status" -eq 2 ]
	run "$modify" --frobnicate "$tmp/corpus/header.h"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--frobnicate'"* ]]
}

@test "a missing path is an error naming it" {
	run "$modify" "$tmp/nowhere.c"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$tmp/nowhere.c: no such file or directory"* ]]
}

@test "a file that is not C is refused" {
	printf 'free(p);\n' > "$tmp/notes.txt"
	run "$modify" "$tmp/notes.txt"
	[ "$status" -eq 2 ]
	[[ "$output" == *"notes.txt: not a C file"* ]]
	[ "$(cat "$tmp/notes.txt")" = 'free(p);' ]
}

@test "a file Coccinelle cannot parse is refused, naming the file, the line and the code" {
	printf 'int f(void)\n{\n\tint x = ;\n\treturn malloc(3);\n}\n' > "$tmp/broken.c"
	cp "$tmp/broken.c" "$tmp/broken.orig"
	run "$modify" "$tmp/broken.c"
	[ "$status" -eq 2 ]
	[[ "$output" == *"broken.c: Coccinelle cannot parse it at line 3"* ]]
	[[ "$output" == *"int x = ;"* ]]
	cmp "$tmp/broken.orig" "$tmp/broken.c"
}

@test "without spatch it says which package installs it" {
	mkdir "$tmp/bin"
	for tool in bash dirname mktemp find sort grep awk cmp diff cat rm basename sed head cp mv; do
		ln -s "$(command -v "$tool")" "$tmp/bin/$tool"
	done
	PATH=$tmp/bin run "$modify" "$tmp/corpus/header.h"
	[ "$status" -eq 3 ]
	[[ "$output" == *"spatch not found"*"coccinelle"* ]]
}

@test "rewritten programs print what the originals print (libc vs -Dnative_executable)" {
	for program in "$root"/tests/tools/modify/programs/*.c; do
		name=$(basename "$program" .c)
		cc -O2 -Wall -Werror "$program" -o "$tmp/$name-libc"
		cp "$program" "$tmp/$name.c"
		run "$modify" "$tmp/$name.c"
		[ "$status" -eq 0 ]
		grep -q static_ "$tmp/$name.c"
		cc -O2 -Wall -Werror -Dnative_executable -I"$root" "$tmp/$name.c" -o "$tmp/$name-dm"
		"$tmp/$name-libc" > "$tmp/$name-libc.out"
		"$tmp/$name-dm" > "$tmp/$name-dm.out"
		diff -u "$tmp/$name-libc.out" "$tmp/$name-dm.out"
	done
}

@test "rewritten code compiles into a BPF program that loads and runs" {
	mkdir "$tmp/include"
	cp "$root/tests/tools/modify/programs/checksum.h" "$tmp/include/"
	run "$modify" "$tmp/include/checksum.h"
	[ "$status" -eq 0 ]
	: > "$tmp/include/stdlib.h" # BPF has no libc: the rewritten code needs none of it
	clang-19 -O2 -g -target bpf -mcpu=v3 -I"$tmp/include" -I"$root" -I"$root/$build" -I"$root/tests/kernel/progs" \
		-c "$root/tests/tools/modify/rewritten_in_bpf.bpf.c" -o "$tmp/rewritten.bpf.o"
	run "$root/$build/bpf_runner" "$tmp/rewritten.bpf.o"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok   rewritten_checksum"* ]]
}
