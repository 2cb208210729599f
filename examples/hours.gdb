# SPDX-License-Identifier: MIT
# hours.gdb - who changes srv.cfg.max_users in examples/hours?
#
#   gdb -q -batch -x gdbsupport/memwatch-build.gdb -x examples/hours.gdb examples/hours
#
# (installed: gdb -x /usr/local/share/memwatch/memwatch.gdb ...; see
# memwatch-gdb(7)).  examples/hours is a plain program: `run` preloads
# libmemwatch into it.

# Start-up is over when the requests are counted: the configuration is
# final from there on.
break count_requests
run

# Watch the field that goes wrong (writes; as many watches as you like).
mwatch -l srv.cfg.max_users
continue
# Stopped right after the write, in the culprit's frame: who called it?
bt

# The history of the watched accesses, with the backtrace of each (read
# from memory: this works on a core file too).
mwatch-log -bt

# No other write: the program runs to its end.
continue
