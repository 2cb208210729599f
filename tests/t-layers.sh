#!/bin/sh
# SPDX-License-Identifier: MIT
# t-layers.sh - lib/ is in layers that call downward only (doc/HACKING.md):
# base -> watch -> arch -> threads -> log -> fault -> sys -> front.
# A file includes headers of its own layer and the layers before it, and
# an object file uses no symbol that a later layer's object defines; so
# no circle of calls crosses a folder.
src=${top_srcdir:-.}
build=${top_builddir:-.}
NM=${NM:-nm}
. "$src/tests/tap.sh"

layers="base watch arch threads log fault sys front"
rank() {
	i=0
	for l in $layers; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo 99
}

echo "1..4"

# Every file below lib/ is in one of the layers.
strays=$(cd "$src/lib" && find . -mindepth 2 -type f \( -name '*.[chS]' \) | while read -r f; do
	l=${f#./}
	l=${l%%/*}
	[ "$(rank "$l")" -eq 99 ] && echo "$f"
done)
[ -z "$strays" ]
check $? "every source file below lib/ is in a layer's folder"
[ -z "$strays" ] || echo "$strays" | sed 's/^/#   /'

# Includes point downward.
up=$(cd "$src/lib" && find . -mindepth 2 -type f -name '*.[chS]' | sort | while read -r f; do
	l=${f#./}
	l=${l%%/*}
	r=$(rank "$l")
	sed -n 's/^#[[:space:]]*include[[:space:]]*"\([a-z0-9_]*\)\/.*".*/\1/p' "$f" | sort -u |
	while read -r to; do
		[ "$(rank "$to")" -gt "$r" ] && echo "$f includes $to/"
	done
done)
[ -z "$up" ]
check $? "no file includes a header of a later layer"
[ -z "$up" ] || echo "$up" | sed 's/^/#   /'

# Symbols point downward: object LAYER/.libs/libmemwatch_la-NAME.o.
objs=$(find "$build/lib" -path '*/.libs/libmemwatch_la-*.o' 2>/dev/null | sort)
if [ -z "$objs" ]; then
	echo "ok 3 # SKIP no object files of the library in $build/lib"
	echo "ok 4 # SKIP no object files of the library in $build/lib"
	n=4
else
	table=$(for o in $objs; do
		rel=${o#"$build"/lib/}
		l=${rel%%/*}
		$NM "$o" | awk -v l="$l" -v o="$rel" '
			NF == 3 && $2 ~ /^[TDBRGSCV]$/ { print "D", $3, l, o }
			NF == 2 && $1 == "U" { print "U", $2, l, o }'
	done)
	echo "$table" | grep -q '^D mw_watch front '
	check $? "the objects' symbols are read (mw_watch is the front's)"
	ranks=""
	for l in $layers; do ranks="$ranks $l=$(rank "$l")"; done
	calls=$(echo "$table" | awk -v ranks="$ranks" '
		BEGIN { n = split(ranks, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); r[kv[1]] = kv[2] } }
		$1 == "D" { def[$2] = $3; deffile[$2] = $4 }
		$1 == "U" { use[++u] = $2 " " $3 " " $4 }
		END {
			for (i = 1; i <= u; i++) {
				split(use[i], x, " ")
				if ((x[1] in def) && r[def[x[1]]] > r[x[2]])
					print x[3] " uses " x[1] " of " deffile[x[1]]
			}
		}')
	[ -z "$calls" ]
	check $? "no object uses a symbol of a later layer"
	[ -z "$calls" ] || echo "$calls" | sed 's/^/#   /'
fi
exit $failed
