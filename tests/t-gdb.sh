#!/bin/sh
# SPDX-License-Identifier: MIT
# t-gdb.sh - GDB sessions with gdbsupport/memwatch-build.gdb, compared with
# the output they should give.
#
# Lines in the library's own sources (a backtrace through its handler) are
# normalized to LINE: they move with every edit of the library.
# A case is tests/gdb/CASE.gdb, run as
#     gdb -nx -batch -x gdbsupport/memwatch-build.gdb -x tests/gdb/CASE.gdb \
#         tests/gdb/PROG
# from the build directory, where PROG is CASE up to its first '-' (a plain
# program, not linked with libmemwatch: the GDB file preloads it).  The
# output, normalized (addresses, pids, thread lines, paths), must equal
# tests/gdb/CASE.expected.  Special cases: crash-core and crash-damaged (a
# second GDB reads the core file the first one saved), and the basic-*, step-record*, plt-step, plt-object and
# threads-* cases again with gdb-minimal (GDB without Python) when
# $GDB_MINIMAL, /usr/bin/gdb-minimal or
# $top_builddir/tests/gdb-minimal/usr/bin/gdb (tools/fetch-gdb-minimal)
# exists.
# A case with tests/gdb/CASE.mi instead of CASE.gdb is a GDB/MI session (as
# a front end runs GDB: gdb --interpreter=mi), its MI commands read from
# that file; the records are compared as a front end sees them, the
# libraries' =library-loaded records left out.  CASE-newui: the same
# commands on an MI channel a front end added to a CLI session (new-ui mi,
# through tests/gdb/newui.py), then what the console printed.
#
#     REGEN=1 tests/t-gdb.sh    rewrites the .expected files in the source
#                               tree from this run (from the build directory,
#                               with top_srcdir and top_builddir set if they
#                               differ), except those of TODO cases, whose
#                               expected output is the right behaviour, not
#                               today's: read `git diff` before committing.
#
# TAP, one test point per case.  Skipped as a whole if GDB is missing or
# may not trace a program.
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
abs_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
cd "$top_builddir" || exit 99
abs_builddir=$(pwd)
GDB=${GDB:-gdb}
gdbfile=gdbsupport/memwatch-build.gdb
out=tests/gdb/out
mkdir -p "$out" || exit 99

# Known gaps: the case runs and is compared, reported as TODO.
todo() {
	case $1 in
	esac   # none today
}

if ! command -v "$GDB" > /dev/null 2>&1; then
	echo "1..0 # SKIP gdb not found"
	exit 0
fi
if ! "$GDB" -nx -batch -ex run /bin/true 2>&1 | grep -q 'exited normally'; then
	echo "1..0 # SKIP gdb cannot run a program here (ptrace not permitted?)"
	exit 0
fi
if [ ! -f "$gdbfile" ]; then
	echo "Bail out! $gdbfile not built"
	exit 99
fi

minimal=
for g in "${GDB_MINIMAL:-}" /usr/bin/gdb-minimal tests/gdb-minimal/usr/bin/gdb; do
	if [ -n "$g" ] && [ -x "$g" ]; then
		minimal=$g
		break
	fi
done
have_log=no
grep -q '^define mwatch-log' "$gdbfile" && have_log=yes

cases="basic-commands basic-set basic-stop basic-read basic-record
step-matrix step-record step-record-break step-plt plt-step plt-access plt-object step-break-displaced-on step-break-displaced-off
threads-stop threads-record crash-genuine crash-recover crash-stub attach crash-core crash-damaged
kernel-read kernel-local kernel-up kernel-calls basic-nolines basic-delete
basic-unwatch basic-typo basic-size cost cond-value cond-expr basic-breakinsn scope-local basic-exit until-loop kernel-stop bitf-stop sysstep-patched step-mi kernel-mi cond-mi scope-mi scope-newui follow-expr follow-local basic-rerun basic-keep threads-thread"
# Patched access sites under GDB (tests/gdb/patch.c).
cases="$cases patch-stop patch-record patch-break patch-step patch-crash patch-short"
minimal_cases="basic-commands basic-set basic-stop basic-read basic-record
step-record step-record-break plt-step plt-object threads-stop threads-record basic-delete
basic-unwatch basic-typo basic-size cost cond-value cond-expr basic-breakinsn scope-local basic-exit until-loop kernel-stop bitf-stop follow-expr follow-local basic-rerun basic-keep threads-thread"

