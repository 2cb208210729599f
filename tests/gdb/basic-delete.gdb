# SPDX-License-Identifier: MIT
# The user's `delete` and `disable` of all breakpoints do not take
# memwatch's two with them (the stop after a watched access, which stepping
# needs too, and the stop at a genuine crash): stops go on, and the user's
# own breakpoints are gone, or disabled, as asked.
set filename-display basename
break basic.c:52
break done
run
mwatch &counter 4
delete
continue
disable
break done
disable
continue
pipe info breakpoints | grep -c "mw_gdb_.*_hook"
pipe info breakpoints | grep -E "^[0-9]+ +breakpoint +keep +[yn]" | sed -E "s/ +0x[0-9a-f]+ / /"
mwatch-stop off
continue
