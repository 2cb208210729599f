# SPDX-License-Identifier: MIT
# With a local variable of the innermost frame watched, every call of the
# commands into the library runs on the library's stack: mwatch-list,
# mwatch-map and the messages that ask the library (mw_strerror) work
# (before: "Cannot access memory", GDB's call frame landing on the
# watched page).
set filename-display basename
break kernel.c:34
run
mwatch -l local
mwatch-list
mwatch-map
munwatch 9
mwatch 0 4
mwatch-stop off
continue
continue
continue
