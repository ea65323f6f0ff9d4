#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2030,SC2031 # bats runs a test and its teardown in one shell: pids reaches teardown
# Hostile input (issue 18): every dm command, run as root and as an unprivileged user (nobody), meets the inputs
# people mistype and answers each in one line that names the file, says what it is and what was expected, with the
# exit status of dm --help's table. Permission is blamed on root only when BPF itself was refused. The /metrics
# exporter keeps answering while clients that send nothing, garbage or 1 MiB hold connections. Run from the
# repository root as root; BUILD (default build) holds dm and the fixtures (see tests/tools/dm_stat.bats).

load dm_run_kernel

setup() {
	build=${BUILD:-build}
	dm=$build/dm
	pins=/sys/fs/bpf/dm_inputs_cmds_$$
	tmp=$(mktemp -d)
	chmod 0755 "$tmp" # nobody reads the inputs too
	# nobody runs dm and port.py from this checkout: every directory above it must let others search it (a clone
	# under `mktemp -d` sits in a 0700 one)
	local dir=$PWD
	while [ "$dir" != / ]; do
		[ -n "$(find "$dir" -maxdepth 0 -perm -o+x)" ] || chmod o+x "$dir"
		dir=$(dirname "$dir")
	done
	mkdir -p "$pins" "$tmp/dir" "$tmp/out"
	chmod 0755 "$pins"
	chown 65534:65534 "$tmp/out" # where nobody may write
	: > "$tmp/empty.c"
	: > "$tmp/empty.bpf.o"
	printf 'int main(void)\n{\n\treturn 0;\n}\n' > "$tmp/notes.txt"
	cp "$tmp/notes.txt" "$tmp/program.c"
	cp "$tmp/notes.txt" "$tmp/secret.c"
	chmod 0600 "$tmp/secret.c"
	printf 'int main(void)\n{\n\treturn (1;\n}\n' > "$tmp/bad.c"
	head -c 3000 "$build/bpf/stat_fixture.bpf.o" > "$tmp/truncated.bpf.o"
	# a whole ELF header for BPF and nothing else: libbpf's own check has to speak
	{ printf '\177ELF\2\1\1\0\0\0\0\0\0\0\0\0\1\0\367\0\1\0\0\0'; head -c 40 /dev/zero; } > "$tmp/bare.bpf.o"
}

teardown() {
	# shellcheck disable=SC2086 # pids: a list of process ids, one word each
	[ -z "${pids:-}" ] || kill $pids 2>/dev/null || true
	# shellcheck disable=SC2086
	[ -z "${pids:-}" ] || wait $pids 2>/dev/null || true
	rm -rf "$pins" "$tmp" "${junk:-}"
}

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# answers STATUS MESSAGE COMMAND...: as root and as nobody, COMMAND exits STATUS with one line containing MESSAGE,
# never a libbpf code ("Unknown error") nor, for anything but BPF refused, "needs root".
answers() {
	local expected_status=$1 message=$2 user
	shift 2
	for user in root nobody; do
		if [ $user = root ]; then run "$@"; else run as_nobody "$@"; fi
		if [ "$status" -ne "$expected_status" ] || [ "${#lines[@]}" -ne 1 ] || [[ "$output" != *"$message"* ]] ||
			[[ "$output" == *"Unknown error"* ]] || [[ "$output" == *"needs root"* ]]; then
			echo "as $user: $*: exit $status, expected $expected_status with '$message' in one line; got:"
			echo "$output"
			return 1
		fi
	done
}

load_fixture() { # FIXTURE [DIR]: pins $build/DIR/FIXTURE.bpf.o's programs and maps under $pins, readable by all
	bpftool prog loadall "$build/${2:-bpf}/$1.bpf.o" "$pins/$1" pinmaps "$pins/$1_maps"
	chmod 0755 "$pins/$1" "$pins/$1_maps"
}

# --- the rows of issue 18's table ---------------------------------------------------------------------------

