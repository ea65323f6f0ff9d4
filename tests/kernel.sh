#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The in-kernel tests: everything that loads BPF programs, on the running kernel (the host's, or one booted by
# tests/vm/vm-run). Each test either must pass on this kernel or is listed as not run here, with the feature it needs
# (the table below); nothing is skipped silently. Closes with "N passed, N failed" (one count per test run).
# Usage: tests/kernel.sh BUILD_DIR LOG_DIR "BPF_OBJECTS" "ARENA_OBJECTS" "COST_OBJECTS" "ARENA_COST_OBJECTS"
# Needs root and bpf(); a program that cannot load or run fails its test.
set -u
[ $# -eq 6 ] || { sed -n 's/^# Usage: //p' "$0" >&2; exit 2; }
build=$1 log_dir=$2 bpf_objects=$3 arena_objects=$4 cost_objects=$5 arena_cost_objects=$6
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"
mkdir -p "$log_dir"

# What a test needs beyond the oldest kernel of the matrix (6.1): the first kernel version that has it. Every test
# not listed here must pass on every kernel. An arena test needs a kernel that lets root create arenas: a machine that
# forbids them (a container or a policy) runs them on the VM kernels only, and says so. dm port puts a ported program's
# heap in an arena (and compiles without the sign-extending loads from it that kernels before 6.13 refuse); dm run
# loads it where DM_RUN_KERNEL says (tests/run.sh sets it to a VM kernel on such a machine; unset: here).
#            test                        kernel  feature
requirements="kernel_programs_arena      6.9     arenas
              kernel_arena_structures    6.9     arenas
              kernel_arena_globals       6.9     arenas
              kernel_stress_arena        6.9     arenas
              kernel_verifier_cost_arena 6.9     arenas
              dm_stat_arena              6.9     arenas
              dm_port                    6.9     arenas-where-dm-run-loads"

release=$(uname -r)
version=$(echo "$release" | grep -oE '^[0-9]+\.[0-9]+')
not_run=()

# run_here NAME COMMAND...: runs the test unless the table says this kernel lacks what it needs
run_here() {
	local name=$1 needed feature
	read -r needed feature < <(echo "$requirements" | awk -v name="$name" '$1 == name { $1 = ""; print }')
	if [ "${feature:-}" = arenas-where-dm-run-loads ] && [ "${DM_RUN_KERNEL:-host}" != host ]; then
		echo "== $name: its programs load on $DM_RUN_KERNEL (DM_RUN_KERNEL), in a VM"
	elif [ -n "${needed:-}" ] && ! version_at_least "$needed" "$version"; then
		not_run+=("$name: needs ${feature%%-*} ($needed+)")
		echo "== $name: not run on $release: needs ${feature%%-*} ($needed+)"
		return
	elif [[ ${feature:-} == arenas* ]] && [ -n "$arena_refusal" ]; then
		not_run+=("$name: this machine refuses arenas to root ($arena_refusal): they run on the VM kernels")
		echo "== $name: not run here: this machine refuses arenas to root ($arena_refusal)"
		return
	fi
	run "$@"
}

arena_refusal=
! version_at_least 6.9 "$version" || arena_refusal=$(arenas_refused)

echo "== in-kernel tests on Linux $release"
# shellcheck disable=SC2086 # the object lists are word lists
run_here kernel_programs "$build/bpf_runner" $bpf_objects
# shellcheck disable=SC2086
run_here kernel_programs_arena "$build/bpf_runner" $arena_objects
run_here kernel_arena_structures "$build/arena"
run_here kernel_arena_globals "$build/arena_globals" "$build/bpf-arena/arena_globals_small_room.bpf.o"
run_here kernel_stress "$build/bpf_runner" --stress "$build/bpf/stress.bpf.o" 100
run_here kernel_stress_arena "$build/bpf_runner" --stress "$build/bpf-arena/stress.bpf.o" 100
run_here kernel_pinned_heap "$build/bpf_runner" --pin "$build/bpf/pinned.bpf.o"
# shellcheck disable=SC2086
run_here kernel_verifier_cost "$build/bpf_runner" --cost $cost_objects
# shellcheck disable=SC2086
run_here kernel_verifier_cost_arena "$build/bpf_runner" --cost $arena_cost_objects
BUILD=$build run_here dm_stat bats tests/tools/dm_stat.bats
BUILD=$build run_here dm_stat_arena bats tests/tools/dm_stat_arena.bats
# In a VM (vm-run sets VM_KERNEL) every compile runs under TCG: a dm port test takes ~80 s there, all of them half an
# hour. There dm port's end-to-end test runs on one example program; the host's run does all of them.
port_tests=()
if [ -n "${VM_KERNEL:-}" ]; then
	port_tests=(--filter 'port/examples/linked_list\.c')
	echo "== dm_port: in a VM, only the tests matching ${port_tests[1]} (each compiles under TCG); all on host"
fi
BUILD=$build run_here dm_port bats "${port_tests[@]}" tests/tools/port.bats
# The examples check their own results (answers, static_check, return codes) and exit non-zero when one is wrong.
for example in linked_list packet_sizes percpu_scratch hash_table; do
	run_here "example_$example" "$build/$example"
done

echo
for n in "${not_run[@]}"; do echo "not run on $release: $n"; done
summary
