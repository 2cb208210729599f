# SPDX-License-Identifier: MIT
# Record-only mode, three watched writes, then a genuine crash: at the crash
# stop, save a core file.  t-gdb.sh then opens the core in a second GDB
# and runs `mwatch-log -bt`, which must show the three writes with their
# backtraces (target: crash.c).
set filename-display basename
break crash.c:45
run
mwatch -l watched
mwatch-stop off
continue
generate-core-file tests/gdb/crash.core
kill