n_cases=$(echo $cases | wc -w)
n_minimal=$(echo $minimal_cases | wc -w)
echo "1..$((n_cases + n_minimal))"

# Whatever varies from run to run or from machine to machine.
normalize() {
	sed -e "s|$abs_builddir/||g" -e "s|$abs_srcdir/||g" \
	    -e 's/0x[0-9a-f]\{3,\}/0xADDR/g' \
	    -e 's/process [0-9][0-9]*/process N/g' \
	    -e 's/LWP [0-9][0-9]*/LWP N/g' \
	    -e 's/thread [0-9]\{3,\}/thread N/g' \
	    -e 's/+[0-9][0-9]* at /+OFF at /g' -e 's/^\(=> 0xADDR <[a-z_]*\)+[0-9]*>/\1+OFF>/' \
	    -e '/^\[New Thread /d' -e '/^\[New LWP /d' \
	    -e '/^\[Thread 0xADDR (LWP N) exited\]$/d' \
	    -e '/^\[Thread debugging using libthread_db enabled\]$/d' \
	    -e '/^Using host libthread_db library /d' \
	    -e '/^warning: Memory read failed for corefile section/d' \
	    -e '/ <__libc_start_call_main+/d' -e '/ <__libc_start_main_impl+/d' \
	    -e '/ <_start+[0-9]*>$/d' \
	    -e 's/ at \(perform\|fault\|record\|insn\|cache\|run\|probe\|table\|gdb\)\.\([cS]\):[0-9][0-9]*$/ at \1.\2:LINE/'
}

# threads.c's threads wait for their turn with sched_yield: how many
# system calls they make (mwatch-list's line about them) varies.
nosys() {
	case $1 in
	threads-*) sed -e '/^memwatch: [0-9]* system calls dispatched /d' \
		       -e '/^memwatch: most of the cost is system calls: /d' ;;
	*) cat ;;
	esac
}

# What varies in an MI session besides: pids and cores of its records,
# the libraries GDB lists as they load, and the program's own output (not
# a record: it comes through the same pipe, in an order of its own; any
# other line that is not a record is a fault: a front end cannot read it).
normalize_mi() {
	sed -e '/^watched=[0-9]* other=/d' -e '/^=library-loaded,/d' -e '/^=library-unloaded,/d' \
	    -e '/^ival=[0-9]* ival3=/d' -e '/^hello 3$/d' -e '/^total [0-9]*$/d' -e '/^~"\[Thread debugging using libthread_db enabled\]/d' \
	    -e '/^~"Using host libthread_db library /d' \
	    -e 's/pid="[0-9]*"/pid="N"/g' -e 's/core="[0-9]*"/core="N"/g'
}

run_mi() { # GDB CASE PROG: the normalized MI session in $out/CASE.out
	timeout 60 "$1" -nx -q --interpreter=mi -x "$gdbfile" "tests/gdb/$3" \
		< "$abs_srcdir/tests/gdb/$2.mi" 2>&1 | normalize_mi | normalize
}

# A front end that adds an MI channel to a CLI session (new-ui mi TTY):
# tests/gdb/newui.py writes CASE.mi's commands to that channel's terminal
# and prints what it got, then what the console printed.
run_newui() { # GDB CASE PROG: the normalized session in $out/CASE.out
	timeout 90 python3 "$abs_srcdir/tests/gdb/newui.py" "$1" "$gdbfile" "tests/gdb/$3" \
		"$abs_srcdir/tests/gdb/$2.mi" 2>&1 | normalize_mi | normalize
}

run_gdb() { # GDB CASE PROG: the normalized session in $out/CASE.out
	timeout 60 "$1" -nx -batch -x "$gdbfile" -x "$abs_srcdir/tests/gdb/$2.gdb" \
		"tests/gdb/$3" < /dev/null 2>&1 | normalize | nosys "$2"
}

