# SPDX-License-Identifier: MIT
# Stepping at patched sites: stepi on a patched store goes into its stub
# (as at a patched system-call site), where bt reaches main through the
# site's frame (the stub told to GDB through the JIT interface) and
# finish comes back: in stop mode at the watch's breakpoint, reported.
# nexti steps over a patched site as over a call (the neighbour's add),
# step over a line with one stops at the report, step into store() and
# finish out of it (target: patch.c).
set filename-display basename
set environment MEMWATCH_PATCH 1
set environment MEMWATCH_PATCH_AFTER 4
break main
run
mwatch -l watched
mwatch-stop off
break done
continue
mwatch-stop on
tbreak patch.c:27
continue
stepi
bt
finish
nexti
nexti
nexti
step
step
step
finish
mwatch-stop off
step
step
next
next
delete
continue
continue
