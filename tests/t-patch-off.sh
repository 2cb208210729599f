#!/bin/sh
# SPDX-License-Identifier: MIT
# t-patch-off.sh - with MEMWATCH_PATCH=0 no instruction is patched, and
# t-patch's counts, values and faults come out the same by signals alone
# (t-patch asserts both ways); with MEMWATCH_PATCH_NEIGHBOURS=0, sites are
# patched but accesses beside the watches take the fault path.  CI runs the whole suite that way too.
. "${top_srcdir:-.}/tests/tap.sh"
tests="t-patch t-syspatch t-stack t-threads t-neighbours"
again MEMWATCH_PATCH=0 $tests
# Sites patched, their neighbours by the fault path (finemap.h).
again MEMWATCH_PATCH_NEIGHBOURS=0 t-patch t-neighbours
exit $failed
