# SPDX-License-Identifier: MIT
# mwatch-set writes watched memory through the alias; `print` sees it, the
# program goes on with it, and it is not counted as an access.
set filename-display basename
break basic.c:52
run
mwatch &counter 4
mwatch -l g_cfg.b
mwatch-set counter 42
print counter
mwatch-set g_cfg.b -5
print g_cfg.b
mwatch-set counter counter+1
print counter
mwatch-list
mwatch-stop off
continue
continue
