# SPDX-License-Identifier: MIT
# `step` into printf, not yet bound (lazy binding): the dynamic linker writes
# printf's GOT slot, which shares a page with the watched variable.  The
# write is not watched (nothing to report), and `step` should behave as
# without memwatch: step over printf (skipped, whether or not libc has
# line info here) to the next line.
set filename-display basename
break step.c:49
run
mwatch -l watched
skip -rfu printf
step
print watched
continue
