# SPDX-License-Identifier: MIT
# An instruction shorter than a jump is not patched under GDB: poke()'s
# two-byte store, run ten times on the watched variable, keeps its bytes
# (a jump punned over the next instruction would have GDB's breakpoints
# there land inside it; mw_patch_info counts it, "under a debugger"),
# while store()'s site is patched; both kinds of access are recorded,
# exactly (target: patch.c short).
set filename-display basename
set environment MEMWATCH_PATCH 1
set environment MEMWATCH_PATCH_AFTER 4
break main
run short
mwatch -l watched
mwatch-stop off
break patch.c:57
continue
x/i store
x/2i poke
mwatch-list
mwatch-log 1
# Outcome 12 (arch.h MW_PATCH_DEBUGGER), its words into the start of the
# library's stack for GDB's calls (its calls use the other end).
print ((long (*)(int, const char **)) mw_patch_info)(12, (const char **) &mw_gdb_call_stack)
print *(const char **) &mw_gdb_call_stack
continue
continue