n=0
check() { # NAME CASE FILE: compare FILE with CASE.expected, print the test point
	n=$((n + 1))
	expected=$abs_srcdir/tests/gdb/$2.expected
	directive=
	t=$(todo "$2")
	[ -n "$t" ] && directive=" # TODO $t"
	if [ -n "${REGEN:-}" ] && [ "$1" = "$2" ] && [ -z "$t" ]; then
		cp "$3" "$expected"
		echo "ok $n - $1 (expected output rewritten)"
	elif diff -u "$expected" "$3" > "$3.diff" 2>&1; then
		echo "ok $n - $1$directive"
	else
		echo "not ok $n - $1$directive"
		sed 's/^/# /' "$3.diff"
	fi
}
skip() { # REASON: the next test point, skipped
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

# Built with sanitizers (configure --enable-sanitizers): the expected
# outputs are those of the programs' uninstrumented -O1 code; ASan and UBSan
# change their instructions (counter += n is no longer one add to memory),
# lines and optimized-out values, and UBSan stops crash.c's NULL store.
sanitized() {
	case ${MW_SANITIZERS:-} in
	'') return 1 ;;
	esac
	# All of them: besides the code, the stops of every case depend on
	# system call dispatch, which the sanitizer builds leave off.
	return 0
}

# configure --enable-library-debug-info: GDB shows the library's own lines.
library_lines() {
	[ "${MW_LIBRARY_DEBUG_INFO:-no}" = yes ] || return 1
	case $1 in
	crash-stub | basic-nolines) return 0 ;;
	esac
	return 1
}

for c in $cases; do
	prog=${c%%-*}
	o=$out/$c.out
	if sanitized "$c"; then
		skip "$c: its expected output is for uninstrumented code, built with $MW_SANITIZERS"
		continue
	fi
	if library_lines "$c"; then
		skip "$c: its expected output is for a library without debug information"
		continue
	fi
	case $c in
	crash-core) # and `mwatch`, `mwatch-list` and the commands that call the library refusing the core file
		if [ $have_log = no ]; then
			skip "mwatch-log not yet there"
			continue
		fi
		rm -f tests/gdb/crash.core
		{
			run_gdb "$GDB" "$c" "$prog"
			echo "=== the core file: mwatch-log -bt"
			timeout 60 "$GDB" -nx -batch -iex 'set filename-display basename' -x "$gdbfile" \
				-ex 'mwatch-log -bt' -ex 'mwatch -l watched' -ex 'mwatch-list' \
				-ex 'munwatch 1' -ex 'mwatch-clear' -ex 'mwatch-stop on' \
				"tests/gdb/$prog" tests/gdb/crash.core \
				< /dev/null 2>&1 | normalize
		} > "$o"
		rm -f tests/gdb/crash.core
		;;
	crash-damaged) # and its core file, saved with a bad capacity
		rm -f tests/gdb/crash-damaged.core
		{
			run_gdb "$GDB" "$c" "$prog"
			echo "=== the core file: mwatch-log"
			timeout 60 "$GDB" -nx -batch -iex 'set filename-display basename' -x "$gdbfile" \
				-ex 'mwatch-log' "tests/gdb/$prog" tests/gdb/crash-damaged.core \
				< /dev/null 2>&1 | normalize
		} > "$o"
		rm -f tests/gdb/crash-damaged.core
		;;
	attach)
		rm -f tests/gdb/attach.pid.gdb
		run_gdb "$GDB" "$c" "$prog" > "$o"
		# If GDB did not kill it (a failure), do it here.
		pid=$(sed -n 's/^set \$mw_test_pid = //p' tests/gdb/attach.pid.gdb 2> /dev/null)
		[ -n "$pid" ] && kill "$pid" 2> /dev/null
		rm -f tests/gdb/attach.pid.gdb
		if grep -q 'ptrace: Operation not permitted' "$o"; then
			skip "$c: attaching is not permitted here"
			continue
		fi
		;;
	*-mi)
		run_mi "$GDB" "$c" "$prog" > "$o"
		;;
	*-newui)
		if ! command -v python3 > /dev/null 2>&1; then
			skip "$c: python3 (the front end's pseudo-terminal) not found"
			continue
		fi
		run_newui "$GDB" "$c" "$prog" > "$o"
		;;
	*)
		run_gdb "$GDB" "$c" "$prog" > "$o"
		;;
	esac
	check "$c" "$c" "$o"
done

for c in $minimal_cases; do
	if [ -z "$minimal" ]; then
		skip "gdb-minimal not available ($c)"
		continue
	fi
	if sanitized "$c"; then
		skip "gdb-minimal: $c: its expected output is for uninstrumented code, built with $MW_SANITIZERS"
		continue
	fi
	o=$out/$c.minimal.out
	run_gdb "$minimal" "$c" "${c%%-*}" > "$o"
	check "gdb-minimal: $c" "$c" "$o"
done
exit 0
