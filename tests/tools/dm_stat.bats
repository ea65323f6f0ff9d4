#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # build, dm, heap, pins, tmp: set by dm_stat_helpers.bash (bats load)
# dm stat against real heaps: a BPF program allocates a known set of blocks into a heap pinned by bpftool, and
# dm stat must report exactly those numbers (table, JSON, layout, watch, and through a real Prometheus), and every
# error path must say what is wrong. Run from the repository root; BUILD (default build) holds dm and the fixtures.
# The arena heap's test is in dm_stat_arena.bats: it needs a kernel with arenas (6.9+), see tests/kernel.sh.

load dm_stat_helpers

@test "--json reports exactly the blocks the program allocated" {
	known_heap
	run "$dm" stat "$heap" --json
	[ "$status" -eq 0 ]
	for field in '"allocated": 808' '"used_blocks": 3' '"free_blocks": 2' '"allocations": 4' '"frees": 1' \
		'"peak_allocated": 1008' '"free": 63720' '"largest_free": 63520' '"capacity": 64560' \
		'"failed_allocations": 0' '"invalid_frees": 0' '"corruptions": 0' '"lock_failures": 0' \
		'"kind": "shared"' '"policy": "segregated"'; do
		[[ "$output" == *"$field"* ]] || { echo "missing $field in $output"; return 1; }
	done
	python3 -c 'import json,sys; json.loads(sys.argv[1])' "$output"
}

@test "a block parked in a CPU's cache counts as cached, not as used, and its malloc and free are counted" {
	known_heap
	run_program stat_fixture park_a_block
	run "$dm" stat "$heap" --json
	[ "$status" -eq 0 ]
	for field in '"allocated": 808' '"used_blocks": 3' '"allocations": 5' '"frees": 2' '"cached_blocks": 1' \
		'"cached_bytes": 56'; do
		[[ "$output" == *"$field"* ]] || { echo "missing $field in $output"; return 1; }
	done
}

@test "the table shows the same numbers" {
	known_heap
	run "$dm" stat "$heap"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"shared heap, pool 65536 B, segregated, align 8"* ]]
	read -r -a header <<< "${lines[1]}"
	[ "${header[*]}" = "heap capacity allocated peak free largest used freeblk allocs frees failed invalid corrupt lockfail cached cachedB frag" ]
	read -r -a row <<< "${lines[2]}"
	[ "${row[0]}" = all ] && [ "${row[1]}" = 64560 ] && [ "${row[2]}" = 808 ] && [ "${row[3]}" = 1008 ]
	[ "${row[4]}" = 63720 ] && [ "${row[5]}" = 63520 ] && [ "${row[6]}" = 3 ] && [ "${row[7]}" = 2 ] && [ "${row[8]}" = 4 ]
	[ "${row[9]}" = 1 ] && [ "${row[16]}" = 0.003 ]
}

@test "--layout draws the pool and lists the largest free blocks, the 200-byte hole among them" {
	known_heap
	COLUMNS=84 run "$dm" stat "$heap" --layout
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "  [#"* ]]
	[ "${#lines[1]}" -eq 84 ]
	[[ "$output" == *"largest free blocks: 63520 B at "*", 200 B at "* ]]
}

@test "a per-CPU heap shows a row per CPU and a total" {
	load_fixture stat_fixture_percpu
	run_program stat_fixture_percpu allocate_known_set 1
	run "$dm" stat "$pins/stat_fixture_percpu_maps/dm_heap"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"per-CPU heap, pool 16384 B"* ]]
	[[ "$output" == *"cpu0   (not used yet)"* ]]
	[[ "$output" == *"cpu1"*" 808 "* ]]
	[[ "$output" == *"total"*" 808 "* ]]
	run "$dm" stat "$pins/stat_fixture_percpu_maps/dm_heap" --json
	[[ "$output" == *'"kind": "percpu"'* ]] && [[ "$output" == *'"cpu": "1", "used": true'* ]]
}

@test "--watch refreshes in place until interrupted" {
	known_heap
	run timeout -s INT 3 "$dm" stat "$heap" --watch 1
	[ "$(grep -c 'shared heap' <<< "$output")" -ge 2 ]
	[[ "$output" == *$'\e[H\e[2J'* ]]
}

