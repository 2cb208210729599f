# SPDX-License-Identifier: MIT
# A watch of an expression that follows a local (cur->val, cur a local of
# walk): it moves with cur, and ends when walk returns, with GDB's words:
# the same stops as GDB's own `watch cur->val` (first run), then mwatch's.
set filename-display basename
break follow.c:42
run
watch cur->val
continue
continue
continue
continue
delete
echo === memwatch\n
break follow.c:42
run
mwatch cur->val
continue
continue
continue
continue
mwatch-list
continue
