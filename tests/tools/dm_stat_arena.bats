#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # build, dm, pins, tmp: set by dm_stat_helpers.bash (bats load)
# dm stat and dm arena-init against a real arena heap (BPF_MAP_TYPE_ARENA: kernels 6.9+); the other heaps' tests are
# in dm_stat.bats. Run from the repository root; BUILD (default build) holds dm and the fixtures.

load dm_stat_helpers

@test "an arena heap is read through the arena: the same numbers, and 'not used' before dm_arena_init" {
	load_fixture stat_fixture bpf-arena
	heap=$pins/stat_fixture_maps/dm_arena
	run "$dm" stat "$heap"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"arena heap, not used yet (dm_arena_init has not run)"* ]]
	run "$dm" arena-init "$pins/stat_fixture/allocate_known_set"
	[ "$status" -eq 3 ] && [[ "$output" == *"the pinned program 'allocate_known_', expected dm_arena_init"* ]]
	run "$dm" arena-init "$pins/stat_fixture/dm_arena_init"
	[ "$status" -eq 0 ] && [ "$output" = "arena heap ready" ]
	run "$dm" arena-init "$pins/stat_fixture/dm_arena_init" # again: the heap is ready, dm_arena_init leaves it as it is
	[ "$status" -eq 0 ] && [ "$output" = "arena heap ready" ]
	run_program stat_fixture allocate_known_set
	run "$dm" stat "$heap" --json
	[ "$status" -eq 0 ]
	for field in '"kind": "arena"' '"allocated": 808' '"used_blocks": 3' '"free_blocks": 2' '"allocations": 4' \
		'"largest_free": 63520' '"capacity": 64560'; do
		[[ "$output" == *"$field"* ]] || { echo "missing $field in $output"; return 1; }
	done
	COLUMNS=84 run "$dm" stat "$heap" --layout
	[ "$status" -eq 0 ] && [[ "$output" == *"largest free blocks: 63520 B at "*", 200 B at "* ]]
	run_program stat_fixture overflow_a_block
	run "$dm" stat "$heap"
	[ "$status" -eq 5 ] && [[ "$output" =~ block\ at\ offset\ [0-9]+:\ bad\ header ]]
}

@test "an arena heap next to the program's own __arena globals (bpftool's libbpf wrote them) is read at its place" {
	load_fixture arena_globals bpf-arena
	heap=$pins/arena_globals_maps/dm_arena
	run "$dm" stat "$heap"
	[ "$status" -eq 0 ] && [[ "${lines[0]}" == *"arena heap, not used yet"* ]]
	run run_program arena_globals globals_before_init
	[[ "$output" == *"Return value: 1"* ]]
	"$dm" arena-init "$pins/arena_globals/dm_arena_init"
	bpftool prog run pinned "$pins/arena_globals/push" data_in "$tmp/packet" repeat 7 > /dev/null
	run "$dm" stat "$heap" --json
	[ "$status" -eq 0 ]
	for field in '"kind": "arena"' '"allocated": 112' '"used_blocks": 7' '"allocations": 7' '"corruptions": 0'; do
		[[ "$output" == *"$field"* ]] || { echo "missing $field in $output"; return 1; }
	done
}

@test "dm arena-init refuses a heap whose program's __arena globals do not fit their room (DM_ARENA_GLOBALS=4096)" {
	load_fixture arena_globals_small_room bpf-arena
	run "$dm" arena-init "$pins/arena_globals_small_room/dm_arena_init"
	[ "$status" -eq 3 ] && [ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "dm: $pins/arena_globals_small_room/dm_arena_init: the program's __arena globals ("*" bytes) do not fit the 4096 bytes DM_ARENA_GLOBALS leaves them in the arena: build it with a larger DM_ARENA_GLOBALS" ]]
	run "$dm" stat "$pins/arena_globals_small_room_maps/dm_arena" # the globals were not formatted over
	[ "$status" -eq 0 ] && [[ "${lines[0]}" == *"arena heap, not used yet"* ]]
}
