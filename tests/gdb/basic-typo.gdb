# SPDX-License-Identifier: MIT
# A mistyped argument is an error before the commands switch to the
# library's call stack: the program goes on normally after it (before,
# $sp stayed on that stack and the next `continue` died of SIGSEGV at 0).
# `thread apply 1 -c` prints the error and goes on with this file.
set filename-display basename
break basic.c:52
run
mwatch &counter 4
munwatch xyz
thread apply 1 -c mwatch-set nosuch 5
thread apply 1 -c mwatch-set counter nosuch
thread apply 1 -c mwatch -l nosuch
thread apply 1 -c mwatch nosuch 4
thread apply 1 -c mwatch &counter nosuch
bt
mwatch-set counter 5
print counter
mwatch-list
continue
mwatch-stop off
continue
continue
