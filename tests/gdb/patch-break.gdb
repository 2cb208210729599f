# SPDX-License-Identifier: MIT
# GDB's breakpoint on a patched site's line (its int3 over the jump): it
# stops there, x/i shows the jump under it, `next` from it (GDB steps the
# thread off its breakpoint through the jump: the stub's frame is a call
# it steps over) stops at the watch's breakpoint with the report, in stop
# mode, with displaced stepping off and on; record-only, `next` goes
# line by line back to main.  The library never writes over GDB's
# breakpoint: the last watch's end (munwatch, at the breakpoint) gives the
# neighbour's site its bytes back but leaves this one, whose jump x/i
# shows after the breakpoint's delete; the program's values are right
# (target: patch.c).
set filename-display basename
set environment MEMWATCH_PATCH 1
set environment MEMWATCH_PATCH_AFTER 4
break main
run
mwatch -l watched
mwatch-stop off
break done
continue
mwatch-stop on
set displaced-stepping off
break patch.c:27
continue
x/i $pc
next
continue
set displaced-stepping on
next
continue
mwatch-stop off
next
next
next
continue
munwatch 1
delete 8
x/i store
x/i store+6
continue
print watched
print other
continue
continue
