# SPDX-License-Identifier: MIT
# Which object a name is: the confirmation line of mwatch names the loaded
# object a watched address is in when it is not the program, and says so
# when several objects define a data symbol of that name, naming the one
# the program's code uses (`mwatch &environ 8` watched ld.so's private
# environ, 0 hits, not libc's that setenv writes).  Target: plt.c (the
# program's global `watched`; its copy of mwplt_shared, a copy relocation)
# and plt-lib.c (a static `watched` of its own; mwplt_shared, preempted).
set filename-display basename
break plt.c:21
run
echo === the program's own global: the line as without a second definition\n
mwatch -l watched
echo === the library's static of that name: not the one the program uses\n
mwatch &'plt-lib.c'::watched 4
mwatch &'plt-lib.c'::watched 4 read
echo === a copy relocation: the program's copy is the one every object uses\n
mwatch -l mwplt_shared
echo === an address in no object: the line as ever\n
mwatch $sp 8
echo === the program's writes hit watch 1 only\n
mwatch-stop off
break plt.c:26
continue
mwatch-list
kill
