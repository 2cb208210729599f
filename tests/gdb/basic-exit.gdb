# SPDX-License-Identifier: MIT
# The history outlives the program: in record-only mode a program that
# runs to its end with records in its log stops before it exits, saying
# how many; mwatch-log and mwatch-list still work there, and `continue`
# lets it exit.  In stop mode it exits without that stop; without records
# too.
set filename-display basename
break basic.c:52
run
mwatch &counter 4
mwatch -l g_cfg
mwatch-stop off
continue
mwatch-log
mwatch-list
continue
echo === stop mode: no stop at the exit\n
munwatch all
run
mwatch-stop on
mwatch &counter 4
continue
continue
continue
echo === record-only, no record: no stop at the exit\n
munwatch all
run
mwatch -l table[3] read
mwatch-stop off
continue
