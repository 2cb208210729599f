# SPDX-License-Identifier: MIT
# Watches of expressions that follow their pointer or index, as GDB's
# `watch EXPR` does (without -l): the same stops as GDB's own watch on
# ptr->val, *ip and hold.b[idx] (first run: GDB's; second: memwatch's),
# at the same lines with the same values; a write of the object the
# pointer left does not stop, nor a move to an object of the same value;
# list->next->val follows both pointers, and a null one makes the value
# unreadable until it is readable again; in record-only mode the watch
# moves too, and the log has the writes of ptr->val, not of the object it
# left.
set filename-display basename
break main
run
watch ptr->val
continue
continue
continue
continue
delete
watch *ip
continue
continue
continue
delete
watch hold.b[idx]
continue
continue
continue
delete
watch list->next->val
continue
continue
continue
continue
delete
echo === memwatch\n
break main
run
mwatch ptr->val
continue
continue
continue
continue
mwatch-list
info breakpoints
munwatch all
mwatch *ip
continue
continue
continue
munwatch all
mwatch hold.b[idx]
continue
continue
continue
munwatch all
mwatch list->next->val
continue
continue
continue
continue
mwatch-list
munwatch all
continue
echo === memwatch, record-only: the watch moves, the log has the writes of ptr->val\n
break follow.c:57
run
mwatch-stop off
mwatch ptr->val
continue
mwatch-log -w 1
mwatch-log -w 3
mwatch-log -w 4
munwatch all
