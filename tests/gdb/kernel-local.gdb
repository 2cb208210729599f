# SPDX-License-Identifier: MIT
# A local variable of the running function, watched from a breakpoint in it:
# each write stops like a watchpoint, in the function, at its line.
set filename-display basename
break kernel.c:34
run
mwatch -l local
continue
continue
mwatch-stop off
munwatch all
continue
continue
