# SPDX-License-Identifier: MIT
# A condition on the watched value, tested by the library (a false one
# costs no stop), and stops only at writes that change the value: the same
# stops as GDB's own `watch ival if ival > 6` with `ignore N 1` (first run), at the same
# lines with the same values.  Every write stays in the log (mwatch-list's
# hits: 12 writes; the breakpoint's hit count: the accesses whose condition held); `mwatch-stop
# every` stops at the write of the value ival had too.
set filename-display basename
break main
run
watch ival if ival > 6
ignore $bpnum 1
continue
continue
continue
info watchpoints
delete
echo === memwatch\n
break main
run
mwatch -l ival if ival > 6
ignore $bpnum 1
continue
continue
info breakpoints $bpnum
mwatch-stop every
continue
continue
info breakpoints $bpnum
mwatch-list
continue
