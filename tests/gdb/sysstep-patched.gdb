# SPDX-License-Identifier: MIT
# A system-call site patched under GDB (memwatch(3), "System calls"):
# sys_write's `mov $1,%eax; syscall`, called 20 times while a watch exists,
# is patched (the stub told to GDB through the JIT interface, its frame the
# site's).  `next` steps over a line calling it and over its own asm line;
# stepi goes into the stub, bt reaches main, finish returns to the site,
# and the program's output is as without memwatch.
set filename-display basename
set print frame-arguments none
# Patched whatever the suite's environment says (CI runs it again with
# MEMWATCH_PATCH=0): this case is about the patched site.
set environment MEMWATCH_PATCH 1
set environment MEMWATCH_PATCH_SYSCALLS 1
break sysstep.c:27
run
mwatch page 8
mwatch-stop off
break sysstep.c:30
continue
next
step
while ($pc >= (char *)sys_write && $pc < (char *)sys_write + 64)
  stepi
end
bt
finish
next
next
next
continue
continue
