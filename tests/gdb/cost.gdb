# SPDX-License-Identifier: MIT
# What watching costs beyond the records (cost.c): mwatch-list names the
# 1500 faults on the watch's page neighbour, by the instruction and line
# that made them, with the line that says they dominate, and the 3000
# getppid calls dispatched, with the line (once) that says they dominate
# and what `mwatch-set syscalls off` trades; mwatch-log's footer the
# faults; `mwatch-set syscalls off` stops dispatch (the next 3000 calls
# are not counted), `on` starts it again; before `run`, it says how to
# start without dispatch.  Times vary from run to run: TIME.  The calls go
# through signals (MEMWATCH_PATCH_SYSCALLS=0): a patched site's are not
# counted as dispatched (t-syspatch checks that).
set filename-display basename
set environment MEMWATCH_PATCH_SYSCALLS 0
mwatch-set syscalls off
break cost.c:39
run
mwatch -l pg.cold
mwatch-stop off
break done
continue
pipe mwatch-list | sed -e 's/about [^(]*([^)]*)/about TIME/'
pipe mwatch-log 5 | sed -e 's/about [^(]*([^)]*)/about TIME/'
mwatch-set syscalls off
continue
pipe mwatch-list | sed -e 's/about [^(]*([^)]*)/about TIME/'
mwatch-set syscalls on
continue
continue
