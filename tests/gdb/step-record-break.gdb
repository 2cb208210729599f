# SPDX-License-Identifier: MIT
# Record-only mode, a user breakpoint on the watched store itself (step.c:15,
# the store alone on its line): each command that resumes from it (GDB
# steps the store off the breakpoint) stops where it would without
# memwatch: finish, next, stepi, until, advance, continue; with displaced
# stepping off, then on (a second run).  The same script without the mwatch
# lines gives the same stops (target: step.c).
set filename-display basename
break step.c:38
break step.c:15
set displaced-stepping off
run
mwatch -l watched
mwatch-stop off
echo === displaced stepping off\n
continue
finish
continue
next
continue
stepi
continue
until
continue
advance 46
continue
set displaced-stepping on
munwatch all
run
mwatch -l watched
mwatch-stop off
echo === displaced stepping on\n
continue
finish
continue
next
continue
stepi
continue
until
continue
advance 46
continue
continue
