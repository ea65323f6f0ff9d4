#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test program, each to the end even when an earlier one fails, and closes with "N passed, N failed"
# (one count per test program). Usage: tests/run.sh BUILD_DIR DIFF_OPS FUZZ_SECONDS
set -u
build=$1 diff_ops=$2 fuzz_seconds=$3
passed=0 failed=0 failures=()

run() { # NAME COMMAND...
	local name=$1 log status
	shift
	log=$build/log-$name.txt
	echo "== $name: $*"
	"$@" > "$log" 2>&1
	status=$?
	# Show the test's own closing lines (cmocka summary or "N passed, N failed").
	grep -E '^\[  (PASSED|FAILED)  \]|passed, [0-9]+ failed|^Done [0-9]+ runs|^violation|FAILED|ERROR' "$log" | tail -n 5
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

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
