# SPDX-License-Identifier: MIT
# Record-only mode: with `mwatch-stop off` the program runs to the end
# without stopping; mwatch-list counts every access.
set filename-display basename
break basic.c:52
run
mwatch &counter 4
mwatch table sizeof(table) access
mwatch -l g_cfg
mwatch-stop off
break done
continue
mwatch-list
continue
continue