@test "dm port of a C file not named .c: read as C, no traceback (tests/tools/port.bats runs the ported program)" {
	run dm_port "$tmp/notes.txt" -o "$tmp/out/x.o"
	[ "$status" -eq 0 ] && [[ "$output" != *Traceback* ]]
}

@test "dm port of an empty file: refused as empty before the porter runs" {
	answers 3 "$tmp/empty.c: empty (0 bytes), expected a C program" "$dm" port "$tmp/empty.c" -o "$tmp/out/x.o"
	[ ! -e "$tmp/out/x.o" ]
}

@test "dm port of a directory: a directory, not 'no such file'" {
	answers 3 "$tmp/dir: a directory, expected a C program" "$dm" port "$tmp/dir" -o "$tmp/out/x.o"
}

@test "dm port of a syntax error: exit 1 naming the file and line, no traceback" {
	for user in root nobody; do
		if [ $user = root ]; then run "$dm" port "$tmp/bad.c" -o "$tmp/out/x.o"
		else run as_nobody "$dm" port "$tmp/bad.c" -o "$tmp/out/x.o"; fi
		[ "$status" -eq 1 ] && [[ "$output" == *"$tmp/bad.c:3"* ]] && [[ "$output" != *Traceback* ]] ||
			{ echo "as $user: exit $status: $output"; return 1; }
	done
}

@test "dm run of a truncated object: its size and where its section headers end, not libbpf's error number" {
	answers 3 "$tmp/truncated.bpf.o: truncated: 3000 bytes, but its section headers end at byte" \
		"$dm" run "$tmp/truncated.bpf.o"
}

@test "dm stat of a directory (/sys/fs/bpf): a directory, not permission denied" {
	answers 3 "/sys/fs/bpf: a directory, expected a pinned dm heap map" "$dm" stat /sys/fs/bpf
}

# --- dm stat -------------------------------------------------------------------------------------------------

@test "dm stat: missing, empty file, regular file, pinned program, map that is not a dm heap" {
	answers 3 "$pins/absent: no such file, expected a pinned dm heap map" "$dm" stat "$pins/absent"
	answers 3 "$tmp/empty.c: an empty regular file, not a pinned BPF object" "$dm" stat "$tmp/empty.c"
	answers 3 "$tmp/notes.txt: a regular file, not a pinned BPF object" "$dm" stat "$tmp/notes.txt"
	load_fixture stat_fixture
	run "$dm" stat "$pins/stat_fixture/allocate_known_set"
	[ "$status" -eq 3 ] && [[ "$output" == *"a pinned program, expected a pinned dm heap map"* ]]
	bpftool map create "$pins/other" type array key 4 value 8 entries 1 name other
	run "$dm" stat "$pins/other"
	[ "$status" -eq 3 ] && [[ "$output" == *"$pins/other: not a dm heap: map 'other'"* ]]
}

@test "dm stat as nobody: the pin's mode, then a closed directory, are blamed; only BTF needs root" {
	load_fixture stat_fixture
	heap=$pins/stat_fixture_maps/dm_heap
	run as_nobody "$dm" stat "$heap"
	[ "$status" -eq 4 ] && [[ "$output" == *"$heap: permission denied: mode 0600, owner uid 0: uid 65534 may not open it"* ]]
	[[ "$output" != *root* ]]
	chmod 0700 "$pins/stat_fixture_maps"
	run as_nobody "$dm" stat "$heap"
	[ "$status" -eq 4 ] && [[ "$output" == *"uid 65534 may not search a directory on its path"* ]]
	[[ "$output" != *root* ]]
	chmod 0755 "$pins/stat_fixture_maps"
	chmod 0644 "$heap" # readable: dm stat opens maps read-only
	run as_nobody "$dm" stat "$heap"
	[ "$status" -eq 4 ] && [[ "$output" == *"reading a map's type information (BTF) needs root or CAP_SYS_ADMIN"* ]]
	run as_nobody --inh-caps=+sys_admin --ambient-caps=+sys_admin "$dm" stat "$heap"
	[ "$status" -eq 0 ] && [[ "$output" == *"shared heap"* ]]
}

