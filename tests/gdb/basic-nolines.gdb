# SPDX-License-Identifier: MIT
# The library carries no line information of its own (unless configured
# with --enable-library-debug-info): a breakpoint on a file name the
# program does not have but the library does (its lib/log/log.c) is not put in
# the library, and the library's functions have no lines to stop at.
set filename-display basename
break basic.c:52
run
mwatch &counter 4
break log.c:23
info line mw_log_next
mwatch-stop off
continue
continue
