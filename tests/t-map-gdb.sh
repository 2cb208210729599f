#!/bin/sh
# SPDX-License-Identifier: MIT
# t-map-gdb.sh - mwatch-map in GDB on tests/gdb/basic, live and from a
# core file: which bytes of a watch were read, written, how often.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
. "$top_srcdir/tests/tap.sh"
skip_if_sanitized   # the programs run here are built without them
GDB=${GDB:-gdb}
prog=$top_builddir/tests/gdb/basic
gdbfile=$top_builddir/gdbsupport/memwatch-build.gdb

if ! command -v "$GDB" > /dev/null 2>&1 || [ ! -x "$prog" ]; then
	echo "1..0 # SKIP gdb or tests/gdb/basic missing"
	exit 0
fi
if ! "$GDB" -nx -batch -ex run /bin/true 2>&1 | grep -q 'exited normally'; then
	echo "1..0 # SKIP gdb may not trace a program here"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t-map-gdb.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

echo "1..18"

# fill() writes table[0..15] once each; main then reads table[15].  set_b
# writes g_cfg.b (bytes 8..15), main g_cfg.a (bytes 0..3).  bump()
# read-modifies-writes counter twice, get() reads it twice.
cat > "$tmp/s.gdb" <<GDB
break basic.c:52
run
mwatch table sizeof(table) access
mwatch -l g_cfg
mwatch -l counter access
mwatch-stop off
break done
continue
mwatch-map
mwatch-map 2
mwatch-map x
mwatch-map 9
generate-core-file $tmp/core
kill
GDB
timeout 60 "$GDB" -nx -batch -x "$gdbfile" -x "$tmp/s.gdb" "$prog" < /dev/null > "$tmp/out" 2>&1
w16='(  w1){16}'
has "$tmp/out" '^memwatch: map of watch 1: 64 bytes at 0x[0-9a-f]+ <table>, 1 byte per cell; 1 reads, 16 writes$' "map of watch 1: its range and counts"
has "$tmp/out" "^\\+0      $w16\$" "table[0..3]: each byte written once"
has "$tmp/out" "^\\+30     (  w1){12}(  b2){4}\$" "table[15]: written, then read"
has "$tmp/out" '^first byte accessed: \+0x0 \(0x[0-9a-f]+ <table>\)$' "the first byte accessed"
has "$tmp/out" '^memwatch: map of watch 2: 24 bytes at 0x[0-9a-f]+ <g_cfg>, 1 byte per cell; 0 reads, 2 writes$' "map of watch 2"
has "$tmp/out" '^\+0      (  w1){4}(   \.){4}(  w1){8}$' "g_cfg: .a and .b written, the hole between not"
has "$tmp/out" '^\+10     (   \.){8}$' "g_cfg.name: untouched"
has "$tmp/out" '^memwatch: map of watch 3: 4 bytes at 0x[0-9a-f]+ <counter>, 1 byte per cell; 2 reads, 0 writes, 2 read-modify-writes$' "counter: each access counted once, by its kind"
has "$tmp/out" '^Usage: mwatch-map \[ID\]$' "a bad ID: usage"
has "$tmp/out" '^memwatch: no watch 9$' "an unknown watch"
check $(( $(grep -c '^legend: ' "$tmp/out") != 2 )) "a legend under each mwatch-map"

# The core file: the watches' ranges are not known; the records' span is.
timeout 60 "$GDB" -nx -batch -x "$gdbfile" -ex 'mwatch-map 2' "$prog" "$tmp/core" < /dev/null > "$tmp/core.out" 2>&1
has "$tmp/core.out" '^memwatch: a core file: the map spans the bytes the records of watch 2 touched$' "core: says what the map spans"
has "$tmp/core.out" '^memwatch: map of watch 2: 16 bytes at 0x[0-9a-f]+ <g_cfg>, 1 byte per cell; 0 reads, 2 writes$' "core: g_cfg.a to g_cfg.b"
has "$tmp/core.out" '^\+0      (  w1){4}(   \.){4}(  w1){8}$' "core: the same cells"

# The same commands in GDB without Python (tools/fetch-gdb-minimal), as
# t-gdb.sh finds it.
minimal=
for g in "${GDB_MINIMAL:-}" /usr/bin/gdb-minimal "$top_builddir/tests/gdb-minimal/usr/bin/gdb"; do
	if [ -n "$g" ] && [ -x "$g" ]; then
		minimal=$g
		break
	fi
done
if [ -n "$minimal" ]; then
	sed '/generate-core-file/d' "$tmp/s.gdb" > "$tmp/m.gdb"
	timeout 60 "$minimal" -nx -batch -x "$gdbfile" -x "$tmp/m.gdb" "$prog" < /dev/null > "$tmp/min.out" 2>&1
	has "$tmp/min.out" '^memwatch: map of watch 1: 64 bytes at 0x[0-9a-f]+ <table>, 1 byte per cell; 1 reads, 16 writes$' "gdb-minimal: map of watch 1"
	has "$tmp/min.out" "^\\+30     (  w1){12}(  b2){4}\$" "gdb-minimal: table[15] written, then read"
	has "$tmp/min.out" '^\+0      (  w1){4}(   \.){4}(  w1){8}$' "gdb-minimal: g_cfg"
	has "$tmp/min.out" '^memwatch: map of watch 3: 4 bytes at 0x[0-9a-f]+ <counter>, 1 byte per cell; 2 reads, 0 writes, 2 read-modify-writes$' "gdb-minimal: counter, each access once"
else
	for i in 1 2 3 4; do
		n=$((n + 1))
		echo "ok $n # SKIP gdb-minimal not available"
	done
fi
exit $failed