# --- dm arena-init --------------------------------------------------------------------------------------------

# The pinned objects here are an ARRAY heap's: its checks come before anything arena-specific. An arena heap's real
# dm_arena_init is tested with the arenas (tests/tools/dm_stat_arena.bats), where the kernel makes them.
@test "dm arena-init: missing, directory, regular file, a map, another program, a program nobody may open" {
	answers 3 "$pins/absent: no such file, expected the pinned program dm_arena_init" "$dm" arena-init "$pins/absent"
	answers 3 "$pins: a directory, expected the pinned program dm_arena_init" "$dm" arena-init "$pins"
	answers 3 "$tmp/notes.txt: a regular file, not a pinned BPF object" "$dm" arena-init "$tmp/notes.txt"
	load_fixture stat_fixture
	run "$dm" arena-init "$pins/stat_fixture_maps/dm_heap"
	[ "$status" -eq 3 ] && [[ "$output" == *"a pinned map, expected the pinned program dm_arena_init"* ]]
	run "$dm" arena-init "$pins/stat_fixture/allocate_known_set"
	[ "$status" -eq 3 ] && [[ "$output" == *"the pinned program 'allocate_known_', expected dm_arena_init"* ]]
	run as_nobody "$dm" arena-init "$pins/stat_fixture/allocate_known_set"
	[ "$status" -eq 4 ] && [[ "$output" == *"permission denied: mode 0600, owner uid 0: uid 65534 may not open it"* ]]
}

# --- dm preload ------------------------------------------------------------------------------------------------

# ld.so only warns that a library "cannot be preloaded" and runs the command without the heap: dm must refuse first.
# One line each: the command (echo) never ran.
@test "dm preload --lib: missing, a directory, text, an ELF object that is not shared, a program, unreadable; the library runs" {
	answers 3 "$tmp/absent.so: no such file, expected libdynamic_memory.so" \
		"$dm" preload --lib "$tmp/absent.so" -- echo ran
	answers 3 "$tmp/dir: a directory, expected libdynamic_memory.so" "$dm" preload --lib "$tmp/dir" -- echo ran
	answers 3 "$tmp/notes.txt: not an ELF object (30 bytes, not starting with \\177ELF); expected libdynamic_memory.so" \
		"$dm" preload --lib "$tmp/notes.txt" -- echo ran
	answers 3 "$tmp/bare.bpf.o: not an ELF shared object (e_type 1, a shared object's is 3); expected libdynamic_memory.so" \
		"$dm" preload --lib "$tmp/bare.bpf.o" -- echo ran
	# A position-independent program is a shared object too (e_type 3), with no malloc of its own.
	cp /bin/true "$tmp/true"
	answers 3 "$tmp/true: a shared object that defines no malloc: the command would run on glibc's; expected libdynamic_memory.so" \
		"$dm" preload --lib "$tmp/true" -- echo ran
	cp "$build/libdynamic_memory.so" "$tmp/secret.so"
	chmod 0600 "$tmp/secret.so"
	run as_nobody "$dm" preload --lib "$tmp/secret.so" -- echo ran
	[ "$status" -eq 4 ] && [ "${#lines[@]}" -eq 1 ] &&
		[[ "$output" == *"$tmp/secret.so: permission denied: mode 0600, owner uid 0: uid 65534 may not read it"* ]]
	run "$dm" preload --lib "$tmp/secret.so" -- echo ran
	[ "$status" -eq 0 ] && [ "${lines[0]}" = ran ] && [[ "$output" == *"1 process on the heap"* ]]
}

# --- dm stat --pid ----------------------------------------------------------------------------------------------

