#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# libdynamic_memory.so under real programs: each runs through `dm preload`, its output must be identical to a normal
# run, and the counters dm preload prints at exit must show its allocations went through the heap. Then the
# settings (DM_POOL, DM_FALLBACK, DM_ABORT_ON_MISUSE), the live file read by dm stat --pid, and the project's own
# native tests on the preloaded heap. Run from the repository root; BUILD (default build) holds dm and the library.

bats_require_minimum_version 1.5.0

setup() {
	build=${BUILD:-build}
	dm=$build/dm
	lib=$(realpath "$build/libdynamic_memory.so")
	tmp=$(mktemp -d)
	python=/usr/bin/python3 # the interpreter itself, not a wrapper script that would run bash first
}

teardown() {
	# shellcheck disable=SC2086 # pids: a list of process ids, one word each
	[ -z "${pids:-}" ] || kill $pids 2>/dev/null || true
	rm -rf "$tmp"
}

# on_heap COMMAND ARGS...: runs it under dm preload, stdout to $tmp/out, the counters to $tmp/report.
on_heap() {
	"$dm" preload -- "$@" > "$tmp/out" 2> "$tmp/report"
}

# counter PROGRAM COLUMN: the largest value dm preload reported in COLUMN (a title of its table: allocs, failed,
# fallback...) for a process of that name.
counter() {
	awk -v p="$1" -v title="$2" '$1 == "pid" { for (i = 1; i <= NF; i++) column[$i] = i; next }
		$2 == p && $column[title] > max { max = $column[title] } END { print max + 0 }' "$tmp/report"
}

# allocations PROGRAM: the largest allocation count dm preload reported for a process of that name.
allocations() {
	counter "$1" allocs
}

# clean: no process reported a failed allocation, an invalid free or a damaged header.
clean() {
	awk '$1 == "pid" { for (i = 1; i <= NF; i++) column[$i] = i; next }
		$1 ~ /^[0-9]+$/ && ($column["failed"] || $column["invalid"] || $column["corrupt"]) {
			bad = 1; print "unclean: " $0 }
		END { exit bad }' "$tmp/report"
}

@test "ls -lR /usr/include: identical listing, every allocation on the heap" {
	ls -lR /usr/include > "$tmp/expected"
	on_heap ls -lR /usr/include
	cmp "$tmp/expected" "$tmp/out"
	cat "$tmp/report"
	[ "$(allocations ls)" -gt 10000 ]
	clean
}

@test "sort of 200000 generated lines: identical output" {
	seq 200000 | awk '{ print ($1 * 7919) % 200003, "line", $1 }' > "$tmp/lines"
	sort "$tmp/lines" > "$tmp/expected"
	on_heap sort "$tmp/lines"
	cmp "$tmp/expected" "$tmp/out"
	[ "$(allocations sort)" -gt 100 ]
	clean
}

@test "gcc compiles and links a C file on the heap (cc1, as, ld too), and the program runs" {
	printf '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { char *p = malloc(32); snprintf(p, 32, "%%d", 6 * 7); puts(p); free(p); return 0; }\n' > "$tmp/hello.c"
	on_heap gcc -O2 "$tmp/hello.c" -o "$tmp/hello"
	cat "$tmp/report"
	[ "$("$tmp/hello")" = 42 ]
	[ "$(allocations cc1)" -gt 5000 ]
	[ "$(allocations as)" -gt 100 ]
	[ "$(allocations ld)" -gt 1000 ]
	clean
}

@test "python3 builds and discards 3 million objects on the heap" {
	cat > "$tmp/objects.py" <<-'EOF'
	total = 0
	for rnd in range(10):
	    objects = [{'k': i, 'v': str(i), 't': (i, rnd)} for i in range(100000)]
	    total += sum(len(o['v']) for o in objects)
	    del objects
	print('characters', total)
	EOF
	PYTHONMALLOC=malloc "$python" "$tmp/objects.py" > "$tmp/expected"
	PYTHONMALLOC=malloc on_heap "$python" "$tmp/objects.py"
	cmp "$tmp/expected" "$tmp/out"
	cat "$tmp/report"
	[ "$(allocations python3)" -gt 3000000 ]
	clean
}

@test "bash runs a pipeline: every process of it on the heap, identical output" {
	# shellcheck disable=SC2016 # the script is bash's to expand, not this shell's
	script='seq 1 20000 | grep 7 | tr 7 x | sort -r | tail -3; echo "$(seq 5 | wc -l) lines"'
	bash -c "$script" > "$tmp/expected"
	on_heap bash -c "$script"
	cmp "$tmp/expected" "$tmp/out"
	cat "$tmp/report"
	for program in bash seq grep tr sort tail wc; do [ "$(allocations $program)" -gt 100 ]; done
	clean
}

@test "xz -T2 round trip: two threads each side, the same compressed bytes as on glibc" {
	head -c 3000000 /dev/urandom | base64 > "$tmp/data"
	xz -T2 -1 -c "$tmp/data" > "$tmp/expected.xz"
	on_heap xz -T2 -1 -c "$tmp/data"
	cmp "$tmp/expected.xz" "$tmp/out"
	on_heap xz -T2 -d -c "$tmp/expected.xz"
	cmp "$tmp/data" "$tmp/out"
	[ "$(allocations xz)" -gt 100 ]
	clean
}

@test "the C allocation interface: alignments, errno, aligned blocks, 4 threads (tests/tools/preload_api.c)" {
	LD_PRELOAD=$lib run "$build/preload_api"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" passed, 0 failed" ]]
}

