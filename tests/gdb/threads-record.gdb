# SPDX-License-Identifier: MIT
# Record-only, two threads (target: threads.c): each writer, stopped at the
# start of its line that writes watched memory, steps over the write and
# stops where it would without memwatch, in its own thread, while the other
# threads run: the first with `next`; the second with `stepi` to the store,
# `stepi` on it, then `next` over its store to `turn` (unwatched bytes of
# the watched page).  (The first writer's store to `turn` lets the second
# one go: it is not stepped, so that the second's breakpoint hit cannot
# race with a step.)  The counts and values are exact.
set filename-display basename
break threads.c:55
run
mwatch slots sizeof(slots)
mwatch -l total
mwatch-stop off
break threads.c:39
echo === the first writer: next\n
continue
next
thread
echo === the second writer: stepi, stepi, stepi on the store, next\n
continue
stepi
stepi
stepi
next
thread
clear threads.c:39
break done
continue
mwatch-list
continue
continue
