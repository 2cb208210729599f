# SPDX-License-Identifier: MIT
# A thread-specific watch: `mwatch ... thread N` stops only for thread
# N's writes, as GDB's `watch ... thread N` (first run: GDB's own, on the
# same turns of threads.c: thread 3 writes slots[1] twice, thread 2
# slots[0] twice, in between).
set filename-display basename
break threads.c:55
run
watch slots thread 3
continue
continue
delete
echo === memwatch\n
break threads.c:55
run
mwatch slots sizeof(slots) thread 3
continue
print slots
continue
print slots
info breakpoints $bpnum
munwatch all
continue
