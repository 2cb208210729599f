# SPDX-License-Identifier: MIT
# The commands from a frame other than the innermost (after `up`): their
# arguments are evaluated in the selected frame, their calls into the
# library run from frame 0 (only its $sp can be set), and the selected
# frame is the user's again after (before: "Attempt to assign to an
# unmodifiable value").
set filename-display basename
break kernel.c:34
run
up
mwatch -l fds read
frame
mwatch inbuf 4 read
mwatch-set fds[1] 42
print fds[1]
frame
munwatch 2
frame
down
mwatch -l local
frame
continue
mwatch-stop off
munwatch all
continue
continue
