#!/bin/sh
# SPDX-License-Identifier: MIT
# t-patch-off.sh - with MEMWATCH_PATCH=0 no instruction is patched, and
# t-patch's counts, values and faults come out the same by signals alone
# (t-patch asserts both ways).  CI runs the whole suite that way too.
. "${top_srcdir:-.}/tests/tap.sh"
tests="t-patch t-syspatch t-stack t-threads t-neighbours"
again MEMWATCH_PATCH=0 $tests
exit $failed
