#!/bin/sh
# SPDX-License-Identifier: MIT
# t-examples.sh - the bug hunts of examples/README.md, with the commands it
# shows (each checked to be in the README word for word), must find each
# bug: the function, the line, the address.
: "${top_srcdir:=.}" "${top_builddir:=.}"
abs_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
. "$abs_srcdir/tests/tap.sh"
skip_if_sanitized   # the programs run here are built without them
cd "$top_builddir" || exit 99
readme=$abs_srcdir/examples/README.md
unset MEMWATCH_PRELOAD MEMWATCH_LOG MEMWATCH_RING MEMWATCH_DEPTH LD_PRELOAD
ulimit -c 0 2>/dev/null

for p in examples/overrun examples/uaf examples/threads examples/slowcache cli/memwatch; do
	if [ ! -x "$p" ]; then
		echo "1..0 # SKIP $p not built"
		exit 0
	fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t-examples.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

echo "1..31"
# run COMMAND...: the README shows it as "$ COMMAND"; output in $tmp/out.
run() {
	grep -qxF -- "\$ $*" "$readme"
	check $? "README shows: $*"
	"$@" > "$tmp/out" 2>&1
}
line() { grep -n -- "$2" "$abs_srcdir/examples/$1" | head -1 | cut -d: -f1; }

# 1. overrun: set_login's NUL lands on acct+16, the lowest byte of the quota.
nul=$(line overrun.c 'overrun: the NUL')
run examples/overrun margaret.hamilton
has "$tmp/out" '^margaret.hamilto: quota 999936 bytes, 100 files$' "overrun: the symptom"
run cli/memwatch -w acct+16:16 -d 2 -- examples/overrun margaret.hamilton
has "$tmp/out" '^memwatch: watch 1: acct\+16:16, 16 bytes at 0x[0-9a-f]+, writes: 3 records$' "overrun: the watch"
grep -A4 '^  1 byte at ' "$tmp/out" > "$tmp/rec"
has "$tmp/rec" '^  1 byte at 0x[0-9a-f]+ acct\+0x10 \(overrun\)$' "overrun: one byte written at acct+16"
has "$tmp/rec" '^  old: 40$' "overrun: old value 0x40 (1000000 = 0x0f4240)"
has "$tmp/rec" '^  new: 00$' "overrun: new value: the NUL"
has "$tmp/rec" "^  #0 0x[0-9a-f]+ set_login\\+0x[0-9a-f]+ \\(overrun\\) at overrun.c:$nul\$" "overrun: set_login, the line of the NUL"
run cli/memwatch --map -w acct -- examples/overrun margaret.hamilton
has "$tmp/out" '^\+10       w2(  w1){15}$' "overrun: the map shows +0x10 written twice"

