#!/bin/sh
# SPDX-License-Identifier: MIT
# t-maps-text.sh - the library reads the process's mappings with the
# PROCMAP_QUERY ioctl where the kernel has it (Linux 6.11), else as the
# text of /proc/self/maps.  The rest of the suite takes the first way on a
# new kernel; these tests run again the second way (MEMWATCH_MAPS_TEXT=1).
. "${top_srcdir:-.}/tests/tap.sh"
tests="t-api t-memory t-unwatch t-shared t-stack t-addrspace t-replaced"
again MEMWATCH_MAPS_TEXT=1 $tests
exit $failed
