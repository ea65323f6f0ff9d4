#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: a plain C program that mallocs, run natively and in the kernel (dm port + dm run), side by side, then
# the heap's counters. Where this machine refuses BPF arenas to root (a container or a policy: a ported program's
# heap is an arena), dm run runs in Debian's 6.12 booted in qemu (tests/vm/vm-run), and says so.
# Usage: scripts/demo.sh BUILD_DIR PROGRAM.c
set -euo pipefail
[ $# -eq 2 ] || { sed -n 's/^# Usage: //p' "$0" >&2; exit 2; }
build=$1 program=$2 out=$1/demo
mkdir -p "$out"
cc -O2 "$program" -o "$out/native"
run_on=(tests/vm/vm-run host --)
port_options=()
if refusal=$(tests/vm/arenas-refused); then
	echo "== this machine refuses BPF arenas to root ($refusal): dm run runs in Debian's 6.12, in qemu"
	tests/vm/prepare-kernels "$build/kernels" 6.12
	run_on=(tests/vm/vm-run --kernels "$build/kernels" --streams 6.12 --)
	port_options=(--no-load)
fi
echo "== dm port $program -o $out/program.bpf.o"
"$build/dm" port "$program" -o "$out/program.bpf.o" "${port_options[@]}"
status=0
"$out/native" > "$out/native.out" || status=$?
echo "exit status $status" >> "$out/native.out"
status=0
"${run_on[@]}" "$build/dm" run --stats "$out/program.bpf.o" < /dev/null > "$out/kernel.out" 2> "$out/stats.out" ||
	status=$?
echo "exit status $status" >> "$out/kernel.out"
awk 'NR == FNR { left[FNR] = $0; n = FNR; next } { right[FNR] = $0; m = FNR }
	END { printf "%-44s| %s\n", "== natively (cc)", "in the kernel (dm run)";
	      for (i = 1; i <= (n > m ? n : m); i++) printf "%-44s| %s\n", left[i], right[i] }' \
	"$out/native.out" "$out/kernel.out"
if ! cmp -s "$out/native.out" "$out/kernel.out"; then
	echo "== the outputs DIFFER"
	cat "$out/stats.out"
	exit 1
fi
echo "== identical output and exit status"
echo "== the arena heap afterwards (dm run --stats):"
cat "$out/stats.out"