# They test the header's own heap (a static pool in each program); the preloaded heap serves what they ask of libc:
# cmocka's, stdio's and the threads' allocations.
@test "the project's native tests pass on the preloaded heap: unit, differential, 4-thread stress" {
	on_heap "$build/unit-seg"
	grep -q "PASSED" "$tmp/out" "$tmp/report" # cmocka writes its summary to stdout or stderr
	[ "$(allocations unit-seg)" -gt 0 ]
	on_heap "$build/differential-seg" 7 100000
	grep -q '^100000 passed, 0 failed' "$tmp/out"
	on_heap "$build/stress" 4 100000
	grep -q '^[0-9]* passed, 0 failed$' "$tmp/out"
	[ "$(allocations stress)" -gt 0 ]
	clean
}

@test "fork while 4 threads allocate: each of 20 children allocates on the heap and exits 0 (tests/tools/preload_fork.c)" {
	timeout 60 "$dm" preload -- "$build/preload_fork" 4 20 > "$tmp/out" 2> "$tmp/report"
	cat "$tmp/out" "$tmp/report"
	[ "$(cat "$tmp/out")" = "20 forks: every child allocated and exited 0" ]
	# the parent and its 20 children each wrote their counters at exit: they ended normally, on the heap
	[ "$(awk '$1 == "pid" { for (i = 1; i <= NF; i++) column[$i] = i; next }
		$2 == "preload_fork" && $column["allocs"] > 0' "$tmp/report" | wc -l)" -eq 21 ]
	clean
}

@test "DM_POOL exhausted: malloc returns NULL (python raises MemoryError), counted, no crash" {
	PYTHONMALLOC=malloc DM_POOL=8M on_heap "$python" -c '
try:
    b = bytearray(16 << 20)
except MemoryError:
    print("MemoryError")'
	[ "$(cat "$tmp/out")" = MemoryError ]
	[ "$(counter python3 failed)" -ge 1 ]
}

@test "DM_FALLBACK=libc: what does not fit goes to glibc, counted" {
	PYTHONMALLOC=malloc DM_POOL=8M DM_FALLBACK=libc on_heap "$python" -c 'b = bytearray(16 << 20); print(len(b))'
	[ "$(cat "$tmp/out")" = 16777216 ]
	[ "$(counter python3 fallback)" -ge 1 ]
}

@test "a double free is counted; with DM_ABORT_ON_MISUSE=1 it aborts naming the pointer" {
	printf '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { char *p = malloc(24); free(p); free(p); puts("survived"); return 0; }\n' > "$tmp/twice.c"
	gcc -O0 -fno-builtin "$tmp/twice.c" -o "$tmp/twice"
	on_heap "$tmp/twice"
	[ "$(cat "$tmp/out")" = survived ]
	[ "$(counter twice invalid)" -eq 1 ]
	DM_ABORT_ON_MISUSE=1 LD_PRELOAD=$lib run "$tmp/twice"
	[ "$status" -eq 134 ]
	[[ "$output" == *"libdynamic_memory.so: free(0x"*"): invalid pointer (double free, or not returned by malloc); aborting"* ]]
}

@test "dm stat --pid reads a live process (table, JSON, Prometheus); its file goes when it exits" {
	LD_PRELOAD=$lib PYTHONMALLOC=malloc "$python" -c '
import os, sys, time
keep = [bytes(1000) for i in range(5000)]
print("ready", flush=True)
while not os.path.exists(sys.argv[1]) and time.sleep(0.05) is None: pass' "$tmp/stop" > "$tmp/live" &
	pids=$!
	for _ in $(seq 100); do grep -q ready "$tmp/live" 2>/dev/null && break; sleep 0.1; done
	run "$dm" stat --pid "$pids"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "python3 (/dev/shm/dm-$pids): process heap, pool 536870912 B, segregated, align 16" ]]
	run "$dm" stat --pid "$pids" --json
	allocated=$(echo "$output" | python3 -c 'import json, sys; print(json.load(sys.stdin)["heaps"][0]["allocated"])')
	[ "$allocated" -gt 5000000 ]
	port=$((20000 + RANDOM % 20000))
	"$dm" stat --pid "$pids" --prometheus "127.0.0.1:$port" 2>/dev/null 3>&- &
	pids="$pids $!"
	for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/metrics" > "$tmp/metrics" 2>/dev/null && break; sleep 0.1; done
	grep -q '^dm_allocated_bytes{heap="python3",path="/dev/shm/dm-[0-9]*",cpu="all"} [0-9]' "$tmp/metrics"
	python_pid=${pids%% *}
	kill "${pids##* }"
	touch "$tmp/stop"
	wait "$python_pid"
	pids=
	[ ! -e "/dev/shm/dm-$python_pid" ]
}

@test "bad settings and missing processes are named" {
	DM_POOL=3G LD_PRELOAD=$lib run -127 /bin/true
	[[ "$output" == *"DM_POOL=3G: above 2G less one page"* ]]
	DM_POOL=lots LD_PRELOAD=$lib run -127 /bin/true
	[[ "$output" == *"DM_POOL=lots: expected a size in bytes"* ]]
	run "$dm" stat --pid 999999999
	[ "$status" -eq 3 ] && [ "$output" = "dm: stat: no process 999999999" ]
	run -127 "$dm" preload -- /nonexistent/program
	[[ "$output" == *"cannot run /nonexistent/program"* ]]
}
