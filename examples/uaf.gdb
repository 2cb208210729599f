# SPDX-License-Identifier: MIT
# uaf.gdb - whose write gives bob uid 0 in examples/uaf?  (examples/README.md)
#
#   gdb -q -batch -x gdbsupport/memwatch-build.gdb -x examples/uaf.gdb examples/uaf
#
# (installed: gdb -x /usr/local/share/memwatch/memwatch.gdb ...)

# Watch alice's session from its birth: its memory's whole life is in the log.
break uaf.c:57
run
mwatch -l *alice

# Record only, no stops: the history tells the story afterwards.
mwatch-stop off
break uaf.c:60
continue

# Who wrote into that memory, in order, with three frames each.
mwatch-log 20 -bt 3
# In record-only mode GDB stops once more before the program exits, the
# log still readable there; this continue lets it end.
continue
continue
