# SPDX-License-Identifier: MIT
# What GDB's own commands set on a watch outlives a re-run, with its
# number, as for GDB's watchpoints: commands and an ignore count (counter),
# a condition of GDB's (table[15]), a disable (g_cfg.b), and a watch's
# own condition (g_cfg.a if ...).  First GDB's own
# watches, set at done() in a first run and seen in a second one; then the
# same with mwatch (the watches made again in the second run get other
# ids: their breakpoints keep their numbers, and are named for the new
# ids unless the user gave them a condition of their own).
set filename-display basename
break done
run
watch counter
watch table[15]
watch g_cfg.b
watch g_cfg.a if g_cfg.a % 2 == 1
commands 2
silent
printf "counter is %d\n", counter
continue
end
ignore 2 1
condition 3 table[15] > 100
disable 4
run
info breakpoints
delete
kill
echo === memwatch\n
break done
run
mwatch -l table[0]
mwatch -l counter
mwatch -l table[15]
mwatch -l g_cfg.b
mwatch -l g_cfg.a if g_cfg.a % 2 == 1
munwatch 1
commands 12
silent
printf "counter is %d\n", counter
continue
end
ignore 12 1
condition 13 table[15] > 100
disable 14
run
mwatch-list
info breakpoints 12-15
kill
