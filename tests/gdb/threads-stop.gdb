# SPDX-License-Identifier: MIT
# Two threads write watched memory (target: threads.c).  `next` in main
# over the line that lets them go (its store to `turn` is to unwatched
# bytes of the watched page) ends at the next line, as without memwatch,
# before the writers get to run (the step stops the other threads).  They
# take turns, so the stops come in a known order: each in the writing
# thread, reported like a watchpoint; GDB keeps control throughout.  Then,
# record-only, 2 x 500 concurrent atomic increments: the hit count and the
# total are exact.
set filename-display basename
break threads.c:55
run
mwatch slots sizeof(slots)
mwatch -l total
echo === next in main: the next line\n
next
thread
echo === continue: the turns\n
continue
thread
continue
thread
continue
thread
continue
thread
break phase2
continue
thread
print slots
echo === record only: concurrent increments\n
mwatch-stop off
break done
continue
mwatch-list
print total
continue
continue
