# SPDX-License-Identifier: MIT
# A genuine crash (a store to address 0x10) while watches exist: GDB stops
# with SIGSEGV at the faulting instruction, in the faulting frame, with the
# fault address in $_siginfo; continuing, the program dies of it as it
# would without memwatch (target: crash.c).
set filename-display basename
break crash.c:45
run
mwatch -l watched
mwatch -l nullp
mwatch-stop off
continue
bt
print $_siginfo.si_signo
print $_siginfo._sifields._sigfault.si_addr
print &nullp->x
x/i $pc
mwatch-list
print watched
continue
