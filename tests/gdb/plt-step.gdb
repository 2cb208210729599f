# SPDX-License-Identifier: MIT
# `step` into functions of a shared library with line information, through
# PLT entries the dynamic linker binds at the first call: binding writes
# the GOT slot, on the page of the watched variable.  That write is not
# watched (nothing to report): each step stops where it would without
# memwatch, in the library's function; the program's own writes are
# reported as usual (target: plt.c, plt-lib.c).
set filename-display basename
break plt.c:21
run
mwatch -l watched
echo === both GOT slots are on the watched page, not bound yet\n
print ((unsigned long) &watched >> 12) == ((unsigned long) &'mwplt_add@got.plt' >> 12)
print ((unsigned long) &watched >> 12) == ((unsigned long) &'mwplt_twice@got.plt' >> 12)
print *(long *) &'mwplt_add@got.plt' == (long) &'mwplt_add@plt' + 6
print *(long *) &'mwplt_twice@got.plt' == (long) &'mwplt_twice@plt' + 6
echo === 21: step into mwplt_add, step back to main\n
step
step
echo === 22: step over the watched write\n
step
echo === 23: step into mwplt_twice, finish\n
step
finish
echo === bound now\n
print *(long *) &'mwplt_add@got.plt' == (long) &mwplt_add
print *(long *) &'mwplt_twice@got.plt' == (long) &mwplt_twice
mwatch-stop off
next
next
print watched
mwatch-list
continue
continue
