/* SPDX-License-Identifier: MIT */
/*
 * probe.h - touching memory that may not be accessible, from the fault path.
 *
 * A probe that faults does not crash: the SIGSEGV handler sees the fault's
 * instruction inside the probe code (mw_x86_probe_fixup) and resumes at the
 * probe's failure exit.  Like the kernel's exception tables.
 * All: [fault path].
 */
#ifndef MW_X86_PROBE_H
#define MW_X86_PROBE_H

#include <stddef.h>

/* mw_probe_copy is in arch.h: the generic code uses it too. */
/* 0 if the byte at P is writable (tested with an atomic `lock or $0`, which
 * changes nothing even under concurrent writes), else -1. */
int mw_probe_writable(void *p);

/* The code range of the probes, and where a faulting probe resumes. */
extern const char mw_probe_begin[], mw_probe_end[], mw_probe_fail[];

#endif /* MW_X86_PROBE_H */
