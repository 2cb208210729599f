#!/bin/sh
# SPDX-License-Identifier: MIT
# t-neighbours-off.sh - with MEMWATCH_PATCH_NEIGHBOURS=0 sites are patched
# but their accesses beside the watches go through the fault path's code,
# not the stub's own look (lib/watch/finemap.h): t-patch and t-neighbours
# (which asserts the neighbour faults both ways) come out the same.
. "${top_srcdir:-.}/tests/tap.sh"
again MEMWATCH_PATCH_NEIGHBOURS=0 t-patch t-neighbours
exit $failed
