#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench-callgrind.sh - unwatched code runs the same instructions with a large
# watch elsewhere as without memwatch.
#
# Timings of 1 % are below the noise of a shared machine; instruction counts
# are not.  valgrind --tool=callgrind counts the instructions of workload()
# in bench/unwatched.c (--toggle-collect: that function and what it calls,
# nothing of the start-up), in three processes:
#
#   unwatched_plain   bench/unwatched-plain none: not linked with memwatch
#   unwatched_none    bench/unwatched none: linked, no watch
#   unwatched_watch   bench/unwatched watch: linked, 256 MiB watched
#                     (MW_ACCESS) that the workload never touches
#
# and then the whole processes, start-up and exit included (the library's
# initialization; the 256 MiB watch), for the record:  *_process.
# LD_BIND_NOW=1: the dynamic linker resolves symbols at start-up, not in the
# workload's first calls (lazy binding, whose cost depends on how many
# libraries are loaded).
# The ratio is to unwatched_plain.  The target (issue 7): the workload runs
# the same instructions with the watch as without: unwatched_watch equals
# unwatched_none exactly, and differs from unwatched_plain by less than
# 0.01 %.  (They are different executables: the C library's memcpy takes
# paths that depend on the alignment of its buffers, here on the stack,
# whose start differs between them by a few bytes: ~100 instructions.)
# A table for people first, then one line per figure for tools:
#     metric NAME instructions=N ratio=R [target=... met=yes|no]
#
# Usage: bench-callgrind.sh              (make bench runs it)
# Environment: VALGRIND (default valgrind), UNWATCHED (default
# bench/unwatched), UNWATCHED_PLAIN (default bench/unwatched-plain).
set -u

valgrind=${VALGRIND:-valgrind}
prog=${UNWATCHED:-bench/unwatched}
plain=${UNWATCHED_PLAIN:-bench/unwatched-plain}

if ! command -v "$valgrind" >/dev/null 2>&1; then
	echo "bench-callgrind: no valgrind ($valgrind): skipped"
	echo "metric unwatched_watch skipped=yes reason=no_valgrind"
	exit 0
fi
for f in "$prog" "$plain"; do
	if [ ! -x "$f" ]; then
		echo "bench-callgrind: $f is missing: run make bench" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-callgrind.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
bad=0

# count NAME TOGGLE PROGRAM MODE: the instructions callgrind counted, from
# the summary line of its output file; nothing if the run failed.  The
# program's checksum goes to $tmp/NAME.sum.
count() {
	name=$1 toggle=$2
	shift 2
	if ! LD_BIND_NOW=1 "$valgrind" --tool=callgrind $toggle --callgrind-out-file="$tmp/$name.cg" \
		"$@" > "$tmp/$name.sum" 2> "$tmp/$name.err"; then
		echo "bench-callgrind: $name: valgrind $* failed:" >&2
		cat "$tmp/$name.err" >&2
		return 1
	fi
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/$name.cg"
}

w=--toggle-collect=workload
p_plain=$(count plain "$w" "$plain" none) &&
p_none=$(count none "$w" "$prog" none) &&
p_watch=$(count watch "$w" "$prog" watch) &&
t_plain=$(count plain_process "" "$plain" none) &&
t_none=$(count none_process "" "$prog" none) &&
t_watch=$(count watch_process "" "$prog" watch) || exit 1
for v in "$p_plain" "$p_none" "$p_watch" "$t_plain" "$t_none" "$t_watch"; do
	case $v in
	'' | *[!0-9]*)
		echo "bench-callgrind: callgrind printed no instruction count" >&2
		exit 1
		;;
	esac
done
# The workload did the same work in each process.
for n in none watch; do
	if ! cmp -s "$tmp/plain.sum" "$tmp/$n.sum"; then
		echo "bench-callgrind: $n: checksum differs from the plain build" >&2
		bad=1
	fi
done

echo "memwatch bench-callgrind: instructions (callgrind), $("$valgrind" --version)"
echo
{
	echo "unwatched_plain $p_plain 0 workload, not linked with memwatch"
	echo "unwatched_none $p_none 0 workload, linked, no watch"
	echo "unwatched_watch $p_watch 1 workload, linked, 256 MiB watched elsewhere"
	echo "unwatched_plain_process $t_plain 0 whole process, not linked"
	echo "unwatched_none_process $t_none 0 whole process, linked, no watch"
	echo "unwatched_watch_process $t_watch 0 whole process, linked, the 256 MiB watch"
} | awk '
	NR == 1 { base = $2 }
	NR == 2 { none = $2 }
	NR == 4 { pbase = $2 }
	{
		name[NR] = $1; n[NR] = $2; tgt[NR] = $3
		what = $4; for (i = 5; i <= NF; i++) what = what " " $i
		desc[NR] = what
		r[NR] = $2 / (NR < 4 ? base : pbase)
	}
	function ok(i) {
		return n[i] == none && (r[i] - 1 < 0.0001 && 1 - r[i] < 0.0001)
	}
	END {
		printf "%-26s %14s %9s %8s %4s   %s\n", "figure", "instructions", "x plain", "target", "ok", "what"
		for (i = 1; i <= NR; i++)
			printf "%-26s %14d %9.4f %8s %4s   %s\n", name[i], n[i], r[i],
			       tgt[i] ? "1.000x" : "-", tgt[i] ? (ok(i) ? "yes" : "NO") : "", desc[i]
		printf "\n"
		for (i = 1; i <= NR; i++) {
			printf "metric %s instructions=%d ratio=%.4f", name[i], n[i], r[i]
			if (tgt[i])
				printf " target=1.000x met=%s", ok(i) ? "yes" : "no"
			printf "\n"
		}
	}'
exit "$bad"
