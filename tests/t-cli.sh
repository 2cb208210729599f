#!/bin/sh
# SPDX-License-Identifier: MIT
# t-cli.sh - the memwatch command with tests/cli-prog: watches by symbol
# (global, static, offset, size, kind), from the start of main; the log
# named to function and file:line; the exit status the program's, also when
# it crashes or is killed with SIGKILL (the log is still complete); the
# user's LD_PRELOAD kept; -o; clear errors for bad input.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/cli-env.sh"
src=$top_srcdir/tests/cli-prog.c

echo "1..73"

line() { grep -n "line:$1 " "$src" | cut -d: -f1; }

# The program exits 3; one write each to g_config.timeout_s and s_counter
# (an rmw); the constructor's write before main is not caught.
"$memwatch" -w g_config -w s_counter -w before_main -- "$prog" exit > "$tmp/out" 2> "$tmp/log"
check $(( $? != 3 )) "exit status is the program's (3)"
has "$tmp/log" '^memwatch: .*cli-prog exited with status 3$' "the end is said"
has "$tmp/log" '^memwatch: watch 1: g_config, 16 bytes at 0x[0-9a-f]+, writes: 1 record$' "g_config: its size from the symbol table, 1 record"
has "$tmp/log" '^memwatch: watch 2: s_counter, 8 bytes at 0x[0-9a-f]+, writes: 1 record$' "a static variable"
has "$tmp/log" '^memwatch: watch 3: before_main, 8 bytes at 0x[0-9a-f]+, writes: 1 record$' "from the start of main: the constructor's write is not caught"
has "$tmp/log" "^  #0 0x[0-9a-f]+ set_timeout\\+0x[0-9a-f]+ \\(cli-prog\\) at cli-prog.c:$(line set_timeout)\$" "the write: function and line"
has "$tmp/log" "^  4 bytes at 0x[0-9a-f]+ g_config\\+0x4 \\(cli-prog\\)\$" "the write: address and size (g_config.timeout_s)"
has "$tmp/log" '^  old: 1e 00 00 00$' "old value 30"
has "$tmp/log" '^  new: 3c 00 00 00$' "new value 60"
has "$tmp/log" "^#[0-9]+ rmw watch 2 " "s_counter += 5 is a read-modify-write"
has "$tmp/log" "^  #0 0x[0-9a-f]+ bump\\+0x[0-9a-f]+ \\(cli-prog\\) at cli-prog.c:$(line bump)\$" "bump: function and line"
has "$tmp/log" "^  #1 0x[0-9a-f]+ main\\+0x[0-9a-f]+ \\(cli-prog\\) at cli-prog.c:[0-9]+\$" "callers named too"
has "$tmp/log" "^  #0 0x[0-9a-f]+ main\\+0x[0-9a-f]+ \\(cli-prog\\) at cli-prog.c:$(line main)\$" "main's own write"

# A function-scope static (GCC's calls.0), --summary, --help.
"$memwatch" -s -w calls -- "$prog" exit > "$tmp/out" 2> "$tmp/log"
has "$tmp/log" '^memwatch: who accessed watch 1 \(calls\): 1 access by 1 instruction$' "a function-scope static, summarized"
has "$tmp/log" "^       1  rmw     [0-9]+ +0x[0-9a-f]+ bump\\+0x[0-9a-f]+ \\(cli-prog\\) at cli-prog.c:$(line calls)\$" "--summary: count, kind, thread, where"
"$memwatch" --help > "$tmp/out" 2>&1
check $? "--help exits 0"
has "$tmp/out" '^Usage: memwatch \[OPTION\]\.\.\. \[--\] PROGRAM \[ARG\]\.\.\.$' "--help: usage"
# Every long option of --help is in the man page.
missing=
sed 's/\\-/-/g' "$top_srcdir/doc/memwatch.1" > "$tmp/man"
for o in $(grep -o -- '--[a-z][a-z]*' "$tmp/out" | sort -u); do
	grep -qF -- "$o" "$tmp/man" || missing="$missing $o"
