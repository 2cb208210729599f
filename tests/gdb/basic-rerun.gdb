# SPDX-License-Identifier: MIT
# Watches outlive the process as GDB's watchpoints do: one made before
# `run` is set when the program starts, and the watches of globals are set
# again in the next run (first GDB's own watch on counter, set before run
# and kept across a re-run, then the same with mwatch); munwatch all
# without a process forgets them.
set filename-display basename
watch counter
break basic.c:52
run
continue
run
continue
continue
delete
kill
echo === memwatch\n
mwatch -l counter
break basic.c:52
run
mwatch-list
continue
mwatch &table[15] 4
run
mwatch-list
continue
continue
kill
munwatch all
run
mwatch-list
continue
