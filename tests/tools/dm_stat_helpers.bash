# SPDX-License-Identifier: MIT
# Shared by dm_stat.bats and dm_stat_arena.bats (bats `load`): a pin directory per test, fixtures loaded from BUILD.
# shellcheck disable=SC2034 # dm, heap: set here for the tests that load this file

setup() {
	build=${BUILD:-build}
	dm=$build/dm
	pins=/sys/fs/bpf/dm_stat_test_$$
	tmp=$(mktemp -d)
	head -c 64 /dev/zero > "$tmp/packet"
	mkdir -p "$pins"
}

teardown() {
	# shellcheck disable=SC2086 # pids: a list of process ids, one word each
	[ -z "${pids:-}" ] || kill $pids 2>/dev/null || true
	# shellcheck disable=SC2086
	[ -z "${pids:-}" ] || wait $pids 2>/dev/null || true
	rm -rf "$pins" "$tmp"
}

# load FIXTURE [DIR]: loads $build/DIR/FIXTURE.bpf.o (DIR: bpf, or bpf-arena for the arena heap build), pins its
# programs and maps under $pins/FIXTURE.
load_fixture() {
	bpftool prog loadall "$build/${2:-bpf}/$1.bpf.o" "$pins/$1" pinmaps "$pins/$1_maps"
}

run_program() { # FIXTURE PROGRAM [CPU]
	${3:+taskset -c "$3"} bpftool prog run pinned "$pins/$1/$2" data_in "$tmp/packet"
}

known_heap() {
	load_fixture stat_fixture
	run_program stat_fixture allocate_known_set
	heap=$pins/stat_fixture_maps/dm_heap
}
