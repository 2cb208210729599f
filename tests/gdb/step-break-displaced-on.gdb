# SPDX-License-Identifier: MIT
# A user breakpoint on the watched store itself (step.c:15, the store alone
# on its line), displaced stepping on: each `continue` stops at the
# breakpoint before the store, then after it with the report.  Record-only,
# `next` and `continue` from the breakpoint (GDB steps the store off it)
# stop where they would without memwatch: the next line, the breakpoint's
# next hit, the end; the program ends with the right values (target:
# step.c).
set filename-display basename
set displaced-stepping on
break step.c:38
run
mwatch -l watched
break step.c:15
continue
print watched
continue
print watched
continue
continue
continue
print watched
continue
stepi
print watched
mwatch-stop off
continue
print watched
next
print watched
continue
continue
continue
