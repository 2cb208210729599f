/* SPDX-License-Identifier: MIT */
/*
 * relay.h - the program's signal handlers while watches exist.
 *
 * A signal that arrives while the thread's stack pointer is on a watched
 * page (a local watched) would kill the process: the kernel cannot write
 * the handler's frame there.  So while watches exist each handler of the
 * program's is installed with SA_ONSTACK behind a relay of the library's:
 * the kernel builds the frame on the thread's alternate stack (the
 * library's, perthread.h, or the program's own), and the relay moves it to
 * where the kernel would have built it without the library - below the
 * interrupted stack pointer - and enters the program's handler there, as
 * the kernel does: a handler that looks at its own stack (a collector
 * scanning it from the handler up, a check of which stack it runs on)
 * finds it where it would.  The handler returns through the moved frame's
 * restorer.  Where that place has a watched page, cannot be written, or
 * the signal interrupted the library on its alternate stack, the handler
 * runs on the alternate stack, as the kernel left it.  One that
 * interrupts the library inside the table's grace period (a handler that
 * siglongjmps out would leave it held for good) comes later: sent again,
 * blocked until the library's handler returns or its patched call ends.  The program sees
 * neither the flag it did not set nor the relay (mw_sys_sigaction_onstack).
 *
 *   mw_sys_onstack_begin, mw_sys_onstack_end   thread, library lock held
 *   mw_relay_*                                 fault path
 */
#ifndef MW_SYSRELAY_H
#define MW_SYSRELAY_H

#include <signal.h>
#include <stdint.h>

/* Watches begin: each installed handler of the program's goes behind the
 * relay with SA_ONSTACK, and the signals of UNMASK are taken out of the
 * masks they run with.  The signals that have a handler (the library's
 * among them). */
uint64_t mw_sys_onstack_begin(uint64_t unmask);
/* No watch left: the program's handlers back, SA_ONSTACK gone where the
 * program did not set it (only the handlers dispatch saw installed are
 * looked at). */
void mw_sys_onstack_end(void);

/* A patched site's call (dispatch.c's patched) is performed between
 * mw_relay_patched(1) and (0): a signal the relay deferred meanwhile
 * (it interrupted the table's grace period) is let through at the 0 -
 * in a SIGSYS handler the handler's rt_sigreturn does it. */
void mw_relay_patched(int on);

/* What the program's action for SIG is now (for its rt_sigaction's old
 * action): *THEIRS whether it set SA_ONSTACK itself. */
struct mw_relay_was {
	void *handler;
	unsigned long flags;
	int theirs;
};
void mw_relay_was(int sig, struct mw_relay_was *was);
/* The program installs ACT for SIG: ACT becomes what the kernel gets (a
 * handler goes behind the relay, with SA_ONSTACK and SA_SIGINFO). */
void mw_relay_install(int sig, struct sigaction *act);
/* The kernel's action OLD for SIG, as the program set it (WAS: from
 * mw_relay_was before the call). */
void mw_relay_shown(struct sigaction *old, const struct mw_relay_was *was);

#endif /* MW_SYSRELAY_H */
