# SPDX-License-Identifier: MIT
# A SIZE that is not a number of bytes is refused before anything is
# watched: a negative one (it was taken as 18446744073709551615 bytes), a
# string (it was its address), 0; a float is its whole part.
set filename-display basename
break basic.c:52
run
thread apply 1 -c mwatch &counter -1
thread apply 1 -c mwatch &counter "abc"
thread apply 1 -c mwatch &counter 0
thread apply 1 -c mwatch &counter &counter
mwatch &counter 4.5
mwatch-list
continue
