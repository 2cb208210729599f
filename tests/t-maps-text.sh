#!/bin/sh
# SPDX-License-Identifier: MIT
# t-maps-text.sh - the library reads the process's mappings with the
# PROCMAP_QUERY ioctl where the kernel has it (Linux 6.11), else as the
# text of /proc/self/maps.  The rest of the suite takes the first way on a
# new kernel; these tests run again the second way (MEMWATCH_MAPS_TEXT=1).
. "${top_srcdir:-.}/tests/tap.sh"
tests="t-api t-memory t-unwatch t-shared t-stack t-addrspace t-replaced"
echo "1..$(echo $tests | wc -w)"
out=$(mktemp)
for t in $tests; do
	MEMWATCH_MAPS_TEXT=1 "${top_builddir:-.}/tests/$t" > "$out" 2>&1
	st=$?
	if [ $st -eq 0 ] && ! grep -q '^not ok' "$out"; then
		check 0 "$t with /proc/self/maps read as text"
	else
		check 1 "$t with /proc/self/maps read as text (status $st)"
		grep '^not ok' "$out" | head -5 | sed 's/^/#   /'
	fi
done
rm -f "$out"
exit $failed
