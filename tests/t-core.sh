#!/bin/sh
# SPDX-License-Identifier: MIT
# t-core.sh - a program that dies of a signal it sends itself while a watch
# exists (abort() from main or a thread, kill of its process or process
# group, sigqueue, pthread_kill to a thread running its code, raise of
# SIGSEGV and SIGSYS: tests/core-prog) dies of that signal, and its core shows the
# program's frames on top, as without memwatch: `gdb -batch -ex bt` on the
# core has crash_here() below only the C library's frames, no frame of
# libmemwatch and no signal handler frame above it.  A handled signal still
# reaches the program's handler.  Skips without GDB, where cores cannot be
# written here (ulimit, a core_pattern that pipes or names another
# directory), and in a sanitizer build.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
prog=$top_builddir/tests/core-prog
GDB=${GDB:-gdb}
. "$top_srcdir/tests/tap.sh"
skip_if_sanitized

if [ ! -x "$prog" ]; then
	echo "1..0 # SKIP $prog not built"
	exit 0
fi
if ! command -v "$GDB" >/dev/null 2>&1; then
	echo "1..0 # SKIP no $GDB"
	exit 0
fi
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
case $pattern in
'' | '|'* | */*)
	echo "1..0 # SKIP core_pattern '$pattern' does not write cores into the current directory"
	exit 0 ;;
esac
if ! ulimit -c unlimited 2>/dev/null; then
	echo "1..0 # SKIP cores are limited to $(ulimit -c) blocks"
	exit 0
fi
prog=$(cd "$(dirname "$prog")" && pwd)/$(basename "$prog")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t-core.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

echo "1..28"

# fatal MODE SIGNAL: runs the program in a directory of its own; it must
# die of SIGNAL with a core whose backtrace has the program on top.
fatal() {
	mode=$1 sig=$2
	dir=$tmp/$mode
	mkdir "$dir"
	st=$(cd "$dir" && sh -c '"$0" "$1" >out 2>&1; echo $?' "$prog" "$mode" 2>/dev/null)
	[ "$st" = $((128 + sig)) ]
	check $? "$mode: the program dies of signal $sig"
	[ "$st" = $((128 + sig)) ] || { echo "# status $st"; comment "$dir/out"; }
	core=$(ls "$dir" | grep -v '^out$' | head -n 1)
	[ -n "$core" ]
	check $? "$mode: it leaves a core"
	[ -n "$core" ] || { check 1 "$mode: (no core to read)"; return; }
	"$GDB" -nx -q -batch -ex bt "$prog" "$dir/$core" >"$dir/bt" 2>&1
	# The frames above the program's: only the C library's.
	sed -n '/^#/p' "$dir/bt" | sed '/crash_here/q' >"$dir/top"
	grep -q crash_here "$dir/top" && ! grep -Eq 'libmemwatch|mw_|signal handler called' "$dir/top"
	r=$?
	check $r "$mode: the core's backtrace has the program's frames on top"
	[ $r -eq 0 ] || comment "$dir/bt"
}

fatal abort 6
fatal abort-thread 6
fatal kill 3
fatal sigqueue 3
fatal kill0 3
fatal killpg 3
fatal thread-kill 3
fatal segv 11
fatal sys 31

st=$(cd "$tmp" && sh -c '"$0" handled >handled.out 2>&1; echo $?' "$prog" 2>/dev/null)
[ "$st" = 0 ] && grep -q "signal 3 handled" "$tmp/handled.out"
check $? "a SIGQUIT the program handles reaches its handler, the program goes on"
[ "$st" = 0 ] || comment "$tmp/handled.out"
exit $failed
