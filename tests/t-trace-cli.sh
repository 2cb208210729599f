#!/bin/sh
# SPDX-License-Identifier: MIT
# t-trace-cli.sh - memwatch --trace FILE on tests/trace-prog: the file is
# valid JSON in the trace-event format and holds exactly every record of
# the run (kind, address, size, values, thread), oldest first, one track
# per thread, events named by their watch, frames named; it is created
# 0600 and never through a symbolic link; the text log only with -l; a
# program whose path holds a quote, a backslash, a control character and
# a byte that is not UTF-8 still gives valid JSON that names it.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/cli-env.sh"
prog=$top_builddir/tests/trace-prog
checker=$top_srcdir/tests/trace-check.py

if [ ! -x "$prog" ] || ! command -v python3 > /dev/null 2>&1; then
	echo "1..0 # SKIP tests/trace-prog or python3 missing"
	exit 0
fi
echo "1..30"

# check_trace FILE WHAT WATCHNAME WRITERNAME: trace-check.py's 10 points,
# with the tids of $tmp/out and the address of tr_slots in $tmp/log.
check_trace() {
	set -- "$1" "$2" "$3" "$4" $(sed -n 's/^TIDS //p' "$tmp/out") \
		$(sed -n 's/^memwatch: watch 1: .*, 16 bytes at \(0x[0-9a-f]*\),.*/\1/p' "$tmp/log")
	python3 "$checker" "$1" "${8:-0}" "${5:-0}" "${6:-0}" "${7:-0}" "$3" "$4" > "$tmp/points" 2>&1
	[ "$(wc -l < "$tmp/points")" -eq 10 ] || { comment "$tmp/points"; echo "1 checker failed" > "$tmp/points"; }
	while read -r st what; do
		check "$st" "$2: $what"
	done < "$tmp/points"
}

umask 022
"$memwatch" --trace "$tmp/t.json" -w tr_slots:rw -- "$prog" > "$tmp/out" 2> "$tmp/log"
check $? "trace-prog exits 0 under memwatch --trace"
check_trace "$tmp/t.json" "--trace" "tr_slots:rw" -
has "$tmp/log" '^memwatch: watch 1: tr_slots:rw, 16 bytes at 0x[0-9a-f]+, reads and writes: 9 records$' "the watch line says 9 records"
check $(( $(stat -c %a "$tmp/t.json") != 600 )) "the trace is created 0600 under umask 022"
check $(grep -c '^memwatch log:' "$tmp/log") "--trace alone: no text log"

# The same records in the text log with -l: as many as events.
"$memwatch" -l --trace="$tmp/t2.json" -w tr_slots:rw -- "$prog" > "$tmp/out" 2> "$tmp/log"
recs=$(grep -c '^#[0-9]* [a-z-]* watch 1 thread ' "$tmp/log")
evs=$(python3 -c 'import json,sys; print(sum(e["ph"] == "i" for e in json.load(open(sys.argv[1]))["traceEvents"]))' "$tmp/t2.json")
check $(( recs != 9 || evs != 9 )) "-l: the text log too, 9 records and 9 events ($recs, $evs)"

# A path that a JSON writer must escape.
weird=$tmp/$(printf 'a"b\\c\001\377')
mkdir "$weird" && cp "$prog" "$weird/trace-prog"
"$memwatch" --trace "$tmp/w.json" -w tr_slots:rw -- "$weird/trace-prog" > "$tmp/out" 2> "$tmp/log"
check_trace "$tmp/w.json" "odd program path" "tr_slots:rw" -
python3 - "$tmp/w.json" "$weird/trace-prog" > "$tmp/py" 2>&1 <<'EOF'
import json, os, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
name = [e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "process_name"][0]
sys.exit(name != os.fsencode(sys.argv[2]).decode("latin-1"))
EOF
check $? "odd program path: the process named by it, odd bytes as \\u00XX"

# Private: never through a symbolic link, nor into another's file.
ln -s "$tmp/elsewhere" "$tmp/link"
"$memwatch" --trace "$tmp/link" -w tr_slots:rw -- "$prog" > "$tmp/out" 2> "$tmp/log"
check $(( $? != 125 )) "a symbolic link: memwatch fails (125)"
has "$tmp/log" "^memwatch: refusing to write the trace to $tmp/link: it is a symbolic link\$" "a symbolic link: refused in one line"
check $(( $(wc -l < "$tmp/out") != 0 )) "a symbolic link: the program did not run"
check $([ ! -e "$tmp/elsewhere" ]; echo $?) "a symbolic link: nothing written where it points"
exit $failed
