#!/bin/sh
# SPDX-License-Identifier: MIT
# t-trace-gdb.sh - mwatch-log -trace FILE in GDB on tests/trace-prog, live
# and from a core file (and with gdb-minimal, GDB without Python, when
# there is one): the file is valid JSON in the trace-event format and holds
# exactly every record of the run (kind, address, size, values, thread),
# one track per thread named as GDB knows it (a name with a quote, a
# backslash, a control character and a byte that is not UTF-8 escaped);
# created 0600, never through a symbolic link nor over a directory.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
. "$top_srcdir/tests/tap.sh"
skip_if_sanitized   # the program run here is built without them
GDB=${GDB:-gdb}
prog=$top_builddir/tests/trace-prog
gdbfile=$top_builddir/gdbsupport/memwatch-build.gdb
checker=$top_srcdir/tests/trace-check.py

if ! command -v "$GDB" > /dev/null 2>&1 || [ ! -x "$prog" ] || ! command -v python3 > /dev/null 2>&1; then
	echo "1..0 # SKIP gdb, python3 or tests/trace-prog missing"
	exit 0
fi
if ! "$GDB" -nx -batch -ex run /bin/true 2>&1 | grep -q 'exited normally'; then
	echo "1..0 # SKIP gdb may not trace a program here"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t-trace-gdb.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
echo "1..39"

# check_trace FILE WHAT NAMES OUT: trace-check.py's 10 points, with the
# address of tr_slots and the threads' ids that the session OUT printed.
check_trace() {
	set -- "$1" "$2" "$3" \
		$(sed -n 's/^.* (\*)\[4\]) \(0x[0-9a-f]*\) <tr_slots>$/\1/p' "$4" | head -n 1) \
		$(sed -n 's/^\$[0-9]* = {\([0-9]*\), \([0-9]*\), \([0-9]*\)}$/\1 \2 \3/p' "$4" | head -n 1)
	python3 "$checker" "$1" "${4:-0}" "${5:-0}" "${6:-0}" "${7:-0}" tr_slots "$3" > "$tmp/points" 2>&1
	[ "$(wc -l < "$tmp/points")" -eq 10 ] || { comment "$tmp/points"; echo "1 checker failed" > "$tmp/points"; }
	while read -r st what; do
		check "$st" "$2: $what"
	done < "$tmp/points"
}

mkdir "$tmp/dir"
ln -s "$tmp/elsewhere" "$tmp/link"
cat > "$tmp/s.gdb" <<GDB
break tr_start
run
mwatch tr_slots sizeof(tr_slots) access
mwatch-stop off
break tr_done
continue
print &tr_slots
print tids
mwatch-log -trace $tmp/live.json
mwatch-log 3 -trace $tmp/three.json -bt 1
mwatch-log -trace $tmp/link
mwatch-log -trace $tmp/dir
mwatch-log -trace
generate-core-file $tmp/core
kill
GDB
umask 022
timeout 120 "$GDB" -nx -batch -x "$gdbfile" -x "$tmp/s.gdb" "$prog" < /dev/null > "$tmp/out" 2>&1
check_trace "$tmp/live.json" "live" @named "$tmp/out"
has "$tmp/out" "^memwatch: 9 records written to $tmp/live.json; 9 in the log, 0 overwritten, 0 dropped\$" "live: 9 records written, it says"
check $(( $(stat -c %a "$tmp/live.json" 2> /dev/null || echo 0) != 600 )) "live: the trace is created 0600 under umask 022"
python3 - "$tmp/three.json" > "$tmp/py" 2>&1 <<'EOF'
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "i"]
sys.exit([(e["args"]["seq"], len(e["args"]["frames"])) for e in ev] != [(7, 1), (8, 1), (9, 1)])
EOF
check $? "mwatch-log 3 -trace F -bt 1: the newest 3 records, 1 frame each"
has "$tmp/out" "^memwatch: refusing to write the trace to $tmp/link: it is a symbolic link\$" "a symbolic link: refused"
check $([ ! -e "$tmp/elsewhere" ]; echo $?) "a symbolic link: nothing written where it points"
has "$tmp/out" "^memwatch: refusing to write the trace to $tmp/dir: it is a directory\$" "a directory: refused"
check $(( $(grep -c '^memwatch: no trace written; 9 in the log' "$tmp/out") != 2 )) "refused: no trace written, it says"
has "$tmp/out" '^Usage: mwatch-log \[N\] \[-w ID\] \[-bt \[DEPTH\]\] \[-trace FILE\]$' "-trace without FILE: usage"

# The core file: the same records; the threads' names are not in it.
timeout 120 "$GDB" -nx -batch -x "$gdbfile" -ex "mwatch-log -trace $tmp/core.json" \
	"$prog" "$tmp/core" < /dev/null > "$tmp/core.out" 2>&1
check_trace "$tmp/core.json" "core" - "$tmp/out"
has "$tmp/core.out" "^memwatch: 9 records written to $tmp/core.json; 9 in the log, 0 overwritten, 0 dropped\$" "core: 9 records written, it says"

# GDB without Python (tools/fetch-gdb-minimal), as t-gdb.sh finds it.
minimal=
for g in "${GDB_MINIMAL:-}" /usr/bin/gdb-minimal "$top_builddir/tests/gdb-minimal/usr/bin/gdb"; do
	if [ -n "$g" ] && [ -x "$g" ]; then
		minimal=$g
		break
	fi
done
if [ -n "$minimal" ]; then
	sed -e '/generate-core-file/d' -e 's|live.json|min.json|' "$tmp/s.gdb" > "$tmp/m.gdb"
	timeout 120 "$minimal" -nx -batch -x "$gdbfile" -x "$tmp/m.gdb" "$prog" < /dev/null > "$tmp/min.out" 2>&1
	check_trace "$tmp/min.json" "gdb-minimal" @named "$tmp/min.out"
else
	for i in 1 2 3 4 5 6 7 8 9 10; do
		n=$((n + 1))
		echo "ok $n # SKIP gdb-minimal not available"
	done
fi
exit $failed
