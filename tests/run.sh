#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test program, each to the end even when an earlier one fails, and closes with "N passed, N failed"
# (one count per test program, and per kernel for the in-kernel tests).
# Usage: tests/run.sh all|native|kernel BUILD_DIR DIFF_OPS FUZZ_SECONDS "KERNELS" "BPF_OBJECTS" "ARENA_OBJECTS" \
#                     "COST_OBJECTS" "ARENA_COST_OBJECTS"
#   native: the native tests (no root, no BPF); kernel: the in-kernel tests (tests/kernel.sh) on each of KERNELS;
#   all: the native tests, the host's tests of dm's input checks and of dm port (root), then the in-kernel tests.
#   KERNELS: host (the running kernel) and/or names tests/vm/vm-run boots in qemu (6.1, 6.12, 6.18).
# In-kernel tests need root and bpf(); they never skip: a program that cannot load or run fails its test.
set -u
if [ $# -ne 9 ] || ! [[ $1 =~ ^(all|native|kernel)$ ]]; then
	sed -n '5,9s/^# //p' "$0" >&2
	exit 2
fi
what=$1 build=$2 diff_ops=$3 fuzz_seconds=$4 kernels=$5
kernel_lists=("$6" "$7" "$8" "$9")
log_dir=$build
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

native_tests() {
	for unit in "$build"/unit-*; do run "$(basename "$unit")" "$unit"; done
	seed=1
	for diff in "$build"/differential-*; do
		run "$(basename "$diff")" "$diff" "$seed" "$diff_ops"
		seed=$((seed + 1))
	done
	run stress "$build/stress" 4 500000
	mkdir -p "$build/fuzz-corpus"
	run fuzz_heap "$build/fuzz_heap" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$build/fuzz-corpus"
	# The rewriter: bats, from the repository root, against the corpus under tests/tools/modify/.
	BUILD=$build run modify_rewriter bats tests/tools/modify.bats
	# libdynamic_memory.so under real programs (ls, sort, gcc, python3, bash, xz -T2) and the native tests above.
	BUILD=$build run preload bats tests/tools/preload.bats
}

# On the host's kernel only, as root: what BPF needs but does not depend on the kernel's BPF features, or takes too
# long under a VM's emulation.
host_tests() {
	# dm's answers to bad input: they do not depend on the kernel's BPF features.
	BUILD=$build run dm_inputs bats tests/tools/dm_inputs.bats
	# dm port against native builds of Csmith's random programs, a fixed set of seeds (make fuzz-port runs more).
	# On the host's kernel only: under the VM's emulation each program's port takes minutes.
	run dm_port_csmith python3 tests/tools/port_csmith.py --dm "$build/dm" --first 1 --seeds 8 \
		--keep "$build/csmith-failures" --run-kernel "${DM_RUN_KERNEL:-host}" --kernels "$build/kernels"
}

# kernel_tests KERNEL: tests/kernel.sh on KERNEL; its counts join ours, its failures are named with the kernel
kernel_tests() {
	local kernel=$1 log=$build/log-kernel-$1.txt start status counts
	start=$(date +%s)
	echo
	echo "==== in-kernel tests on $kernel (full logs in $build/logs-$kernel/)"
	# The logs directory is shared writable with the VM; everything else the tests write is lost with it.
	mkdir -p "$build/logs-$kernel"
	tests/vm/vm-run --kernels "$build/kernels" --writable "$(cd "$build/logs-$kernel" && pwd)" "$kernel" -- \
		tests/kernel.sh "$build" "$build/logs-$kernel" "${kernel_lists[@]}" | tee "$log"
	status=${PIPESTATUS[0]}
	counts=$(tail -n 1 "$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$')
	if [ -z "$counts" ]; then
		failed=$((failed + 1)) failures+=("$kernel: the in-kernel tests did not finish (exit $status, log $log)")
	else
		passed=$((passed + $(echo "$counts" | cut -d' ' -f1))) failed=$((failed + $(echo "$counts" | cut -d' ' -f3)))
		while read -r line; do failures+=("$kernel: ${line#FAILED: }"); done < <(grep '^FAILED: ' "$log")
	fi
	echo "==== $kernel: ${counts:-no result} in $(($(date +%s) - start)) s"
}

# Where ported programs load and run: here, or a VM kernel of KERNELS with arenas (tests/vm/arena-kernel); port.bats
# and dm_inputs.bats read it (tests/tools/dm_run_kernel.bash), as does the Csmith fuzzer below. Inside a VM, its own
# kernel.
if [ "$what" != native ]; then
	DM_RUN_KERNEL=$(tests/vm/arena-kernel "$kernels")
	export DM_RUN_KERNEL
fi
[ "$what" = kernel ] || native_tests
[ "$what" != all ] || host_tests
[ "$what" = native ] || for kernel in $kernels; do kernel_tests "$kernel"; done
summary