# 2. uaf: free (from logout), malloc (from login), then anonymize_ended
# writes 0 over bob's uid, at the address login wrote it.
gdbfile=examples/uaf.gdb
[ -f "$gdbfile" ] || gdbfile=$abs_srcdir/examples/uaf.gdb
grep -qxF '$ gdb -q -batch -x gdbsupport/memwatch-build.gdb -x examples/uaf.gdb examples/uaf' "$readme"
check $? "README shows the GDB command"
if command -v gdb > /dev/null 2>&1 && gdb -nx -batch -ex run /bin/true 2>&1 | grep -q 'exited normally'; then
	timeout 60 gdb -q -batch -x gdbsupport/memwatch-build.gdb -x "$gdbfile" examples/uaf \
		< /dev/null > "$tmp/out" 2>&1
	free_line=$(line uaf.c 'and freed: the bug')
	stale=$(line uaf.c 'through a pointer to freed memory')
	start=$(sed -n 's/^memwatch: watch 1: 24 bytes at \(0x[0-9a-f]*\), writes$/\1/p' "$tmp/out")
	uid=$(printf '0x%x' $((start + 16)))
	has "$tmp/out" "<logout\\+[0-9]+ at [^ ]*uaf.c:$free_line>" "uaf: free, called by logout"
	has "$tmp/out" "^#[0-9]+  thread [0-9]+  write  watch 1  0x[0-9a-f]+  8 bytes  .* at 0x[0-9a-f]+ <[_A-Za-z]*malloc" "uaf: malloc hands the memory out again"
	has "$tmp/out" "^#[0-9]+  thread [0-9]+  write  watch 1  $uid  4 bytes  e8 03 00 00 -> e9 03 00 00  at 0x[0-9a-f]+ <login\\+[0-9]+ at [^ ]*uaf.c:[0-9]+>" "uaf: login writes bob's uid 1001 at watch+16"
	has "$tmp/out" "^#[0-9]+  thread [0-9]+  write  watch 1  $uid  4 bytes  e9 03 00 00 -> 00 00 00 00  at 0x[0-9a-f]+ <anonymize_ended\\+[0-9]+ at [^ ]*uaf.c:$stale>" "uaf: anonymize_ended overwrites it, the line"
	# The order is the story: free, then bob's uid, then the stale write.
	order=$(grep -n -e '<_int_free' -e 'e8 03 00 00 -> e9 03' -e 'e9 03 00 00 -> 00 00' "$tmp/out" | grep '^[0-9]*:#' | cut -d: -f1 | tr '\n' ' ')
	set -- $order
	check $(( ! ($# == 4 && $1 < $3 && $3 < $4) )) "uaf: in that order (lines $order)"
	has "$tmp/out" '^bob: uid 0$' "uaf: the symptom"
else
	for i in 1 2 3 4 5 6; do echo "ok $((n + i)) # SKIP gdb cannot trace here"; done
	n=$((n + 6))
fi

# 3. threads: the reporter writes stats.bytes without the lock.
bug=$(line threads.c 'stats.bytes /= 1024')
run cli/memwatch --summary -w stats -- examples/threads
has "$tmp/out" '^memwatch: examples/threads exited with status 0$' "threads: runs to its end with the mutex watched"
has "$tmp/out" "^       1  write   [0-9]+ +0x[0-9a-f]+ report\\+0x[0-9a-f]+ \\(threads\\) at threads.c:$bug\$" "threads: one write by report, one thread, the line"
has "$tmp/out" '^     200  rmw     2 threads +0x[0-9a-f]+ count\+0x[0-9a-f]+ \(threads\) at threads.c:[0-9]+$' "threads: the workers' 200 updates under the lock"
has "$tmp/out" '^     200  write   2 threads +0x[0-9a-f]+ [_A-Za-z]*pthread_mutex_lock' "threads: the mutex's own writes, recorded"
run cli/memwatch -w stats+48:8 -d 3 -- examples/threads
grep -B4 -A3 ' report+' "$tmp/out" > "$tmp/rec"
has "$tmp/rec" '^  8 bytes at 0x[0-9a-f]+ stats\+0x30 \(threads\)$' "threads: the write's address, stats.bytes"
has "$tmp/rec" "^  #1 0x[0-9a-f]+ reporter\\+0x[0-9a-f]+ \\(threads\\) at threads.c:[0-9]+\$" "threads: the reporter thread's function"

# 4. slowcache: no write to the configuration; the hot neighbour is
# cache.misses, written once per word by lookup: the cache never hits.
bug=$(line slowcache.c 'slowcache: every lookup gets here')
run cli/memwatch -w cache:8 -- examples/slowcache
has "$tmp/out" '^memwatch: watch 1: cache:8, 8 bytes at 0x[0-9a-f]+, writes: 0 records$' "slowcache: the configuration is not written"
has "$tmp/out" "^memwatch:   20000 by 0x[0-9a-f]+ lookup\\+0x[0-9a-f]+ \\(slowcache\\) at slowcache.c:$bug, touching 0x[0-9a-f]+ cache\\+0x8 \\(slowcache\\)\$" "slowcache: 20000 accesses by lookup's miss count, at its line"
has "$tmp/out" "^memwatch: most accesses to watched pages were to a neighbour: 0x[0-9a-f]+ cache\\+0x8 \\(slowcache\\), on the page of watch 1 \\(cache:8\\), is hot \\(20000 by lookup\\+0x[0-9a-f]+ \\(slowcache\\) at slowcache.c:$bug\\)" "slowcache: the line that names the hot neighbour"
# By signals alone, the same neighbour and the advice about its cost.
MEMWATCH_PATCH=0 run cli/memwatch -w cache:8 -- examples/slowcache
has "$tmp/out" "^memwatch: most faults were on a neighbour: 0x[0-9a-f]+ cache\\+0x8 \\(slowcache\\), on the page of watch 1 \\(cache:8\\), is hot \\(20000 by lookup\\+0x[0-9a-f]+ \\(slowcache\\) at slowcache.c:$bug\\): watch a copy" "slowcache, MEMWATCH_PATCH=0: 20000 faults, and the advice"
exit $failed
