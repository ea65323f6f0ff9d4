#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# modify.sh: rewrites C that calls malloc/calloc/realloc/free to the dynamic_memory API, with Coccinelle.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prog=modify.sh

usage() {
	cat <<EOF
usage: $prog [options] PATH...

Rewrites calls of malloc, calloc, realloc and free (and free used as a function pointer value) in C files to
static_malloc, static_calloc, static_realloc and static_free, and adds #include "dynamic_memory.h" after the
existing includes of each file that now needs it. Comments, strings, struct members, local variables named like
the functions, other identifiers (xmalloc, my_free) and prototypes are left alone. A PATH is a .c or .h file, or a
directory searched recursively for them. Running it twice changes nothing the second time.

Also warns, FILE:LINE, where an allocation's result is dereferenced before a NULL check: the BPF verifier rejects
such code.

options:
  --dry-run          list what would change (FILE:LINE), write nothing
  --diff             print a unified diff of what would change, write nothing
  --check            write nothing; exit 1 if anything would change
  --include SPELLING the include line to add (default: "dynamic_memory.h"; e.g. <dynamic_memory.h>)
  --add-null-checks  insert a NULL check after each allocation dereferenced before any check; on failure it
                     returns from the function: "return;" (void), "return NULL;" (pointer), "return -1;" (other)
  -h, --help         this text

exit status: 0 done (or nothing to change), 1 --check found changes, 2 bad usage or input (missing or unreadable
path, not C, a file Coccinelle cannot parse), 3 spatch missing.
EOF
}

die() { # STATUS MESSAGE
	echo "$prog: $2" >&2
	exit "$1"
}

mode=write include='"dynamic_memory.h"' null_checks=0
paths=()
while [ $# -gt 0 ]; do
	case $1 in
	--dry-run) mode="dry-run" ;;
	--diff) mode="diff" ;; # quoted: a word, not the command diff
	--check) mode="check" ;;
	--add-null-checks) null_checks=1 ;;
	--include)
		[ $# -ge 2 ] || die 2 "--include needs a spelling, e.g. --include '<dynamic_memory.h>'"
		include=$2
		shift
		;;
	--include=*) include=${1#--include=} ;;
	-h | --help)
		usage
		exit 0
		;;
	--) shift; paths+=("$@"); break ;;
	-*) die 2 "unknown option '$1' (see $prog --help)" ;;
	*) paths+=("$1") ;;
	esac
	shift
done
[ ${#paths[@]} -gt 0 ] || { usage >&2; exit 2; }
case $include in
'"'*'"' | '<'*'>') ;;
*) die 2 "--include '$include': give it with its quotes or brackets, e.g. '\"dynamic_memory.h\"' or '<dynamic_memory.h>'" ;;
esac
command -v spatch >/dev/null || die 3 "spatch not found: install Coccinelle (Debian package coccinelle: apt-get install coccinelle)"

# The files: every .c/.h named or found below a named directory, checked before anything is touched.
files=()
for path in "${paths[@]}"; do
	if [ ! -e "$path" ]; then
		die 2 "$path: no such file or directory"
	elif [ -d "$path" ]; then
		while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$path" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
	elif [[ $path != *.c && $path != *.h ]]; then
		die 2 "$path: not a C file (only .c and .h are rewritten)"
	else
		files+=("$path")
	fi
done
for f in "${files[@]}"; do
	[ -r "$f" ] || die 2 "$f: cannot read it (permission denied)"
	[ "$mode" != write ] || [ -w "$f" ] || die 2 "$f: cannot write it (permission denied)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Coccinelle skips code it cannot parse and says nothing by default: ask it first, and refuse such a file, naming
# where and what.
parse_check() { # FILE
	local out where content
	out=$(spatch --parse-c "$1" 2>&1)
	printf '%s\n' "$out" | grep -q 'perfect = 1;' && return 0
	where=$(printf '%s\n' "$out" | grep -m1 -oE 'line [0-9]+, column [0-9]+' || true)
	content=$(printf '%s\n' "$out" | grep -m1 'whole content = ' | sed 's/.*whole content = *//' || true)
	# shellcheck disable=SC2016 # the single quotes are literal characters of the double-quoted message
	die 2 "$1: Coccinelle cannot parse it${where:+ at $where}${content:+: '$content'}; nothing was changed"
}

# Adds the include after the last #include line (or at the top), unless the file has it or does not need it.
add_include() { # FILE
	local f=$1
	grep -qE '\bstatic_(malloc|calloc|realloc|free)\b' "$f" || return 0
	grep -qE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]dynamic_memory\.h[\">]" "$f" && return 0
	awk -v line="#include $include" '
		{ text[NR] = $0 } /^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]/ { last = NR }
		END {
			if (!last) print line
			for (i = 1; i <= NR; i++) { print text[i]; if (i == last) print line }
		}' "$f" > "$f.new" && mv "$f.new" "$f"
}

# Applies one semantic patch to the working copy of a file.
cocci() { # ORIGINAL COPY PATCH
	spatch --very-quiet --sp-file "$here/$3" --in-place "$2" > "$work/log" 2>&1 ||
		die 2 "$1: Coccinelle failed applying $3: $(head -n 3 "$work/log")"
}

changed=0 n=0
for f in "${files[@]}"; do
	n=$((n + 1))
	[ ${#files[@]} -lt 20 ] || [ $((n % 20)) -ne 0 ] || echo "$prog: $n of ${#files[@]} files" >&2
	parse_check "$f"
	new=$work/$n-$(basename "$f")
	cp "$f" "$new"
	cocci "$f" "$new" rewrite.cocci
	[ $null_checks -eq 0 ] || cocci "$f" "$new" add_null_checks.cocci
	add_include "$new"
	spatch --very-quiet --no-show-diff -D report --sp-file "$here/null_check.cocci" "$new" 2>/dev/null |
		sed "s|^$new:|$f:|" >&2
	if cmp -s "$f" "$new"; then
		continue
	fi
	changed=$((changed + 1))
	case $mode in
	write) cat "$new" > "$f" ;;
	diff) diff -u --label "a/$f" --label "b/$f" "$f" "$new" ;;
	dry-run)
		diff --unchanged-line-format= --old-line-format="$f:%dn: - %L" --new-line-format="$f:%dn: + %L" \
			"$f" "$new" || true
		;;
	check) echo "$f: would change" ;;
	esac
done
[ "$mode" = check ] && [ $changed -gt 0 ] && exit 1
exit 0
