#!/bin/sh
# SPDX-License-Identifier: MIT
# t-cost-cli.sh - the memwatch command says what watching cost beyond its
# records, with exact counts (tests/cost-prog): N writes of a neighbour on
# the watch's page are N faults, charged to that watch, by the instruction
# and line that made them, at the neighbour's address, with the line that
# says they dominate; M getppid calls are M dispatched calls of that name
# in --summary, with the line naming MEMWATCH_SYSCALLS=0 when they
# dominate; few of them, no such line.  The fault counts by signals (and
# with sites patched but their neighbours through the fault path,
# MEMWATCH_PATCH_NEIGHBOURS=0); by default the neighbour's instruction is
# patched after a few faults and its stub runs the rest: a line of their
# own, and the instruction's count of every access.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/cli-env.sh"
prog=$top_builddir/tests/cost-prog
hot=$(grep -n "line:hot" "$top_srcdir/tests/cost-prog.c" | cut -d: -f1)

echo "1..18"

MEMWATCH_PATCH_NEIGHBOURS=0 "$memwatch" -w pg:4 -- "$prog" 2345 0 > "$tmp/out" 2> "$tmp/log"
check $? "cost-prog 2345 0 runs"
has "$tmp/log" '^memwatch: watch 1: pg:4, 4 bytes at 0x[0-9a-f]+, writes: 1 record$' "the watch: its one write"
has "$tmp/log" '^memwatch: 2345 faults on watched pages touched no byte a watch counts \(no record\), about [0-9.]+ (us|ms|s) \([0-9.]+ us each\)$' "2345 writes of the neighbour: 2345 faults, and their cost"
has "$tmp/log" '^memwatch:   on the pages of watch 1 \(pg:4\): 2345$' "charged to watch 1"
has "$tmp/log" "^memwatch:   2345 by 0x[0-9a-f]+ bump\\+0x[0-9a-f]+ \\(cost-prog\\) at cost-prog.c:$hot, touching 0x[0-9a-f]+ pg\\+0x40 \\(cost-prog\\)\$" "by bump, at its line, touching pg+0x40 (pg.hot)"
has "$tmp/log" "^memwatch: most faults were on a neighbour: 0x[0-9a-f]+ pg\\+0x40 \\(cost-prog\\), on the page of watch 1 \\(pg:4\\), is hot \\(2345 by bump\\+0x[0-9a-f]+ \\(cost-prog\\) at cost-prog.c:$hot\\): watch a copy" "they dominate: one line naming the neighbour and what to do"
! grep -q "system calls dispatched" "$tmp/log"
check $? "the report names system calls only when they dominate"

MEMWATCH_PATCH_NEIGHBOURS=0 "$memwatch" -w pg:4 -- "$prog" 10 0 > "$tmp/out" 2> "$tmp/log"
has "$tmp/log" '^memwatch:   10 by 0x[0-9a-f]+ bump' "10 writes: 10 faults"
! grep -q "most faults were on a neighbour" "$tmp/log"
check $? "10 do not dominate: no advice"

# By default: a few faults, then the stub.
"$memwatch" -w pg:4 -- "$prog" 2345 0 > "$tmp/out" 2> "$tmp/log"
f=$(sed -n 's/^memwatch: \([0-9]*\) faults\{0,1\} on watched pages touched no byte.*/\1/p' "$tmp/log")
s=$(sed -n "s/^memwatch: and \([0-9]*\) such accesses\{0,1\} ran in patched instructions' stubs, without a fault\$/\1/p" "$tmp/log")
test -n "$f" && test -n "$s" && test $((f + s)) -eq 2345 && test "$f" -lt 100
check $? "by default: $f faults, and $s accesses in the patched site's stub: 2345 in all"
has "$tmp/log" '^memwatch:   on the pages of watch 1 \(pg:4\): '"$f"'$' "the faults charged to watch 1"
has "$tmp/log" "^memwatch:   2345 by 0x[0-9a-f]+ bump\\+0x[0-9a-f]+ \\(cost-prog\\) at cost-prog.c:$hot, touching 0x[0-9a-f]+ pg\\+0x40 \\(cost-prog\\)\$" "the instruction: every access, at its line"
has "$tmp/log" "^memwatch: most accesses to watched pages were to a neighbour: 0x[0-9a-f]+ pg\\+0x40 \\(cost-prog\\), on the page of watch 1 \\(pg:4\\), is hot \\(2345 by bump\\+0x[0-9a-f]+ \\(cost-prog\\) at cost-prog.c:$hot\\); they ran in a patched instruction's stub and cost little\$" "the hot neighbour named, as cheap"

# Dispatched through signals: no site patched (a patched site's calls are
# not what makes the program slow, and are not counted).
MEMWATCH_PATCH_SYSCALLS=0 "$memwatch" --summary -w pg:4 -- "$prog" 0 3000 > "$tmp/out" 2> "$tmp/log"
check $? "cost-prog 0 3000 runs"
! grep -q "faults on watched pages" "$tmp/log"
check $? "no neighbour touched: no line about neighbours"
has "$tmp/log" '^memwatch: [0-9]+ system calls dispatched \(one SIGSYS each while watches exist\), about [0-9.]+ (us|ms|s) \([0-9.]+ us each\): getppid 3000, ' "--summary: getppid 3000 times, the first of the calls"
has "$tmp/log" '^memwatch: most of the cost is system calls: with MEMWATCH_SYSCALLS=0 in the environment they run at full speed, but the kernel' "they dominate: MEMWATCH_SYSCALLS=0 named, and what it costs in coverage"
MEMWATCH_SYSCALLS=0 "$memwatch" --summary -w pg:4 -- "$prog" 0 3000 > "$tmp/out" 2> "$tmp/log"
! grep -q "system calls dispatched" "$tmp/log"
check $? "with MEMWATCH_SYSCALLS=0: none dispatched"
exit $failed
