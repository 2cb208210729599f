# SPDX-License-Identifier: MIT
# Record-only, reads and writes watched: the page of the watched variable
# is then inaccessible, so a PLT entry faults on reading its GOT slot,
# bound or not, besides the dynamic linker's binding writing it.  `step`
# goes into the library's functions as without memwatch, and the log holds
# the program's own accesses only (target: plt.c, plt-lib.c).
set filename-display basename
break plt.c:21
run
mwatch -l watched access
mwatch-stop off
echo === 21: step into mwplt_add (binding it), back to main\n
step
step
echo === 22-24\n
next
next
next
echo === 25: step into mwplt_add (bound), finish\n
print *(long *) &'mwplt_add@got.plt' == (long) &mwplt_add
step
finish
mwatch-list
mwatch-log 10
continue
continue
