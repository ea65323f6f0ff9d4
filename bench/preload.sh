#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real programs on glibc's malloc and on libdynamic_memory.so, alternated in one run: median wall time and peak RSS
# (the largest process of the command), as a markdown table. Usage: bench/preload.sh BUILD_DIR RUNS DATA_DIR
set -euo pipefail
build=$1 runs=$2 data=$3
lib=$(realpath "$build/libdynamic_memory.so")
cat > "$data/objects.py" <<'PY'
for rnd in range(10):
    objects = [{'k': i, 'v': str(i), 't': (i, rnd)} for i in range(100000)]
    del objects
PY
# name|command: gcc compiles the differential test (the header included); python3 with every object through malloc.
workloads=(
	"gcc -O2 -c tests/native/differential.c|gcc -O2 -Dnative_executable -I. -c tests/native/differential.c -o $data/differential.o"
	"python3, 3 million dicts (PYTHONMALLOC=malloc)|env PYTHONMALLOC=malloc /usr/bin/python3 $data/objects.py"
)
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for workload in "${workloads[@]}"; do
	name=${workload%%|*} command=${workload#*|}
	for ((i = 0; i < runs; i++)); do
		# shellcheck disable=SC2086 # the command is a word list
		/usr/bin/time -f "%e %M" -a -o "$data/glibc.times" $command
		# shellcheck disable=SC2086
		LD_PRELOAD=$lib /usr/bin/time -f "%e %M" -a -o "$data/dm.times" $command
	done
	glibc_s=$(awk '{ print $1 }' "$data/glibc.times" | median) dm_s=$(awk '{ print $1 }' "$data/dm.times" | median)
	glibc_kb=$(awk '{ print $2 }' "$data/glibc.times" | median) dm_kb=$(awk '{ print $2 }' "$data/dm.times" | median)
	awk -v n="$name" -v gs="$glibc_s" -v ds="$dm_s" -v gk="$glibc_kb" -v dk="$dm_kb" 'BEGIN {
		printf "| %s | %.2f s | %.2f s | %.2fx | %.1f MiB | %.1f MiB |\n", n, gs, ds, ds / gs, gk / 1024, dk / 1024 }'
	rm -f "$data/glibc.times" "$data/dm.times"
done
