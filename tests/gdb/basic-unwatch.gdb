# SPDX-License-Identifier: MIT
# munwatch takes a watch number or the word `all` exactly: any other word
# (any, abc, al, alls, a number with letters) is an error and removes
# nothing (before, only the first letter of `all` was checked).
set filename-display basename
break basic.c:52
run
mwatch &counter 4
mwatch -l g_cfg.b
munwatch any
munwatch abc
munwatch al
munwatch alls
munwatch 1x
munwatch -1
munwatch ALL
mwatch-list
munwatch 2
munwatch 0
munwatch 007
mwatch-list
munwatch all
mwatch-list
continue
