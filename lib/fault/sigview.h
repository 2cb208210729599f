/* SPDX-License-Identifier: MIT */
/*
 * sigview.h - the program's view of a signal whose handler is the
 * library's (SIGSEGV, SIGSYS): sigaction(2) on it reads and sets the
 * handler the library passes the program's own signals to.  [fault path]
 */
#ifndef MW_SIGVIEW_H
#define MW_SIGVIEW_H

#include <signal.h>
#include <string.h>

/* OLD (if not NULL) gets the program's handler, *PREVIOUS if *HAVE, else
 * the default; ACT (if not NULL) becomes it. */
static inline void mw_sigview_swap(struct sigaction *previous, volatile sig_atomic_t *have,
				   const struct sigaction *act, struct sigaction *old)
{
	if (old) {
		if (*have) {
			*old = *previous;
		} else {
			memset(old, 0, sizeof(*old));
			old->sa_handler = SIG_DFL;
		}
	}
	if (act) {
		*previous = *act;
		*have = 1;
	}
}

#endif /* MW_SIGVIEW_H */
