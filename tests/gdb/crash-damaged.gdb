# SPDX-License-Identifier: MIT
# A damaged log: three watched writes in record-only mode, then, at the
# genuine crash, each word of mw_log_descriptor (and the ring's counters)
# overwritten in turn with a bad value: mwatch-log and mwatch-map say "the
# log is damaged" in one line and read nothing through the bad word; the
# word put back, the log reads again.  Last, a core file saved with a bad
# capacity: t-gdb.sh opens it in a second GDB, where mwatch-log says the
# same (target: crash.c).
set filename-display basename
break crash.c:45
run
mwatch -l watched
mwatch-stop off
continue
set $t_d = (unsigned long long *) &mw_log_descriptor
define t-bad
  set $t_save = $t_d[$arg0]
  set var $t_d[$arg0] = $arg1
  echo === word $arg0 = $arg1\n
  mwatch-log
  set var $t_d[$arg0] = $t_save
end
t-bad 0 0x1234
t-bad 1 2
t-bad 2 5
t-bad 4 3
t-bad 4 0x10000000000
t-bad 4 0
t-bad 5 0
t-bad 5 12
t-bad 5 0x100000
t-bad 9 0x10000000000
t-bad 10 0xffffffffffffff00
t-bad 17 448
t-bad 23 0x7fffffff
t-bad 24 0
t-bad 24 1000
t-bad 25 300
t-bad 25 100
t-bad 3 0
t-bad 3 0x1000
t-bad 3 0x7ffffffff000
t-bad 6 0x10
t-bad 7 7
t-bad 8 0xfffffffffffffff8
echo === the ring's counters\n
set $t_head = *(unsigned long long *) $t_d[6]
set var *(unsigned long long *) $t_d[6] = 0xffffffffffffffff
mwatch-log
mwatch-map
set var *(unsigned long long *) $t_d[6] = $t_head
set var *(unsigned long long *) $t_d[8] = 1000
mwatch-log
set var *(unsigned long long *) $t_d[8] = 0
echo === put back\n
mwatch-log
echo === mwatch-map on a bad capacity\n
set var $t_d[4] = 3
mwatch-map
generate-core-file tests/gdb/crash-damaged.core
kill
