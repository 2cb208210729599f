# SPDX-License-Identifier: MIT
# next, step, stepi, nexti, finish, until and advance over watched writes
# (stop mode): each stops where it would without memwatch, or right after
# the access, reported like a watchpoint; GDB keeps control and the
# program's values are right at the end (target: step.c).
set filename-display basename
break step.c:38
run
mwatch -l watched
mwatch-stop every
echo === 38: next over a call that writes, then next back to main\n
next
next
echo === 39: next over a line that writes\n
next
echo === 40: next over a call that does not write\n
next
echo === 41: step, step, step, stepi on the store, finish, finish\n
step
step
step
stepi
finish
finish
echo === 41: next; 42: step, then finish across a write\n
next
step
finish
finish
finish
echo === 42: next into the loop; until through it\n
next
until
until
until
echo === 45: advance across a write\n
advance 46
advance 46
echo === 46: next; 47: nexti, nexti over a call that writes, nexti\n
next
nexti
nexti
nexti
echo === 48: step over a call that does not write; 49: next over printf\n
step
next
print watched
print other
mwatch-list
continue
