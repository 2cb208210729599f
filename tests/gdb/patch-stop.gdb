# SPDX-License-Identifier: MIT
# Stop mode at a patched site (memwatch-gdb(7), "Patched sites"): store()'s
# write of `watched` runs 20 times record-only, its site patched at the
# 4th (x/i shows the jump to its stub); then stop mode, the watch's
# breakpoint ignoring 2 stops: the 23rd write stops, at the line after it,
# with the report, bt and values the signal's way gives; so does the 24th.
# Then GDB's own watchpoint (the sites restored with the last watch: x/i
# shows the store again) stops at the same place for the 25th and 26th
# (target: patch.c).
set filename-display basename
# Patched whatever the suite's environment says (CI runs it again with
# MEMWATCH_PATCH=0): this case is about the patched site.
set environment MEMWATCH_PATCH 1
set environment MEMWATCH_PATCH_AFTER 4
break main
run
mwatch -l watched
mwatch-stop off
break done
continue
x/i store
mwatch-stop on
ignore 6 2
continue
bt
print watched
print other
continue
munwatch 1
x/i store
watch watched
continue
continue
delete
continue
