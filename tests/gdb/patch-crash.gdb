# SPDX-License-Identifier: MIT
# A genuine fault at a patched site: put()'s store, patched while it
# writes the watched variable (x/i shows the jump), then given a NULL
# pointer: its stub's copy faults, and GDB stops at the site itself, with
# the program's frame, $_siginfo and the original instruction back in
# place, as without the patch (target: patch.c, with an argument).
set filename-display basename
set environment MEMWATCH_PATCH 1
set environment MEMWATCH_PATCH_AFTER 4
break main
run crash
mwatch -l watched
mwatch-stop off
break patch.c:63
continue
x/i put
mwatch-list
continue
bt
print $_siginfo.si_signo
print (long) $_siginfo._sifields._sigfault.si_addr
x/i $pc
print watched
continue
