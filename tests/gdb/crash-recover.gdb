# SPDX-License-Identifier: MIT
# A genuine crash in a program whose own SIGSEGV handler recovers with
# siglongjmp: GDB stops at the fault as without memwatch; continuing, the
# program's handler gets the signal and the program goes on, its watched
# writes still reported (target: crash.c, with an argument).
set filename-display basename
set args recover
break crash.c:47
run
mwatch -l watched
continue
continue
bt
print $_siginfo._sifields._sigfault.si_addr
continue
print watched
mwatch-list
continue
