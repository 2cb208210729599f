# SPDX-License-Identifier: MIT
# Read watches: `continue` stops after each watched read with its value;
# writes to the same bytes do not stop.  An access watch stops for both.
set filename-display basename
break basic.c:52
run
mwatch &counter 4 read
mwatch &table[15] 4 access
continue
bt
continue
bt
continue
continue
mwatch-list
continue
