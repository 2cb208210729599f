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

#include <signal.h>

/* [fault path] While our handler is installed, the program's sigaction()
 * of SIGSEGV (dispatched, sys/dispatch.h) sets and reads the handler we pass
 * genuine faults to, as if it were the installed one.  Returns 0 if it
 * did, -1 if our handler is not installed (the call goes to the kernel). */
int mw_fault_sigaction(const struct sigaction *act, struct sigaction *old);

/* [thread, once, after mw_arch_init] Patch an instruction's site after
 * AFTER faults performed there (arch.h, "patched access sites"); 0: never.
 * NEIGHBOURS: the stubs run accesses beside the watched bytes themselves
 * (watch/finemap.h), where the system allows. */
void mw_fault_patching(unsigned after, int neighbours);

#endif /* MW_FAULT_H */
