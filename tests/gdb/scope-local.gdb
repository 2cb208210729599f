# SPDX-License-Identifier: MIT
# A watch on a local ends when its function returns, with GDB's words, and
# does not catch the next function's use of the same stack slot: the same
# stops as GDB's own `watch acc` (first run), then mwatch -l acc, then the
# same in record-only mode (the same stop), then in a recursion,
# as GDB's `watch here` (the watch ends when its own frame returns, not
# when a deeper call returns to the same place; two watches of a frame
# share its breakpoint).
set filename-display basename
tbreak scope.c:16
run
watch acc
continue
continue
continue
continue
continue
echo === memwatch\n
tbreak scope.c:16
run
mwatch -l acc
continue
continue
continue
continue
info breakpoints
continue
echo === memwatch, record-only\n
tbreak scope.c:16
run
mwatch-stop off
mwatch -l acc
continue
continue
echo === a recursion: GDB's watch\n
break scope.c:33 if n == 2
run
delete
watch here
continue
continue
continue
echo === a recursion: memwatch\n
break scope.c:33 if n == 2
run
delete
mwatch-stop on
mwatch -l here
mwatch -l here write if here == 3
continue
continue
mwatch-list
info breakpoints
continue
