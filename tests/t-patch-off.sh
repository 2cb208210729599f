#!/bin/sh
# SPDX-License-Identifier: MIT
# t-patch-off.sh - with MEMWATCH_PATCH=0 no instruction is patched, and
# t-patch's counts, values and faults come out the same by signals alone
# (t-patch asserts both ways).  CI runs the whole suite that way too.
. "${top_srcdir:-.}/tests/tap.sh"
tests="t-patch t-stack t-threads"
echo "1..$(echo $tests | wc -w)"
out=$(mktemp)
for t in $tests; do
	MEMWATCH_PATCH=0 "${top_builddir:-.}/tests/$t" > "$out" 2>&1
	st=$?
	if [ $st -eq 0 ] && ! grep -q '^not ok' "$out"; then
		check 0 "$t with MEMWATCH_PATCH=0"
	else
		check 1 "$t with MEMWATCH_PATCH=0 (status $st)"
		grep '^not ok' "$out" | head -5 | sed 's/^/#   /'
	fi
done
rm -f "$out"
exit $failed
