# SPDX-License-Identifier: MIT
# A condition GDB tests (not the library's simple form): the same stops as
# GDB's own `watch ival3 if ival3 % 2 == 1` (first run).  GDB tests it in
# the program's frame: `i`, a local of main, is there.
set filename-display basename
break main
run
watch ival3 if ival3 % 2 == 1
continue
continue
continue
continue
continue
delete
echo === memwatch\n
break main
run
mwatch -l ival3 if ival3 % 2 == 1 && i > 0
continue
continue
continue
continue
continue
info breakpoints $bpnum
continue
