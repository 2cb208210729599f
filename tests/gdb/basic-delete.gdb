# SPDX-License-Identifier: MIT
# Each watch stops at a breakpoint of its own, which GDB's own commands act
# on as on a watchpoint: `disable N` stops its stops, `enable N` brings them
# back, `info breakpoints N` shows its hits, `delete N` removes the watch
# (as GDB's delete removes a watchpoint: mwatch-list no longer has it), and
# so does `delete` of all; memwatch's breakpoints in the library (the stop
# that stepping needs, the stop at a genuine crash) come back after it,
# enabled.
set filename-display basename
break basic.c:52
run
mwatch &counter 4
set $w = $bpnum
disable $w
break set_b
continue
enable $w
continue
info breakpoints $w
mwatch -l g_cfg.b
delete $w
mwatch-list
delete
mwatch-list
munwatch 1
mwatch-list
pipe info breakpoints | grep -c "mw_gdb_.*_hook"
pipe info breakpoints | grep -E "^[0-9]+ +breakpoint +keep +[yn]" | sed -E "s/ +0x[0-9a-f]+ / /"
continue
