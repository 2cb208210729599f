/* SPDX-License-Identifier: MIT */
/*
 * fault.h - the SIGSEGV handler.
 */
#ifndef MW_FAULT_H
#define MW_FAULT_H

/* [thread, library lock held] Make sure our handler is the one installed
 * for SIGSEGV; a handler found in its place becomes the one we pass genuine
 * faults to.  0 or -errno. */
int mw_fault_install(void);

#endif /* MW_FAULT_H */
