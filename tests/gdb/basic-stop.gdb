# SPDX-License-Identifier: MIT
# Stop mode (the default): `continue` stops after each watched write, in the
# writing function's frame, with the old and new value; `bt` and `print`
# work there; after the last stop the program ends with the right values.
# The user's scheduler-locking setting is the same after each stop.
set filename-display basename
break basic.c:52
run
mwatch &counter 4
mwatch -l g_cfg.b
mwatch &table[15] 4
set scheduler-locking step
continue
bt
print counter
show scheduler-locking
set scheduler-locking off
continue
bt
print g_cfg.b
show scheduler-locking
continue
bt
print table[15]
continue
bt
print counter
continue
