# SPDX-License-Identifier: MIT
# cli-env.sh - the set-up of the scripts that run tests/cli-prog under the
# memwatch command (source it after tap.sh, with top_builddir and
# top_srcdir set): skipped with sanitizers or when not built; $memwatch,
# $prog, MEMWATCH_PRELOAD for the build tree, no other MEMWATCH_* or
# LD_PRELOAD from the caller, no core files, and a directory $tmp removed
# at exit.
skip_if_sanitized
memwatch=$top_builddir/cli/memwatch
prog=$top_builddir/tests/cli-prog
MEMWATCH_PRELOAD=$top_builddir/lib/.libs/libmemwatch.so.0:$top_builddir/lib/.libs/memwatch-run.so
export MEMWATCH_PRELOAD
unset MEMWATCH_LOG MEMWATCH_RING MEMWATCH_DEPTH LD_PRELOAD
ulimit -c 0 2>/dev/null

if [ ! -x "$prog" ] || [ ! -x "$memwatch" ]; then
	echo "1..0 # SKIP not built"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
