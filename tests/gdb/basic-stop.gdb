# SPDX-License-Identifier: MIT
# Stop mode (the default): `continue` stops after each watched write, in the
# writing function's frame, with the old and new value; `bt` and `print`
# work there; after the last stop the program ends with the right values.
set filename-display basename
break basic.c:52
run
mwatch &counter 4
mwatch -l g_cfg.b
mwatch &table[15] 4
continue
bt
print counter
continue
bt
print g_cfg.b
continue
bt
print table[15]
continue
bt
print counter
continue