@test "--prometheus serves /metrics, and a real Prometheus scrapes the values the program produced" {
	known_heap
	port=$((20000 + $$ % 10000))
	"$dm" stat "$heap" --prometheus "127.0.0.1:$port" 2> "$tmp/dm.log" 3>&- &
	pids=$!
	for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/metrics" > "$tmp/metrics" 2>/dev/null && break; sleep 0.1; done
	grep -q '^# HELP dm_allocated_bytes ' "$tmp/metrics"
	grep -q '^# TYPE dm_allocations_total counter' "$tmp/metrics"
	grep -q "^dm_allocated_bytes{heap=\"dm_heap\",path=\"$heap\",cpu=\"all\"} 808$" "$tmp/metrics"
	cat > "$tmp/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		scrape_configs:
		  - job_name: dm
		    static_configs:
		      - targets: ['127.0.0.1:$port']
	EOF
	prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
		--web.listen-address="127.0.0.1:$((port + 1))" > "$tmp/prometheus.log" 2>&1 3>&- &
	pids="$pids $!"
	for _ in $(seq 60); do
		curl -fsS "http://127.0.0.1:$((port + 1))/api/v1/query?query=dm_allocated_bytes" > "$tmp/query" 2>/dev/null &&
			grep -q '"808"' "$tmp/query" && break
		sleep 0.5
	done
	grep -q '"808"' "$tmp/query"
	curl -fsS "http://127.0.0.1:$((port + 1))/api/v1/query?query=dm_allocations_total" | grep -q '"4"'
	curl -fsS "http://127.0.0.1:$((port + 1))/api/v1/query?query=dm_frees_total" | grep -q '"1"'
}

@test "--prometheus listens on 127.0.0.1 unless told otherwise, and rejects a bad address" {
	known_heap
	# below the ephemeral ports (32768 on), which any connection of this machine may hold (it failed once there)
	port=$((10000 + $$ % 10000))
	"$dm" stat "$heap" --prometheus "$port" 2> "$tmp/dm.log" 3>&- &
	pids=$!
	for _ in $(seq 50); do grep -q serving "$tmp/dm.log" && break; sleep 0.1; done
	grep -q "serving http://127.0.0.1:$port/metrics" "$tmp/dm.log" || { cat "$tmp/dm.log"; false; }
	run "$dm" stat "$heap" --prometheus "not-an-address:80"
	[ "$status" -eq 2 ]
	[[ "$output" == *"expected [ADDR:]PORT"* ]]
}

@test "a corrupt heap is reported with the offset of the bad header, not crashed on" {
	known_heap
	run_program stat_fixture overflow_a_block
	run "$dm" stat "$heap"
	[ "$status" -eq 5 ]
	[[ "$output" =~ block\ at\ offset\ [0-9]+:\ bad\ header ]]
	run "$dm" stat "$heap" --layout
	[ "$status" -eq 5 ]
}

@test "a missing path is an error naming it" {
	run "$dm" stat "$pins/nothing_here"
	[ "$status" -eq 3 ]
	[[ "$output" == *"$pins/nothing_here: no such file, expected a pinned dm heap map"* ]]
}

@test "a file that is not a pinned BPF object is refused" {
	run "$dm" stat "$tmp/packet"
	[ "$status" -eq 3 ]
	[[ "$output" == *"not a pinned BPF object"* ]]
}

@test "a pinned program is not a map" {
	load_fixture stat_fixture
	run "$dm" stat "$pins/stat_fixture/allocate_known_set"
	[ "$status" -eq 3 ]
	[[ "$output" == *"a pinned program, expected a pinned dm heap map"* ]]
}

@test "a map that is not a dm heap is refused, saying why" {
	bpftool map create "$pins/other" type array key 4 value 8 entries 1 name other
	run "$dm" stat "$pins/other"
	[ "$status" -eq 3 ]
	[[ "$output" == *"not a dm heap: map 'other'"* ]]
	bpftool map create "$pins/dm_heap_lookalike" type array key 4 value 4096 entries 1 name dm_heap
	run "$dm" stat "$pins/dm_heap_lookalike"
	[ "$status" -eq 3 ]
	[[ "$output" == *"its BTF does not describe struct dm_heap"* ]]
}

@test "permission denied is reported as such" {
	known_heap
	chmod 0755 "$pins" "$pins/stat_fixture_maps"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$dm" stat "$heap"
	[ "$status" -eq 4 ]
	[[ "$output" == *"permission denied"* ]]
}

@test "usage: --help, a missing path, an unknown option or command" {
	run "$dm" --help
	[ "$status" -eq 0 ] && [[ "$output" == *"stat PIN_PATH"* ]]
	run "$dm" stat --help
	[ "$status" -eq 0 ] && [[ "$output" == *"--prometheus"* ]] && [[ "$output" == *"exit status"* ]]
	run "$dm" stat
	[ "$status" -eq 2 ]
	run "$dm" stat /x --bogus
	[ "$status" -eq 2 ] && [[ "$output" == *"unexpected '--bogus'"* ]]
	run "$dm" frobnicate
	[ "$status" -eq 2 ] && [[ "$output" == *"unknown command 'frobnicate'"* ]]
}
