# SPDX-License-Identifier: MIT
# A breakpoint on the very instruction that accesses a watched page (bump's
# read-modify-write of counter) stops at each call under `continue`, as
# without memwatch: GDB steps the thread off it through the library's
# handler.  Record-only first (two stops, then the end), then in stop mode
# (`continue` from the breakpoint stops after the access, with the report).
set filename-display basename
break basic.c:52
run
mwatch &counter 4
mwatch-stop off
break *bump
set $b = $bpnum
continue
continue
info breakpoints $b
mwatch-list
munwatch all
run
mwatch &counter 4
mwatch-stop on
continue
continue
continue
continue
