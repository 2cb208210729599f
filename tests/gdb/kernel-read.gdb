# SPDX-License-Identifier: MIT
# A system call that writes a watched buffer works (no EFAULT) and is in the
# log as the kernel's write, at the system call instruction in fill().
set filename-display basename
break main
run
mwatch inbuf 16
mwatch-stop off
break done
continue
mwatch-log -bt 2
continue
continue
