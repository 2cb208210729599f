# SPDX-License-Identifier: MIT
# In stop mode a system call's write into a watched buffer (read(2) into
# inbuf) stops like any other write: after the system call instruction,
# in fill(), which made it, with the old and new bytes; the log has it as
# the kernel's write.
set filename-display basename
set print frame-arguments presence
break main
run
mwatch inbuf 16
continue
bt 2
mwatch-log
continue
