# shellcheck shell=bash disable=SC2154 # log_dir: set by the sourcing script
# SPDX-License-Identifier: MIT
# Sourced by tests/run.sh and tests/kernel.sh: runs test programs, each to the end even when an earlier one fails,
# counts one result per test program and prints the closing "N passed, N failed".
# The sourcing script sets log_dir (where each test's full output goes).
passed=0 failed=0 failures=()

run() { # NAME COMMAND...
	local name=$1 log status start
	shift
	log=$log_dir/log-$name.txt
	echo "== $name: $*"
	start=$(date +%s)
	"$@" > "$log" 2>&1
	status=$?
	echo "-- $name: exit $status in $(($(date +%s) - start)) s"
	# Show the test's own closing lines (cmocka summary or "N passed, N failed").
	grep -E '^\[  (PASSED|FAILED)  \]|passed, [0-9]+ failed|^agreement |^Done [0-9]+ runs|^violation|FAILED|ERROR|^(ok  |FAIL) |^\| |^(not )?ok [0-9]+ ' "$log" | tail -n 40
	if [ $status -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1)) failures+=("$name (exit $status, log $log)")
		tail -n 20 "$log"
	fi
}

# version_at_least NEEDED VERSION: VERSION (a kernel's major.minor) is NEEDED or newer
version_at_least() {
	[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]
}

# arenas_refused: why root may not create a BPF arena map on the running kernel, or nothing (tests/vm/arenas-refused)
arenas_refused() {
	"$(dirname "${BASH_SOURCE[0]}")/vm/arenas-refused" || true
}

summary() {
	echo
	for f in "${failures[@]}"; do echo "FAILED: $f"; done
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
