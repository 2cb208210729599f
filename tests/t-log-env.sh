#!/bin/sh
# SPDX-License-Identifier: MIT
# t-log-env.sh - the log's environment variables, with tests/log-dump-prog:
#   MEMWATCH_LOG=path  the log is written there at exit (named, like
#                      mw_log_dump), and when the process dies of SIGSEGV or
#                      SIGABRT (raw addresses and the module map), and the
#                      process still dies of the same signal;
#   MEMWATCH_RING, MEMWATCH_DEPTH  the ring's size and the backtrace depth.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
prog=$top_builddir/tests/log-dump-prog
golden=$top_srcdir/tests/log-dump.expected
unset MEMWATCH_LOG MEMWATCH_RING MEMWATCH_DEPTH
ulimit -c 0 2>/dev/null

if [ ! -x "$prog" ]; then
	echo "1..0 # SKIP $prog not built"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t-log-env.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

echo "1..15"
. "$top_srcdir/tests/tap.sh"

. "$top_srcdir/tests/log-normalize.sh"     # as in t-log-dump.sh

# run OUT MODE [VAR=VALUE...]: runs the program in a shell of its own (so
# that no shell reports its death here); prints its exit status as a shell
# reports it (128 + signal).
run() {
	out=$1 mode=$2
	shift 2
	env "$@" sh -c '"$0" $1 >"$2" 2>&1; echo $?' "$prog" "$mode" "$out" 2>/dev/null
}

# The record headers ("#1 write ...") of a log file, one line each.
headers() {
	grep -E '^#[0-9]+ [a-z]+ watch ' "$1" | sed -E 's/ thread [0-9]+ .*//'
}

# ---------------------------------------------------------------- at exit
log=$tmp/exit.log
st=$(run "$tmp/exit.out" exit MEMWATCH_LOG="$log")
[ "$st" = 0 ] && [ -s "$log" ]
check $? "MEMWATCH_LOG, a normal exit: the program exits 0 and the file is written"
[ "$st" = 0 ] || { echo "# status $st"; comment "$tmp/exit.out"; }
normalize <"$log" >"$tmp/exit.norm" 2>/dev/null
diff -u "$golden" "$tmp/exit.norm" >"$tmp/exit.diff" 2>&1
check $? "it holds the 3 records, named, as mw_log_dump prints them (tests/log-dump.expected)"
[ -s "$tmp/exit.diff" ] && { echo "# diff -u expected got:"; comment "$tmp/exit.diff"; }

# ------------------------------------------------------------ fatal signals
# fatal MODE SIGNAL-NUMBER NAME
fatal() {
	log=$tmp/$1.log
	st=$(run "$tmp/$1.out" "$1" MEMWATCH_LOG="$log")
	[ "$st" = $((128 + $2)) ]
	check $? "$3: the process still dies of signal $2"
	[ "$st" = $((128 + $2)) ] || { echo "# status $st"; comment "$tmp/$1.out"; }

	[ -s "$log" ] && head -n 1 "$log" | grep -q "signal $2[^0-9]"
	check $? "$3: MEMWATCH_LOG is written, and says which signal"

	headers "$log" >"$tmp/$1.headers" 2>/dev/null
	printf '%s\n' '#1 write watch 1' '#2 rmw watch 1' >"$tmp/want.headers"
	cmp -s "$tmp/want.headers" "$tmp/$1.headers" &&
		grep -q '^  old: 0a 00 00 00$' "$log" && grep -q '^  new: 14 00 00 00$' "$log" &&
		grep -q '^  old: 00 00 00 00 (atomic)$' "$log" && grep -q '^  new: 01 00 00 00$' "$log"
	r=$?
	check $r "$3: with the 2 records made before, and their values"
	[ $r -eq 0 ] || comment "$log"

	# The module map, and the first frame of record 1 (set_limit) in an
	# executable mapping of the program.
	pc=$(awk '/^#1 / { r = 1 } r && /^  #0 0x/ { print $2; exit }' "$log" 2>/dev/null)
	found=
	if [ -n "$pc" ] && grep -q '^module map:$' "$log"; then
		found=$(sed -n '/^module map:$/,$p' "$log" | awk -v pc="$pc" '
			function hex(s,   v, i, c) {
				v = 0; s = tolower(s); sub(/^0x/, "", s)
				for (i = 1; i <= length(s); i++) {
					c = index("0123456789abcdef", substr(s, i, 1)) - 1
					v = v * 16 + c
				}
				return v
			}
			$2 ~ /x/ && $NF ~ /log-dump-prog$/ {
				split($1, r, "-")
				if (hex(r[1]) <= hex(pc) && hex(pc) < hex(r[2])) { print $NF; exit }
			}')
	fi
	[ -n "$found" ]
	check $? "$3: a module map follows; the first frame ($pc) is in the program's code in it"
	[ -n "$found" ] || sed -n '/^module map:$/,$p' "$log" | head -n 20 | sed 's/^/#   /'
}
fatal segv 11 "a NULL dereference"
fatal abort 6 "abort()"

# ------------------------------------------------ MEMWATCH_RING, _DEPTH
st=$(run "$tmp/stats.out" stats MEMWATCH_RING=8 MEMWATCH_DEPTH=3)
[ "$st" = 0 ] && grep -qx 'capacity 8 depth 3' "$tmp/stats.out"
r=$?
check $r "MEMWATCH_RING=8 MEMWATCH_DEPTH=3: mw_log_stats says capacity 8, depth 3"
[ $r -eq 0 ] || comment "$tmp/stats.out"
grep -qx 'records 20 overwritten 12 dropped 0 nframes 3' "$tmp/stats.out"
r=$?
check $r "20 writes: records 20, overwritten 12, dropped 0; a record has 3 frames"
[ $r -eq 0 ] || comment "$tmp/stats.out"

# stats_case OUT CAPACITY-LINE RECORDS-LINE DESCRIPTION [VAR=VALUE...]:
# the stats program's lines with those variables (RECORDS-LINE "" for any).
stats_case() {
	out=$1 cap=$2 recs=$3 what=$4
	shift 4
	st=$(run "$out" stats "$@")
	[ "$st" = 0 ] && grep -qx "$cap" "$out" && { [ -z "$recs" ] || grep -qx "$recs" "$out"; }
	r=$?
	check $r "$what"
	[ $r -eq 0 ] || comment "$out"
}
stats_case "$tmp/stats2.out" 'capacity 8 depth 0' 'records 20 overwritten 12 dropped 0 nframes 0' \
	"MEMWATCH_RING=5 MEMWATCH_DEPTH=0: capacity 8 (rounded up), records without frames" \
	MEMWATCH_RING=5 MEMWATCH_DEPTH=0
stats_case "$tmp/stats3.out" 'capacity 32 depth 32' 'records 20 overwritten 0 dropped 0 nframes [4-9]' \
	"MEMWATCH_RING=32 MEMWATCH_DEPTH=32: capacity 32, depth 32, all the frames there are" \
	MEMWATCH_RING=32 MEMWATCH_DEPTH=32
stats_case "$tmp/stats4.out" 'capacity 16384 depth 16' '' "without them: capacity 16384, depth 16"

exit $failed
