# SPDX-License-Identifier: MIT
# Attach to a running program (target: attach.c, started here in the
# background; its pid comes back through a file of GDB commands): the first
# mwatch dlopens the library into it; once armed, continue stops after the
# next watched write with the report; mwatch-map draws the live watch (not
# a core file's span); then kill it.
set filename-display basename
shell tests/gdb/attach > /dev/null 2>&1 & echo "set \$mw_test_pid = $!" > tests/gdb/attach.pid.gdb
source tests/gdb/attach.pid.gdb
shell sleep 0.2
eval "pipe attach %d | cat > /dev/null", $mw_test_pid
# 1: attached
pipe info inferiors | grep -c '^\* 1 *process [0-9]'
set var armed = 1
mwatch-list
mwatch -l ticks
mwatch-list
continue
bt 1
print ticks
continue
mwatch-stop off
mwatch-list
mwatch-map
munwatch all
kill
