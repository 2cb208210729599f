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

echo "1..31"

# fatal MODE SIGNAL [ON_TOP [PATCH]]: runs the program in a directory of its
# own (with MEMWATCH_PATCH=PATCH if given); it must die of SIGNAL with a
# core whose backtrace has the program on top (ON_TOP "below": only
# somewhere below the library's frames).
fatal() {
	mode=$1 sig=$2 on_top=${3:-top} patch=${4:-}
	dir=$tmp/$mode${patch:+-patch$patch}
	label=$mode${patch:+ (MEMWATCH_PATCH=$patch)}
	mkdir "$dir"
	st=$(cd "$dir" && env ${patch:+MEMWATCH_PATCH=$patch} sh -c '"$0" "$1" >out 2>&1; echo $?' \
		"$prog" "$mode" 2>/dev/null)
	[ "$st" = $((128 + sig)) ]
	check $? "$label: the program dies of signal $sig"
	[ "$st" = $((128 + sig)) ] || { echo "# status $st"; comment "$dir/out"; }
	core=$(ls "$dir" | grep -v '^out$' | head -n 1)
	[ -n "$core" ]
	check $? "$label: it leaves a core"
	[ -n "$core" ] || { check 1 "$label: (no core to read)"; return; }
	"$GDB" -nx -q -batch -ex bt "$prog" "$dir/$core" >"$dir/bt" 2>&1
	# The frames above the program's: only the C library's.
	sed -n '/^#/p' "$dir/bt" | sed '/crash_here/q' >"$dir/top"
	if [ "$on_top" = below ]; then
		grep -q crash_here "$dir/top"
		r=$?
		check $r "$label: the core's backtrace reaches the program's frames"
		[ $r -eq 0 ] || comment "$dir/bt"
		return
	fi
	grep -q crash_here "$dir/top" && ! grep -Eq 'libmemwatch|mw_|signal handler called' "$dir/top"
	r=$?
	check $r "$label: the core's backtrace has the program's frames on top"
	[ $r -eq 0 ] || comment "$dir/bt"
}

fatal abort 6
fatal abort-thread 6
fatal kill 3
fatal sigqueue 3
fatal kill0 3
fatal killpg 3
# The killed thread stores to the watched variable in a loop: by signals
# (MEMWATCH_PATCH=0), the kill waits for the SIGSEGV handler's return; at a
# patched site it may land while the stub's call to the library records,
# and the core has the library's frames above the program's (a known gap,
# memwatch-guarantees(7), "Patched code").
fatal thread-kill 3 top 0
fatal thread-kill 3 below 1
fatal segv 11
fatal sys 31

st=$(cd "$tmp" && sh -c '"$0" handled >handled.out 2>&1; echo $?' "$prog" 2>/dev/null)
[ "$st" = 0 ] && grep -q "signal 3 handled" "$tmp/handled.out"
check $? "a SIGQUIT the program handles reaches its handler, the program goes on"
[ "$st" = 0 ] || comment "$tmp/handled.out"
exit $failed
