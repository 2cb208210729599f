#!/bin/sh
# SPDX-License-Identifier: MIT
# t-private.sh - the log holds the program's memory (the values it writes
# and reads: passwords, keys), and is kept like a core dump; with
# tests/private-prog (a plain program that dlopens the library) and the
# memwatch command:
#   files     MEMWATCH_LOG (at exit and on the fatal path) and memwatch -o
#             are created 0600 under umask 022; an existing file of ours is
#             emptied and made 0600; a symbolic link, or a file of another
#             user, is refused with one line on stderr and left as it was,
#             the program otherwise unaffected; /dev/stderr and
#             /dev/stdout name the program's own streams;
#   exec      the descriptors the library keeps (/proc, at 900 and up) and
#             memwatch's shared-log memfd do not reach a program the
#             watched one runs;
#   secure    a set-user-ID copy run by an unprivileged user ignores every
#             MEMWATCH_* variable and says so once; memwatch refuses to
#             run it (its memfd would reach it).  Skipped unless root, with
#             a user "nobody", setpriv or runuser, and a temporary
#             directory that honours set-user-ID.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
. "$top_srcdir/tests/tap.sh"
skip_if_sanitized
abs() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }
prog=$(abs "$top_builddir/tests/private-prog")
memwatch=$(abs "$top_builddir/cli/memwatch")
lib=$(abs "$top_builddir/lib/.libs/libmemwatch.so.0")
MEMWATCH_PRELOAD=$lib:$(abs "$top_builddir/lib/.libs/memwatch-run.so")
export MEMWATCH_PRELOAD
unset MEMWATCH_LOG MEMWATCH_RING MEMWATCH_DEPTH MEMWATCH_SYSCALLS MEMWATCH_MAPS_TEXT LD_PRELOAD
ulimit -c 0 2>/dev/null
umask 022

if [ ! -x "$prog" ] || [ ! -x "$memwatch" ] || [ ! -f "$lib" ]; then
	echo "1..0 # SKIP not built"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t-private.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

echo "1..24"

# run OUT ERR COMMAND...: runs COMMAND in a shell of its own (no shell
# reports its death here), prints its status as a shell reports it.
run() {
	out=$1 err=$2
	shift 2
	sh -c 'o=$0 e=$1; shift; "$@" >"$o" 2>"$e"; echo $?' "$out" "$err" "$@" 2>/dev/null
}
mode() { stat -c %a "$1" 2>/dev/null; }
# skip DESCRIPTION...: skipped test points.
skip() {
	reason=$1
	shift
	for d in "$@"; do
		n=$((n + 1))
		echo "ok $n - $d # SKIP $reason"
	done
}
# One line on stderr, saying REGEX (besides the shell's "Aborted").
one_line() {
	grep -v '^Aborted' "$1" >"$1.lines"
	[ "$(wc -l <"$1.lines")" -eq 1 ] && grep -Eq -- "$2" "$1.lines"
}

