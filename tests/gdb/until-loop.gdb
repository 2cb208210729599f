# SPDX-License-Identifier: MIT
# `until` at the last line of a loop (the for's test, at its bottom) runs
# the loop to its end, as without memwatch, also when the loop's body
# writes a watched page: unwatched bytes of it (record-only and stop
# mode: the same lines as GDB alone), or the watched variable (stop
# mode: the same stops as GDB's own `watch third`).
set filename-display basename
tbreak until.c:22
run
next
next
until
until
echo === memwatch, record-only: the loop writes the watched page\n
tbreak until.c:22
run
mwatch -l untouched
mwatch-stop off
next
next
until
until
echo === memwatch, stop mode: the loop writes the watched page\n
munwatch all
tbreak until.c:22
run
mwatch-stop on
mwatch -l untouched
next
next
until
until
echo === GDB's watch on a variable the loop writes\n
munwatch all
tbreak until.c:22
run
watch third
next
next
until
until
until
until
delete
echo === memwatch on a variable the loop writes\n
munwatch all
tbreak until.c:22
run
mwatch -l third
next
next
until
until
until
until
continue
