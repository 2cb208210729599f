# SPDX-License-Identifier: MIT
# Record-only mode: next, step, stepi, nexti, until and finish over lines
# and instructions that write watched memory (or unwatched bytes of its
# page: `other`) stop exactly where they stop without memwatch (the same
# script without the mwatch lines gives the same stops); nothing is
# reported and every write is counted (target: step.c).
set filename-display basename
break step.c:38
run
mwatch -l watched
mwatch-stop off
echo === 38: next over a call that writes; 39: next over a line that writes\n
next
next
echo === 40: step into quiet, next over its write of other\n
step
next
echo === 41: step, step, step, stepi on the store, stepi, finish\n
step
step
step
stepi
stepi
finish
echo === 41: next; 42: next; 44: nexti, nexti on a write, until\n
next
next
nexti
nexti
until
echo === 45: step, next over the store, next\n
step
next
next
echo === 47: nexti, nexti over a call that writes; 48: next\n
nexti
nexti
next
print watched
print other
mwatch-list
continue
continue