# ------------------------------------------------------------ MEMWATCH_LOG
st=$(run "$tmp/o" "$tmp/e" env MEMWATCH_LOG="$tmp/exit.log" "$prog" "$lib" exit)
[ "$st" = 0 ] && [ -s "$tmp/exit.log" ] && [ "$(mode "$tmp/exit.log")" = 600 ]
r=$?
check $r "MEMWATCH_LOG at exit, umask 022: the file is created 0600 (got $(mode "$tmp/exit.log"))"
[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/e"; }

printf 'old text\n' >"$tmp/mine.log"
chmod 644 "$tmp/mine.log"
st=$(run "$tmp/o" "$tmp/e" env MEMWATCH_LOG="$tmp/mine.log" "$prog" "$lib" exit)
[ "$st" = 0 ] && [ "$(mode "$tmp/mine.log")" = 600 ] && ! grep -q 'old text' "$tmp/mine.log" &&
	grep -q '^memwatch log: ' "$tmp/mine.log"
check $? "an existing 0644 file of ours: replaced by the log and made 0600 (got $(mode "$tmp/mine.log"))"

st=$(run "$tmp/o" "$tmp/e" env MEMWATCH_LOG="$tmp/abort.log" "$prog" "$lib" abort)
[ "$st" = 134 ] && grep -q 'signal 6' "$tmp/abort.log" 2>/dev/null &&
	[ "$(mode "$tmp/abort.log")" = 600 ]
r=$?
check $r "MEMWATCH_LOG on the fatal path (abort): written, 0600 (got $(mode "$tmp/abort.log")), still dies of SIGABRT"
[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/e"; }

# A planted symbolic link: at exit and on the fatal path.
for how in exit abort; do
	printf 'keep\n' >"$tmp/target-$how"
	ln -s "$tmp/target-$how" "$tmp/link-$how.log"
	st=$(run "$tmp/o" "$tmp/e" env MEMWATCH_LOG="$tmp/link-$how.log" "$prog" "$lib" $how)
	want=0
	[ $how = abort ] && want=134
	[ "$st" = $want ] && [ "$(cat "$tmp/target-$how")" = keep ] && [ -L "$tmp/link-$how.log" ]
	r=$?
	check $r "MEMWATCH_LOG a symbolic link ($how): not followed, its target left as it was, status $want"
	[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/target-$how"; }
	one_line "$tmp/e" "^memwatch: refusing to write the log to MEMWATCH_LOG=$tmp/link-$how.log: it is a symbolic link\$"
	r=$?
	check $r "... and one line says so"
	[ $r -eq 0 ] || comment "$tmp/e"
done

# A file of another user.
nobody_uid=$(id -u nobody 2>/dev/null)
if [ "$(id -u)" = 0 ] && [ -n "$nobody_uid" ]; then
	printf 'theirs\n' >"$tmp/theirs.log"
	chown nobody "$tmp/theirs.log" && chmod 666 "$tmp/theirs.log"
	st=$(run "$tmp/o" "$tmp/e" env MEMWATCH_LOG="$tmp/theirs.log" "$prog" "$lib" exit)
	[ "$st" = 0 ] && [ "$(cat "$tmp/theirs.log")" = theirs ] &&
		one_line "$tmp/e" 'refusing to write the log to MEMWATCH_LOG=.*: it belongs to another user$'
	r=$?
	check $r "MEMWATCH_LOG an existing file of another user: left as it was, one line, status 0"
	[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/theirs.log"; comment "$tmp/e"; }
else
	skip "not root, or no user nobody" "MEMWATCH_LOG an existing file of another user"
fi

# ----------------------------------------------------------- memwatch -o
st=$(run "$tmp/o" "$tmp/e" "$memwatch" -w secret -o "$tmp/cli.log" -- "$prog" - exit)
[ "$st" = 0 ] && grep -q 'hunter2\|68 75 6e 74' "$tmp/cli.log" 2>/dev/null &&
	[ "$(mode "$tmp/cli.log")" = 600 ]
r=$?
check $r "memwatch -o FILE, umask 022: the log (with the secret) in a file created 0600 (got $(mode "$tmp/cli.log"))"
[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/e"; comment "$tmp/cli.log"; }

printf 'keep\n' >"$tmp/target-cli"
ln -s "$tmp/target-cli" "$tmp/link-cli.log"
st=$(run "$tmp/o" "$tmp/e" "$memwatch" -w secret -o "$tmp/link-cli.log" -- "$prog" - exit)
[ "$st" = 125 ] && [ "$(cat "$tmp/target-cli")" = keep ] &&
	one_line "$tmp/e" "^memwatch: refusing to write the log to $tmp/link-cli.log: it is a symbolic link\$"
r=$?
check $r "memwatch -o a symbolic link: refused (125) with one line, its target left as it was"
[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/e"; }

# The standard streams by name: links into /proc, written through the
# program's own descriptor.
st=$(run "$tmp/o" "$tmp/e" env MEMWATCH_LOG=/dev/stderr "$prog" "$lib" exit)
[ "$st" = 0 ] && grep -q '^memwatch log: ' "$tmp/e"
r=$?
check $r "MEMWATCH_LOG=/dev/stderr: the log on standard error"
[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/e"; }
st=$(run "$tmp/o" "$tmp/e" "$memwatch" -w secret -o /dev/stdout -- "$prog" - exit)
[ "$st" = 0 ] && grep -q '^memwatch log: ' "$tmp/o"
r=$?
check $r "memwatch -o /dev/stdout: the log on standard output"
[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/e"; }

if [ "$(id -u)" = 0 ] && [ -n "$nobody_uid" ]; then
	printf 'theirs\n' >"$tmp/theirs-cli.log"
	chown nobody "$tmp/theirs-cli.log" && chmod 666 "$tmp/theirs-cli.log"
	st=$(run "$tmp/o" "$tmp/e" "$memwatch" -w secret -o "$tmp/theirs-cli.log" -- "$prog" - exit)
	[ "$st" = 125 ] && [ "$(cat "$tmp/theirs-cli.log")" = theirs ] &&
		one_line "$tmp/e" 'refusing to write the log to .*: it belongs to another user$'
	r=$?
	check $r "memwatch -o an existing file of another user: refused (125) with one line, left as it was"
	[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/e"; }
else
	skip "not root, or no user nobody" "memwatch -o an existing file of another user"
fi

# ------------------------------------------------------------ descriptors
# The descriptors of a program run by the watched one: those of a program
# run without memwatch.  ls's own (the directory it reads) is the same.
fds() { grep -E '^[0-9]+$' "$1" | sort -n | tr '\n' ' '; }
st=$(run "$tmp/base.out" "$tmp/e" "$prog" - exec ls /proc/self/fd)
base=$(fds "$tmp/base.out")
st=$(run "$tmp/lib.out" "$tmp/e" "$prog" "$lib" exec ls /proc/self/fd)
[ "$st" = 0 ] && grep -q '^kept 9[0-9][0-9]$' "$tmp/lib.out"
r=$?
check $r "a watching program keeps descriptors of /proc at 900 and up"
[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/lib.out"; comment "$tmp/e"; }
[ -n "$base" ] && [ "$(fds "$tmp/lib.out")" = "$base" ]
r=$?
check $r "none reaches a program it runs: it has the descriptors it has without memwatch ($base)"
[ $r -eq 0 ] || comment "$tmp/lib.out"

st=$(run "$tmp/cli.out" "$tmp/e" "$memwatch" -w secret -- "$prog" - exec ls /proc/self/fd)
[ "$st" = 0 ] && grep -q '^kept 9[0-9][0-9]$' "$tmp/cli.out"
r=$?
check $r "under memwatch, the program has the shared log's memfd at 900 and up"
[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/cli.out"; comment "$tmp/e"; }
[ "$(fds "$tmp/cli.out")" = "$base" ]
r=$?
check $r "the memfd does not reach a program it runs"
[ $r -eq 0 ] || comment "$tmp/cli.out"

# ------------------------------------------------------ secure execution
# A set-user-ID-root copy of private-prog, run by nobody: AT_SECURE.
secure_points="set-user-ID run by nobody: in secure execution (AT_SECURE 1)
MEMWATCH_LOG ignored: no log file
MEMWATCH_RING=8 ignored: capacity 16384
one line on stderr says the MEMWATCH_* variables are ignored
the same copy without set-user-ID: MEMWATCH_LOG written (0600, nobody's), MEMWATCH_RING read
no descriptor of the library reaches a program the set-user-ID one runs
memwatch run by nobody on the set-user-ID copy: refused (126) with one line, the program not run"
skip_secure() {
	echo "$secure_points" | while IFS= read -r d; do
		n=$((n + 1))
		echo "ok $n - $d # SKIP $1"
	done
	n=$((n + 7))
}
as_nobody=
if command -v setpriv >/dev/null 2>&1; then
	as_nobody="setpriv --reuid=nobody --regid=$(id -g nobody 2>/dev/null) --clear-groups --"
elif command -v runuser >/dev/null 2>&1; then
	as_nobody="runuser -u nobody --"
fi
sdir=$tmp/suid
# Copies nobody can read: the build tree may be in a directory of root's
# alone (a mktemp -d clone).
slib=$sdir/libmemwatch.so.0
smemwatch=$sdir/memwatch
if [ "$(id -u)" != 0 ] || [ -z "$nobody_uid" ] || [ -z "$as_nobody" ]; then
	skip_secure "needs root, a user nobody and setpriv or runuser"
elif ! mkdir "$sdir" "$sdir/w" || ! chmod 755 "$tmp" "$sdir" || ! chmod 1777 "$sdir/w" ||
     ! cp "$prog" "$sdir/suid-prog" || ! cp "$prog" "$sdir/plain-prog" ||
     ! cp "$lib" "$slib" || ! cp "$memwatch" "$smemwatch" || ! chmod 755 "$slib" "$smemwatch" ||
     ! chown 0:0 "$sdir/suid-prog" || ! chmod 4755 "$sdir/suid-prog" || ! chmod 755 "$sdir/plain-prog" ||
     [ "$($as_nobody "$sdir/suid-prog" "$slib" exit 2>/dev/null | grep '^secure')" != "secure 1" ]; then
	skip_secure "a set-user-ID copy in $tmp is not secure execution for nobody (nosuid? $lib unreadable?)"
else
	n=$((n + 1)); echo "ok $n - set-user-ID run by nobody: in secure execution (AT_SECURE 1)"
	st=$(run "$tmp/s.out" "$tmp/s.err" env MEMWATCH_LOG="$sdir/w/suid.log" MEMWATCH_RING=8 \
		MEMWATCH_DEPTH=3 MEMWATCH_SYSCALLS=0 MEMWATCH_MAPS_TEXT=1 $as_nobody "$sdir/suid-prog" "$slib" exit)
	[ "$st" = 0 ] && [ ! -e "$sdir/w/suid.log" ]
	r=$?
	check $r "MEMWATCH_LOG ignored: no log file"
	[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/s.err"; }
	grep -qx 'capacity 16384' "$tmp/s.out"
	r=$?
	check $r "MEMWATCH_RING=8 ignored: capacity 16384"
	[ $r -eq 0 ] || comment "$tmp/s.out"
	one_line "$tmp/s.err" '^memwatch: secure execution .*MEMWATCH_\* variables are ignored$'
	r=$?
	check $r "one line on stderr says the MEMWATCH_* variables are ignored"
	[ $r -eq 0 ] || comment "$tmp/s.err"

	st=$(run "$tmp/p.out" "$tmp/p.err" env MEMWATCH_LOG="$sdir/w/plain.log" MEMWATCH_RING=8 \
		$as_nobody "$sdir/plain-prog" "$slib" exit)
	[ "$st" = 0 ] && grep -qx 'secure 0' "$tmp/p.out" && grep -qx 'capacity 8' "$tmp/p.out" &&
		[ "$(stat -c '%a %u' "$sdir/w/plain.log" 2>/dev/null)" = "600 $nobody_uid" ]
	r=$?
	check $r "the same copy without set-user-ID: MEMWATCH_LOG written (0600, nobody's), MEMWATCH_RING read"
	[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/p.out"; comment "$tmp/p.err"; }

	st=$(run "$tmp/x.out" "$tmp/x.err" $as_nobody "$sdir/suid-prog" "$slib" exec ls /proc/self/fd)
	[ "$st" = 0 ] && grep -q '^kept 9' "$tmp/x.out" && ! grep -qE '^9[0-9][0-9]$' "$tmp/x.out"
	r=$?
	check $r "no descriptor of the library reaches a program the set-user-ID one runs"
	[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/x.out"; comment "$tmp/x.err"; }

	st=$(run "$tmp/m.out" "$tmp/m.err" $as_nobody "$smemwatch" -w secret -- "$sdir/suid-prog" - exec ls /proc/self/fd)
	[ "$st" = 126 ] && [ ! -s "$tmp/m.out" ] &&
		one_line "$tmp/m.err" "^memwatch: $sdir/suid-prog is set-user-ID: .*not run\$"
	r=$?
	check $r "memwatch run by nobody on the set-user-ID copy: refused (126) with one line, the program not run"
	[ $r -eq 0 ] || { echo "# status $st"; comment "$tmp/m.out"; comment "$tmp/m.err"; }
fi

exit $failed
