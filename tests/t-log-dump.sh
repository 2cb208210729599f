#!/bin/sh
# SPDX-License-Identifier: MIT
# t-log-dump.sh - the text of mw_log_dump(): tests/log-dump-prog watches a
# global struct, writes it 3 times from set_limit, bump and main, and dumps
# the log; its output, normalized, must be tests/log-dump.expected.
#
# Normalized: addresses (0xADDR), offsets into functions (+0xOFF; offsets
# into data, like cfg+0x4, are kept), thread ids (TID), times (+TIME), the
# module name (log-dump-prog, also when libtool runs lt-log-dump-prog), and
# the frames below main (they belong to the C library).  The source lines
# need the default -g.
#
# After a deliberate change of the format or of log-dump-prog.c, rewrite the
# golden file (from the build directory, after make check) with
#   REGEN=1 top_builddir=. top_srcdir=SRCDIR SRCDIR/tests/t-log-dump.sh
# or, in an in-tree build, simply
#   REGEN=1 tests/t-log-dump.sh
# and check the difference by eye before committing it.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
prog=$top_builddir/tests/log-dump-prog
golden=$top_srcdir/tests/log-dump.expected
unset MEMWATCH_LOG MEMWATCH_RING MEMWATCH_DEPTH

. "$top_srcdir/tests/log-normalize.sh"

if [ ! -x "$prog" ]; then
	echo "1..0 # SKIP $prog not built"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t-log-dump.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

"$prog" >"$tmp/out" 2>"$tmp/err"
st=$?
normalize <"$tmp/out" >"$tmp/norm"

if [ -n "$REGEN" ]; then
	if [ $st -ne 0 ]; then
		echo "log-dump-prog failed (status $st), golden file not written:" >&2
		cat "$tmp/err" >&2
		exit 1
	fi
	cp "$tmp/norm" "$golden" && echo "wrote $golden:" && cat "$golden"
	exit $?
fi

echo "1..4"
. "$top_srcdir/tests/tap.sh"

[ $st -eq 0 ]
check $? "log-dump-prog ran, mw_log_dump(1) returned 3"
[ $st -eq 0 ] || { echo "# status $st"; comment "$tmp/err"; }

diff -u "$golden" "$tmp/norm" >"$tmp/diff"
check $? "the normalized dump is tests/log-dump.expected"
if [ -s "$tmp/diff" ]; then
	echo "# diff -u expected got:"
	comment "$tmp/diff"
	echo "# the raw output:"
	comment "$tmp/out"
fi

# Every frame of the program's code is named, with its line.
unnamed=$(grep -E '^  #[0-9]+ ' "$tmp/out" | grep -E '\((lt-)?log-dump-prog\)' |
	  grep -vE ' [A-Za-z_][A-Za-z0-9_.@]*\+0x[0-9a-f]+ \(' )
[ -z "$unnamed" ] && grep -q '^  #0 0x[0-9a-f]* set_limit+0x[0-9a-f]* (\(lt-\)\{0,1\}log-dump-prog) at log-dump-prog.c:[0-9]' "$tmp/out"
check $? "the program's frames are named function+0xoff (module), set_limit's with its source line"
[ -z "$unnamed" ] || { echo "# unnamed:"; echo "$unnamed" | sed 's/^/#   /'; }

# Only frames in set_limit, bump and main can be lines of log-dump-prog.c
# (the C library's and _start's cannot).
wrong=$(grep -E '^  #[0-9]+ ' "$tmp/out" | grep 'at log-dump-prog\.c:' |
	grep -vE ' (set_limit|bump|main)\+0x[0-9a-f]+ ')
[ -z "$wrong" ]
check $? "no frame outside set_limit, bump and main is given a line of log-dump-prog.c"
[ -z "$wrong" ] || { echo "# wrong lines:"; echo "$wrong" | sed 's/^/#   /'; }

exit $failed
