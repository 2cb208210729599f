# SPDX-License-Identifier: MIT
# A watch on a bitfield stops only when its own bits change, not at the
# writes of its neighbours in the same bytes: the same stops as GDB's own
# `watch fl.mid` and `watch pfl->wide` (first run), with the field's
# values.  Nor are its neighbours' writes (set_low) in the log or its hits:
# only the writes that change its bits (2 for mid, 4 byte stores for
# wide).
set filename-display basename
break main
run
watch fl.mid
watch pfl->wide
continue
continue
continue
continue
continue
continue
delete
echo === memwatch\n
break main
run
mwatch -l fl.mid
mwatch -l pfl->wide
continue
continue
continue
continue
continue
continue
mwatch-list
mwatch-log
continue