@test "dm stat --pid: no such process, a process not on the library, junk in its file" {
	answers 3 "dm: stat: no process 999999999" "$dm" stat --pid 999999999
	sleep 60 &
	pids=$!
	answers 3 "dm: stat: process $pids does not run on libdynamic_memory.so (no /dev/shm/dm-$pids)" \
		"$dm" stat --pid "$pids"
	junk=/dev/shm/dm-$pids # through --pid, a stats file whatever it holds: not "not a pinned BPF object"
	head -c 8192 /dev/urandom > "$junk"
	chmod 0644 "$junk"
	answers 3 "$junk: not a libdynamic_memory.so stats file (expected 8192 bytes starting with magic" \
		"$dm" stat --pid "$pids"
	chmod 0600 "$junk" # a stats file its owner made private
	run "$dm" stat --pid "$pids"
	[ "$status" -eq 3 ] && [[ "$output" == *"not a libdynamic_memory.so stats file"* ]]
	run as_nobody "$dm" stat --pid "$pids"
	[ "$status" -eq 4 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"$junk: permission denied: mode 0600, owner uid 0: uid 65534 may not read it"* ]]
}

# --- dm port ---------------------------------------------------------------------------------------------------

@test "dm port: missing, an ELF object, binary, unreadable; -o missing directory, a directory, the program itself" {
	answers 3 "$tmp/absent.c: no such file, expected a C program" "$dm" port "$tmp/absent.c" -o "$tmp/out/x.o"
	answers 3 "$build/dm: an ELF object, not C source" "$dm" port "$build/dm" -o "$tmp/out/x.o"
	printf 'int main(void) { return 0; }\0' > "$tmp/binary.c"
	answers 3 "$tmp/binary.c: binary (a NUL byte at offset 28), not C source" "$dm" port "$tmp/binary.c" -o "$tmp/out/x.o"
	answers 3 "-o $tmp/nowhere/x.o: no directory $tmp/nowhere to write it in" \
		"$dm" port "$tmp/program.c" -o "$tmp/nowhere/x.o"
	answers 3 "-o $tmp/dir: a directory, expected the path of the object to write" \
		"$dm" port "$tmp/program.c" -o "$tmp/dir"
	answers 2 "-o $tmp/program.c is the program itself" "$dm" port "$tmp/program.c" -o "$tmp/program.c"
	grep -q main "$tmp/program.c"
	run as_nobody "$dm" port "$tmp/secret.c" -o "$tmp/out/x.o"
	[ "$status" -eq 4 ] && [[ "$output" == *"$tmp/secret.c: permission denied: mode 0600, owner uid 0: uid 65534 may not read it"* ]]
	[[ "$output" != *root* ]]
	run as_nobody "$dm" port "$tmp/program.c" -o "$tmp/dir/x.o"
	[ "$status" -eq 4 ] && [[ "$output" == *"$tmp/dir: permission denied: mode 0755, owner uid 0: uid 65534 may not write in it"* ]]
}

@test "dm port as nobody: the object is written, and checking that it loads needs root" {
	run as_nobody "$dm" port "$tmp/program.c" -o "$tmp/out/program.bpf.o"
	[ "$status" -eq 4 ] && [[ "$output" == *"checking that it loads needs root or CAP_BPF"* ]]
	[ -s "$tmp/out/program.bpf.o" ]
}

# --- dm run ----------------------------------------------------------------------------------------------------

@test "dm run: missing, directory, empty, C source, text, another machine's ELF, a bare ELF, not made by dm port" {
	answers 3 "$tmp/absent.bpf.o: no such file, expected a BPF object made by dm port" "$dm" run "$tmp/absent.bpf.o"
	answers 3 "$tmp/dir: a directory, expected a BPF object made by dm port" "$dm" run "$tmp/dir"
	answers 3 "$tmp/empty.bpf.o: empty (0 bytes), expected a BPF object made by dm port" "$dm" run "$tmp/empty.bpf.o"
	answers 3 "$tmp/program.c: C source, not a BPF object: port it first (dm port $tmp/program.c" \
		"$dm" run "$tmp/program.c"
	answers 3 "$tmp/notes.txt: not an ELF object (30 bytes, not starting with \\177ELF)" "$dm" run "$tmp/notes.txt"
	answers 3 "$build/dm: an ELF object for another machine (e_machine 62, BPF is 247)" "$dm" run "$build/dm"
	answers 3 "$tmp/bare.bpf.o: libbpf cannot open it: BPF object format invalid" "$dm" run "$tmp/bare.bpf.o"
	answers 3 "stat_fixture.bpf.o: a BPF object without the program dm_port_run: not made by dm port" \
		"$dm" run "$build/bpf/stat_fixture.bpf.o"
}

