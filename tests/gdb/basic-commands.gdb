# SPDX-License-Identifier: MIT
# Each command's normal use and each misuse message (target: basic.c);
# mwatch-set is in basic-set.gdb.
set filename-display basename
echo === help\n
help mwatch
help munwatch
help mwatch-list
help mwatch-stop
help mwatch-set
help mwatch-clear
echo === no process yet: a watch made when the program starts, forgotten\n
mwatch &counter 4
mwatch-list
munwatch 1
mwatch-stop off
mwatch-clear
munwatch all
echo === argument errors\n
mwatch
mwatch &counter 4 write if
mwatch &counter 4 write extra
mwatch &counter 4 bogus
mwatch &counter 0
mwatch -l
mwatch -l counter write extra
mwatch -x counter
munwatch
munwatch 1 2
mwatch-stop
mwatch-stop on off
mwatch-set counter
break basic.c:52
run
echo === library loaded, no watch\n
mwatch-list
munwatch 1
munwatch all
mwatch-stop maybe
mwatch &counter 0
mwatch &counter 4 bogus
echo === an int is not an address: mwatch takes its value\n
mwatch counter 4
echo === watches\n
mwatch &counter 4
mwatch -l g_cfg.b
mwatch table sizeof(table) access
mwatch &g_cfg.name[2] 3 read
mwatch -l g_cfg.a write
mwatch-list
munwatch 99
munwatch 5
munwatch 5
mwatch-list
mwatch-clear
echo === mwatch-stop\n
mwatch-stop off
mwatch-stop on
mwatch-stop off
break done
continue
mwatch-list
print counter
print table[15]
print g_cfg
munwatch 1
munwatch all
mwatch-list
munwatch all
continue
continue
