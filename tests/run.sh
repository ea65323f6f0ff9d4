#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test program, each to the end even when an earlier one fails, and closes with "N passed, N failed"
# (one count per test program).
# Usage: tests/run.sh BUILD_DIR DIFF_OPS FUZZ_SECONDS "BPF_OBJECTS" "ARENA_OBJECTS" "COST_OBJECTS"
# In-kernel tests need root and bpf(); they never skip: a program that cannot load or run fails its test.
set -u
build=$1 diff_ops=$2 fuzz_seconds=$3 bpf_objects=$4 arena_objects=$5 cost_objects=$6
passed=0 failed=0 failures=()

run() { # NAME COMMAND...
	local name=$1 log status
	shift
	log=$build/log-$name.txt
	echo "== $name: $*"
	"$@" > "$log" 2>&1
	status=$?
	# Show the test's own closing lines (cmocka summary or "N passed, N failed").
	grep -E '^\[  (PASSED|FAILED)  \]|passed, [0-9]+ failed|^Done [0-9]+ runs|^violation|FAILED|ERROR|^(ok  |FAIL) |^\| |^(not )?ok [0-9]+ ' "$log" | tail -n 40
	if [ $status -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1)) failures+=("$name (exit $status, log $log)")
		tail -n 20 "$log"
	fi
}

for unit in "$build"/unit-*; do run "$(basename "$unit")" "$unit"; done
seed=1
for diff in "$build"/differential-*; do
	run "$(basename "$diff")" "$diff" "$seed" "$diff_ops"
	seed=$((seed + 1))
done
run stress "$build/stress" 4 500000
mkdir -p "$build/fuzz-corpus"
run fuzz_heap "$build/fuzz_heap" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$build/fuzz-corpus"
# shellcheck disable=SC2086 # the object lists are word lists
run kernel_programs "$build/bpf_runner" $bpf_objects
# shellcheck disable=SC2086
run kernel_programs_arena "$build/bpf_runner" $arena_objects
run kernel_arena_structures "$build/arena"
run kernel_stress "$build/bpf_runner" --stress "$build/bpf/stress.bpf.o" 100
run kernel_stress_arena "$build/bpf_runner" --stress "$build/bpf-arena/stress.bpf.o" 100
run kernel_pinned_heap "$build/bpf_runner" --pin "$build/bpf/pinned.bpf.o"
# shellcheck disable=SC2086
run kernel_verifier_cost "$build/bpf_runner" --cost $cost_objects
# The rewriter: bats, from the repository root, against the corpus under tests/modify/.
BUILD=$build run modify_rewriter bats tests/modify.bats
BUILD=$build run dm_stat bats tests/dm_stat.bats
BUILD=$build run dm_port bats tests/port.bats
# libdynamic_memory.so under real programs (ls, sort, gcc, python3, bash, xz -T2) and the native tests above.
BUILD=$build run preload bats tests/preload.bats
# The examples check their own results (answers, static_check, return codes) and exit non-zero when one is wrong.
for example in linked_list packet_sizes percpu_scratch hash_table; do run "example_$example" "$build/$example"; done

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
