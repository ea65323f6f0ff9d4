# shellcheck shell=bash disable=SC2154 # dm: set by the test's setup
# SPDX-License-Identifier: MIT
# dm port and dm run as the bats tests call them, on the kernel where ported programs can load. That is the running
# kernel, unless DM_RUN_KERNEL names a kernel of the matrix: tests/run.sh sets it when this machine refuses BPF arenas
# to root (a container or a policy; every ported program's heap is an arena). Then dm port writes its object without
# loading it (--no-load) and dm run loads and runs it there, booted by tests/vm/vm-run, with its standard input,
# output and error passed apart, as here. Uses $dm (set by the test's setup) and $input (standard input, default none).

# $dm and $build are relative to the directory the tests run from (the repository's root); the helpers may be called
# from another (cd into a program's directory)
tests_ran_from=$PWD
from_root() { (cd "$tests_ran_from" && realpath "$1"); }

# dm_port ARGUMENT...: dm port, which also loads the object unless the programs run on another kernel
dm_port() {
	local no_load=()
	[ "${DM_RUN_KERNEL:-host}" = host ] || no_load=(--no-load)
	"$(from_root "$dm")" port "$@" "${no_load[@]}"
}

# dm_run ARGUMENT...: dm run on the kernel where ported programs load, in the current directory
dm_run() {
	"$BATS_TEST_DIRNAME/../vm/vm-run" --kernels "$(from_root "${build:-build}")/kernels" --streams \
		"${DM_RUN_KERNEL:-host}" -- "$(from_root "$dm")" run "$@" < "$(from_root "${input:-/dev/null}")"
}