@test "dm run of a ported program (ported in its directory): runs as root; as nobody, unreadable is the mode's fault, loading needs root" {
	(cd "$tmp" && dm_port program.c -o program.bpf.o) # -o without a directory: the current one
	run dm_run "$tmp/program.bpf.o"
	[ "$status" -eq 0 ]
	run as_nobody "$dm" run "$tmp/program.bpf.o"
	[ "$status" -eq 4 ] && [[ "$output" == *"permission denied: loading a BPF program needs root or CAP_BPF"* ]]
	chmod 0600 "$tmp/program.bpf.o"
	run as_nobody "$dm" run "$tmp/program.bpf.o"
	[ "$status" -eq 4 ] && [[ "$output" == *"mode 0600, owner uid 0: uid 65534 may not read it"* ]]
	[[ "$output" != *root* ]]
}

# --- one table of exit statuses ----------------------------------------------------------------------------------

@test "dm --help prints the exit status table; each command's help prints rows of it, word for word" {
	run "$dm" --help
	[ "$status" -eq 0 ]
	table=$(sed -n '/^exit status:/,$p' <<< "$output")
	for code in 0 1 2 3 4 5 6 7 70; do grep -qE "^ +$code  " <<< "$table" || { echo "no row $code"; return 1; }; done
	for command in stat arena-init port run preload; do
		run "$dm" "$command" --help
		[ "$status" -eq 0 ] && [[ "$output" == *"exit status:"* ]]
		while IFS= read -r row; do
			grep -qxF -- "$row" <<< "$table" || { echo "dm $command --help: '$row' is not in dm --help"; return 1; }
		done < <(sed -n '/^exit status:/,$p' <<< "$output" | tail -n +2)
	done
}

# the statuses a command's source names (user/dm/dm.h's names, as codes), leaving out its help's own list
statuses_named() { # FILE...
	local name value
	declare -A code
	while read -r name value; do code[$name]=$value; done < <(sed -n 's/.*X(\(EXIT_[A-Z_]*\), \([0-9]*\),.*/\1 \2/p' user/dm/dm.h)
	sed '/print_exit_statuses(/,/);/d' "$@" | grep -o 'EXIT_[A-Z_]*' | sort -u | while read -r name; do
		echo "${code[$name]}"
	done
}

@test "each command's --help lists exactly the exit statuses its source returns" {
	# COMMAND:FILES (under user/dm/): what the command is made of. A status is returned by its files or by the
	# helpers every command shares (input.c's checks, rejection.c's EXIT_KERNEL); dm port also passes on its front
	# end's 1 (port/port.py).
	local shared
	shared=$(statuses_named user/dm/input.c user/dm/rejection.c)
	for entry in stat:stat.c,prometheus.c arena-init:arena_init.c port:port.c run:run.c preload:preload.c; do
		command=${entry%%:*}
		files=()
		IFS=, read -ra names <<< "${entry#*:}"
		for name in "${names[@]}"; do files+=("user/dm/$name"); done
		run "$dm" "$command" --help
		[ "$status" -eq 0 ]
		listed=$(sed -n '/^exit status:/,$p' <<< "$output" | tail -n +2 | awk '{ print $1 }')
		named=$(statuses_named "${files[@]}")
		for code in $named; do
			grep -qx "$code" <<< "$listed" ||
				{ echo "dm $command can return $code (${files[*]}), not in its --help"; return 1; }
		done
		for code in $listed; do
			grep -qx "$code" <<< "$named"$'\n'"$shared"$'\n'"$([ "$command" = port ] && echo 1)" ||
				{ echo "dm $command --help lists $code, which nothing it runs returns"; return 1; }
		done
	done
}

