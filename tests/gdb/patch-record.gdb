# SPDX-License-Identifier: MIT
# Record-only mode at a patched site: store()'s write of `watched` (and its
# neighbour `other`, on the same page) are patched at the 4th write; no
# stop after that, and the counts are exact: 20 hits at the first done(),
# 30 at the second, the log's last records with their values and
# backtraces (taken from the stub's frame, through to main), the
# program's values right (target: patch.c).
set filename-display basename
set environment MEMWATCH_PATCH 1
set environment MEMWATCH_PATCH_AFTER 4
break main
run
mwatch -l watched
mwatch-stop off
break done
continue
x/i store
mwatch-list
continue
mwatch-list
mwatch-log 2 -bt 2
print watched
print other
delete
continue
continue
