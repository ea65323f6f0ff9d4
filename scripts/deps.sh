#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages dynamic_memory needs. A no-op when everything is present.
# libbpf and bpftool come from bookworm-backports: bookworm's libbpf 1.1.2 cannot open objects with arena maps and
# its bpftool 7.1 predates several skeleton features we use.
set -euo pipefail

packages=(
	make gcc pkg-config
	clang-19 llvm-19 lld-19 libclang-rt-19-dev   # BPF target with -mcpu=v3 atomics, libFuzzer, sanitizers
	libc6-dev-i386                               # gnu/stubs-32.h, needed when BPF C includes libc headers
	libelf-dev zlib1g-dev                        # libbpf's own dependencies
	libcmocka-dev bats                           # test frameworks
	coccinelle                                   # modify/ rewriter (spatch)
	python3                                      # dm port's front end (port/port.py)
	libmicrohttpd-dev                            # dm stat --prometheus: the HTTP server behind /metrics
	csmith libcsmith-dev                         # random C programs for dm port's differential fuzzer
	prometheus curl                              # dm stat --prometheus, scraped by a real Prometheus in the tests
	libjemalloc-dev libmimalloc-dev gnuplot-nox  # make bench: the allocators compared against, and the plots
	qemu-system-x86 busybox-static kmod xz-utils # tests/vm: boot Debian's 6.1, 6.12 and 6.18 kernels for the in-kernel tests
)
backports=(libbpf-dev bpftool)
# Version floors for the backported packages: libbpf >= 1.4 (arena maps), bpftool >= 7.5 (vmlinux.h with kfuncs).
need_backports=0
if ! pkg-config --atleast-version=1.4 libbpf 2>/dev/null; then need_backports=1; fi
# (read whole first: under pipefail, grep -q closing the pipe early can fail bpftool with SIGPIPE)
bpftool_version=
if command -v bpftool >/dev/null; then bpftool_version=$(bpftool version 2>/dev/null | head -n 1 || true); fi
if ! grep -qE 'v7\.([5-9]|[1-9][0-9])' <<< "$bpftool_version"; then
	need_backports=1
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ $need_backports -eq 0 ] && exit 0
backport_note=""
[ $need_backports -eq 0 ] || backport_note="${backports[*]} (bookworm-backports)"

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]:-} $backport_note; run 'make deps' as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ $need_backports -eq 1 ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/bookworm-backports.list
fi
echo "deps: installing ${missing[*]:-} $backport_note" >&2
apt-get update -qq
[ ${#missing[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ $need_backports -eq 0 ] || apt-get install -y -qq --no-install-recommends -t bookworm-backports "${backports[@]}"
