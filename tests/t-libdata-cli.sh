#!/bin/sh
# SPDX-License-Identifier: MIT
# t-libdata-cli.sh - the memwatch command watching libc's and the loader's
# own variables in tests/cli-prog: __libc_single_threaded read-watched
# (glibc's mutex code reads it inside the loader's lock, which the
# backtrace's dl_iterate_phdr takes: it used to wait there forever), stdout's
# FILE, _r_debug.  The program ends with its own status (3), and libc's
# accesses are logged.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/cli-env.sh"

echo "1..8"

# run WATCH: memwatch -w WATCH on cli-prog; a hang is killed after 60 s.
run() {
	timeout -s KILL 60 "$memwatch" -w "$1" -- "$prog" exit > "$tmp/out" 2> "$tmp/log"
	st=$?
	check $(( st != 3 )) "-w $1: the program ends with its status (3, got $st)"
	[ $st -eq 3 ] || comment "$tmp/log"
}
# logged WATCH REGEX DESCRIPTION
logged() {
	grep -Eq -- "$2" "$tmp/log"
	r=$?
	check $r "-w $1: $3"
	[ $r -eq 0 ] || comment "$tmp/log"
}

run __libc_single_threaded:r
logged __libc_single_threaded:r "reads: [1-9][0-9]* records" "libc's reads are logged"
logged __libc_single_threaded:r "^  #0 .*\(libc\.so\.6\)" "with frames in libc"
run __libc_single_threaded:rw
run _IO_2_1_stdout_:rw
logged _IO_2_1_stdout_:rw "^#[0-9]+ (read|write) watch 1 " \
	"libc's accesses to stdout's FILE are logged"
run _r_debug:rw
logged _r_debug:rw "exited with status 3" "memwatch reports the end"
exit $failed