done
check $(( ${#missing} != 0 )) "memwatch(1) documents every option of --help${missing:+ (missing:$missing)}"

# Exact addresses: a non-PIE program's symbols are where nm says; a PIE
# one's are at its load base plus nm's value (the same offset in the page).
nopie=$top_builddir/tests/cli-prog-nopie
want=$(${NM:-nm} "$nopie" | sed -n 's/^0*\([0-9a-f]*\) [Dd] g_config$/0x\1/p')
"$memwatch" -w g_config -- "$nopie" exit > "$tmp/out" 2> "$tmp/log"
has "$tmp/log" "^memwatch: watch 1: g_config, 16 bytes at $want, writes: 1 record\$" "non-PIE: g_config at nm's address ($want)"
has "$tmp/log" "^  4 bytes at $(printf '0x%x' $((want + 4))) g_config\\+0x4 \\(cli-prog-nopie\\)\$" "non-PIE: the write at g_config+4"
low=$(${NM:-nm} "$prog" | sed -n 's/^0*\([0-9a-f]*\) [Dd] g_config$/\1/p' | sed 's/.*\(...\)$/\1/')
"$memwatch" -w g_config -- "$prog" exit > "$tmp/out" 2> "$tmp/log"
has "$tmp/log" "^memwatch: watch 1: g_config, 16 bytes at 0x[0-9a-f]*$low, writes" "PIE: g_config at the load base + nm's value (...$low)"

# SIGKILL: nothing runs in the program after it; the log is in memwatch's file.
"$memwatch" -w g_config+4:4 -- "$prog" kill > "$tmp/out" 2> "$tmp/log"
check $(( $? != 137 )) "killed by SIGKILL: status 128+9"
has "$tmp/log" '^memwatch: .* was killed by signal 9 \(Killed\)$' "the death is said"
has "$tmp/log" "^  #0 0x[0-9a-f]+ set_timeout\\+0x[0-9a-f]+ \\(cli-prog\\) at cli-prog.c:$(line set_timeout)\$" "the killed program's write is in the log, named"
"$memwatch" -w s_counter -- "$prog" segv > "$tmp/out" 2> "$tmp/log"
check $(( $? != 139 )) "a crash: status 128+11"
has "$tmp/log" "bump\\+0x[0-9a-f]+ \\(cli-prog\\) at cli-prog.c:$(line bump)\$" "the crashed program's write is in the log"

# A library's variable: libc's stdout, read by printf (the program does
# not name it, so it is libc's own copy).
"$memwatch" -s -w stdout:r -- "$prog" exit preload > "$tmp/out" 2> "$tmp/log"
has "$tmp/log" '^memwatch: watch 1: stdout:r, 8 bytes at 0x[0-9a-f]+, reads: [1-9][0-9]* records?$' "a variable of a library, found in libc.so.6"
has "$tmp/log" '^ +[0-9]+  read    [0-9]+ +0x[0-9a-f]+ [_A-Za-z]*printf[_a-z]*\+0x[0-9a-f]+ \(libc\.so\.6\)' "read by printf in libc, named"

# fork: the child's accesses stay out of the parent's log, and do not
# push the parent's own out (they would share its slots).
"$memwatch" -w s_counter -- "$prog" fork > "$tmp/out" 2> "$tmp/log"
has "$tmp/log" '^memwatch: watch 1: s_counter, 8 bytes at 0x[0-9a-f]+, writes: 2 records$' "fork: the parent's two writes"
check $(( $(sed -n 's/^#[0-9]* rmw watch 1 thread \([0-9]*\) .*/\1/p' "$tmp/log" | sort -u | wc -l) != 1 )) "fork: all by the parent's thread"

# The program's children run without watches, and unharmed: memwatch's
# variables are out of the environment even when the program has its own
# unsetenv (bash does; its commands all exited 125).
"$memwatch" -w s_counter -- "$prog" spawn > "$tmp/out" 2> "$tmp/log"
has "$tmp/out" '^child: status 3$' "a child of the program runs unharmed (its own unsetenv)"
check $(( $(grep -c '^memwatch: .*shared log' "$tmp/log") != 0 )) "no complaint about the shared log"

# Options: kind, depth, output file, the user's LD_PRELOAD kept.
"$memwatch" -w g_config:4:r -d 0 -o "$tmp/o" -- "$prog" exit > "$tmp/out" 2> "$tmp/log"
has "$tmp/o" '^#1 read watch 1 ' ":r watches reads (t_local = g_config.max_users)"
has "$tmp/o" "^  at 0x[0-9a-f]+ main\\+0x[0-9a-f]+ \\(cli-prog\\)" "-d 0: no backtrace, the instruction named"
check $(( $(wc -c < "$tmp/log") != 0 )) "-o: nothing on stderr"
LD_PRELOAD=libm.so.6 "$memwatch" -w g_config -- "$prog" exit preload > "$tmp/out" 2> "$tmp/log"
has "$tmp/out" '^LD_PRELOAD=.*memwatch-run.so:libm.so.6$' "the user's LD_PRELOAD is kept, after memwatch's"

# The heat map: one byte per cell; 4 bytes per cell for 4 KiB.
"$memwatch" -w g_config -w g_big --map -- "$prog" exit > "$tmp/out" 2> "$tmp/log"
has "$tmp/log" '^memwatch: map of watch 1 \(g_config\): 16 bytes at 0x[0-9a-f]+, 1 byte per cell; 0 reads, 1 write$' "map: range, cell size, counts"
has "$tmp/log" '^\+0      (   \.){4}(  w1){4}(   \.){8}$' "map: g_config.timeout_s written once"
has "$tmp/log" '^memwatch: map of watch 2 \(g_big\): 4096 bytes at 0x[0-9a-f]+, 4 bytes per cell; 0 reads, 2 writes$' "map: 4 KiB, 4 bytes per cell"
has "$tmp/log" '^\+3c0    (   \.){10}  w1(   \.){5}$' "map: g_big[1000..1003] in one cell"
has "$tmp/log" '^\+fc0    (   \.){15}  w1$' "map: g_big[4095] in the last cell"
has "$tmp/log" '^first byte accessed: \+0x3e8 \(0x[0-9a-f]+\)$' "map: the first byte accessed"
# Each access counted once, by its kind: s_counter += 5 is one
# read-modify-write, not a read and a write.
"$memwatch" -w s_counter:rw --map -- "$prog" exit > "$tmp/out" 2> "$tmp/log"
has "$tmp/log" '^memwatch: map of watch 1 \(s_counter:rw\): 8 bytes at 0x[0-9a-f]+, 1 byte per cell; 0 reads, 0 writes, 1 read-modify-write$' "map: a read-modify-write counted once, and named"
has "$tmp/log" '^\+0      (  b1){8}$' "map: its cells"

# A program started through a symbolic link (Debian's redis-server is one
# to redis-check-rdb): frames name the module as the program was started,
# not the file the link points to.
ln -s "$(cd "$(dirname "$prog")" && pwd)/$(basename "$prog")" "$tmp/linked-prog"
"$memwatch" -w g_config -- "$tmp/linked-prog" exit > "$tmp/out" 2> "$tmp/log"
has "$tmp/log" "^  #0 0x[0-9a-f]+ set_timeout\\+0x[0-9a-f]+ \\(linked-prog\\) at cli-prog.c:$(line set_timeout)\$" "a symbolic link: frames name the program as started"
has "$tmp/log" "^  4 bytes at 0x[0-9a-f]+ g_config\\+0x4 \\(linked-prog\\)\$" "a symbolic link: the address too"
check $(( $(grep -c '(cli-prog)' "$tmp/log") != 0 )) "a symbolic link: the file it points to is named nowhere"

# The program's descriptors are numbered as without memwatch: the shared
# log and the library's own are kept at 900 and above.
"$prog" exit fds > "$tmp/plain" 2>&1
"$memwatch" -w g_config -w s_counter -- "$prog" exit fds > "$tmp/out" 2> "$tmp/log"
cmp -s "$tmp/plain" "$tmp/out" && grep -q '^fd=[0-9]' "$tmp/out"
check $? "the program's open gets the number it gets without memwatch ($(cat "$tmp/out"))"

# memwatch-run.so, the preloaded part, exports its one interposer only.
syms=$(${NM:-nm} -D --defined-only "$top_builddir/lib/.libs/memwatch-run.so" | awk '{ print $3 }' | tr '\n' ' ')
[ "$syms" = "__libc_start_main " ]
check $? "memwatch-run.so exports __libc_start_main only ($syms)"

# Bad input: clear errors, status 125, the program not run.
err() {
	"$memwatch" "$@" > "$tmp/out" 2> "$tmp/log"
	echo $? > "$tmp/rc"
}
err -w nosuch -- "$prog" exit
has "$tmp/log" "^memwatch: -w nosuch: no variable 'nosuch' in .*cli-prog or its libraries$" "unknown symbol"
check $(( $(cat "$tmp/rc") != 125 || $(wc -c < "$tmp/out") != 0 )) "status 125, program not run"
err -w main -- "$prog"
has "$tmp/log" "'main' is a function, not a variable" "a function"
err -w t_local -- "$prog"
has "$tmp/log" "'t_local' is thread-local" "a thread-local variable"
cp "$prog" "$tmp/stripped" && strip "$tmp/stripped"
err -w g_config -- "$tmp/stripped"
has "$tmp/log" "has no symbol table \\(stripped\\), and no library of it exports 'g_config'" "a stripped program"
err -w g_config:0 -- "$prog"
has "$tmp/log" "'0' is neither a size \\(> 0\\) nor r, w or rw" "a bad size"
# --ring and --depth out of range: one message saying the range, whichever
# side is missed (also for a number too large for the machine).
for v in 0 1 16777217 99999999999 99999999999999999999999 -1 x; do
	err --ring "$v" -w g_config -- "$prog" exit
	has "$tmp/log" "^memwatch: --ring $v: not a number from 2 to 16777216\$" "--ring $v: the range"
	check $(( $(cat "$tmp/rc") != 125 || $(wc -c < "$tmp/out") != 0 )) "--ring $v: status 125, program not run"
done
for v in 33 99999999999 -1; do
	err --depth "$v" -w g_config -- "$prog" exit
	has "$tmp/log" "^memwatch: --depth $v: not a number from 0 to 32\$" "--depth $v: the range"
done
err -w g_config -- "$tmp/nonexistent"
check $(( $(cat "$tmp/rc") != 127 )) "a program that does not exist: 127"
exit $failed