@test "bad usage is 2 for every command, as dm port --help promises" {
	run "$dm" port port/examples/linked_list.c
	[ "$status" -eq 2 ] && [[ "$output" == *"-o OBJECT"* ]]
	run "$dm" run
	[ "$status" -eq 2 ]
	run "$dm" run --bogus a.bpf.o # after the object, arguments are the program's
	[ "$status" -eq 2 ]
	run "$dm" stat --bogus
	[ "$status" -eq 2 ]
	run "$dm" arena-init a b
	[ "$status" -eq 2 ]
	run "$dm" preload --bogus -- true
	[ "$status" -eq 2 ]
	run "$dm" preload
	[ "$status" -eq 2 ]
	run "$dm" stat --watch
	[ "$status" -eq 2 ] && [[ "$output" == *"--watch needs a value: --watch SECONDS"* ]]
	run "$dm" frobnicate
	[ "$status" -eq 2 ]
}

# --- the /metrics exporter under hostile clients ----------------------------------------------------------------

start_exporter() { # serves the fixture's heap, filled with the known set of blocks, on 127.0.0.1:$port
	load_fixture stat_fixture
	head -c 64 /dev/zero > "$tmp/packet"
	bpftool prog run pinned "$pins/stat_fixture/allocate_known_set" data_in "$tmp/packet"
	# a loopback port of this test's own, or one of the next four when another program holds it
	local first=$((40000 + ($$ * 8 + BATS_TEST_NUMBER * 5) % 20000))
	for port in $(seq "$first" $((first + 4))); do
		"$dm" stat "$pins/stat_fixture_maps/dm_heap" --prometheus "127.0.0.1:$port" 2> "$tmp/dm.log" 3>&- &
		pids=$!
		for _ in $(seq 50); do grep -q 'serving\|cannot listen' "$tmp/dm.log" && break; sleep 0.1; done
		grep -q serving "$tmp/dm.log" && return 0
	done
	cat "$tmp/dm.log"
	return 1
}

# scrape: /metrics answered within a second, with the heap's numbers
scrape() {
	curl -fsS --max-time 1 "http://127.0.0.1:$port/metrics" | grep -q '^dm_allocated_bytes{.*} 808$'
}

@test "/metrics: a client that connects and sends nothing does not hold up the next scrape" {
	start_exporter
	(exec 5<> "/dev/tcp/127.0.0.1/$port"; sleep 8) 3>&- &
	pids="$pids $!"
	sleep 0.3
	scrape
	scrape
}

@test "/metrics: garbage and a 1 MiB request are refused, and the next scrape is answered" {
	start_exporter
	run timeout 5 curl -s --max-time 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other"
	[ "$output" = 404 ]
	timeout 5 bash -c "printf '\\x01\\x02garbage\\r\\n\\r\\n' > /dev/tcp/127.0.0.1/$port" || true
	scrape
	run timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
try:
    s.sendall(b"GET /metrics HTTP/1.1\r\nX-Padding: " + b"a" * 1048576 + b"\r\n\r\n")
except OSError:
    pass  # the server may answer and close before taking it all
print(s.recv(100).split(b"\r\n")[0].decode())' "$port"
	[ "$output" = "HTTP/1.1 431 Request Header Fields Too Large" ]
	scrape
	(exec 5<> "/dev/tcp/127.0.0.1/$port"; printf 'GET /metr' >&5; sleep 8) 3>&- &
	pids="$pids $!"
	sleep 0.3
	scrape
}

@test "/metrics: 50 parallel scrapes are all answered, and the next one within a second" {
	local scrapers=()
	start_exporter
	for i in $(seq 50); do
		curl -fsS --max-time 5 "http://127.0.0.1:$port/metrics" -o "$tmp/scrape.$i" 3>&- &
		scrapers+=($!)
	done
	wait "${scrapers[@]}"
	[ "$(grep -l '^dm_allocated_bytes{.*} 808$' "$tmp"/scrape.* | wc -l)" -eq 50 ]
	scrape
}
