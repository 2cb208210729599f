#!/bin/sh
# SPDX-License-Identifier: MIT
# t-symbols.sh - libmemwatch.so exports the mw_* API, the three MemWatcher
# names and GDB's two JIT-interface names, and nothing else.
lib=${top_builddir:-.}/lib/.libs/libmemwatch.so
NM=${NM:-nm}
# The MemWatcher names, and the two names of GDB's JIT interface (GDB looks
# them up exactly so; lib/arch/x86_64/jit.c registers the generated stubs).
allowed="_watch_address _unwatch_address _get_trap_count __jit_debug_register_code __jit_debug_descriptor"
expected="mw_watch mw_unwatch mw_count mw_total_count mw_strerror _watch_address _unwatch_address _get_trap_count"

echo "1..10"
if [ ! -f "$lib" ]; then
	echo "Bail out! $lib not found (was the library built?)"
	exit 99
fi

. "${top_srcdir:-$(dirname "$0")/..}/tests/tap.sh"

out=$($NM -D --defined-only "$lib" 2>&1)
st=$?
[ $st -eq 0 ] && [ -n "$out" ]
check $? "$NM -D --defined-only lists the library's symbols"
[ $st -eq 0 ] || echo "# $out"

# "ADDRESS TYPE NAME[@VERSION]" -> NAME TYPE
syms=$(printf '%s\n' "$out" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 " " $2 }')
offenders=$(printf '%s\n' "$syms" | while read -r name type; do
	[ -n "$name" ] || continue
	case $name in
	mw_*) continue ;;
	esac
	ok=
	for a in $allowed; do
		[ "$name" = "$a" ] && ok=1
	done
	[ -n "$ok" ] || printf '%s(%s) ' "$name" "$type"
done)
[ -z "$offenders" ]
check $? "only mw_* and the MemWatcher names are exported"
[ -z "$offenders" ] || echo "# offenders: $offenders"

for s in $expected; do
	type=$(printf '%s\n' "$syms" | awk -v s="$s" '$1 == s { print $2 }')
	[ "$type" = T ]
	check $? "$s is exported as a function (T)"
	[ "$type" = T ] || echo "# $s: type '${type:-missing}'"
done

exit $failed
