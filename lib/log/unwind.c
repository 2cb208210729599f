/* SPDX-License-Identifier: MIT */
/*
 * unwind.c - backtraces from the SIGSEGV handler with libunwind.
 * Fault path: unw_backtrace, mw_probe_copy, a relaxed atomic hint.
 * [thread] mw_unwind_init: nothing.
 *
 * unw_backtrace() (the fast path with its per-thread cache) costs a few
 * hundred nanoseconds here; the cursor API (unw_init_local + unw_step)
 * about 10 us, since it masks signals around every step.  It starts in the
 * handler: its frames up to the signal trampoline are skipped by finding
 * the interrupted PC, which libunwind reports exactly as the sigcontext has
 * it.  DWARF CFI, not frame pointers: correct at -O2.
 *
 * Caveat: the first unwind through a module looks it up with
 * dl_iterate_phdr, which takes the loader's lock; a fault inside the
 * loader (dlopen) while a watch is hit could deadlock there.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <stdatomic.h>

#include "arch/arch.h"
#include "log/unwind.h"
#include "base/sigsafe.h"

/* libunwind's code, [lo, hi). */
static uintptr_t code_lo, code_hi;

/* Stack words looked at for a return address into libunwind. */
#define STACK_WORDS 16

#define OWN_FRAMES_MAX 40     /* handler, perform, hooks: about 8 */

/* How many of our own frames the last backtrace had: unw_backtrace walks
 * as many frames as it is given room for, and a deep program stack would
 * otherwise cost OWN_FRAMES_MAX frames of unwinding more than needed.
 * relaxed: a hint; any value works, a wrong one costs a retry. */
static _Atomic int own_hint = 8;

/* Set while this thread is in unw_backtrace (initial-exec: no allocation
 * on first use in a handler). */
static __thread int unwinding __attribute__((tls_model("initial-exec")));

bool mw_unwind_busy(void)
{
	return unwinding != 0;
}

const void *mw_unwind_code(void)
{
	return (const void *)(uintptr_t)unw_backtrace;
}

void mw_unwind_init(uintptr_t lo, uintptr_t hi)
{
	code_lo = lo;
	code_hi = hi;
}

bool mw_unwind_interrupted(uintptr_t pc, uintptr_t sp)
{
	uint64_t w[STACK_WORDS];

	if (pc >= code_lo && pc < code_hi)
		return true;
	if (!code_hi || mw_probe_copy(w, (const void *)sp, sizeof(w)) < 0)
		return false;
	for (int i = 0; i < STACK_WORDS; i++)
		if (w[i] >= code_lo && w[i] < code_hi)
			return true;
	return false;
}

int mw_unwind(uintptr_t pc, uint64_t *frames, int depth)
{
	void *ips[OWN_FRAMES_MAX + 32];
	int n, i, k, want, own = atomic_load_explicit(&own_hint, memory_order_relaxed);

	if (depth <= 0)
		return 0;
	if (depth > 32)
		depth = 32;
	for (int tries = 0;; tries++) {
		if (own > OWN_FRAMES_MAX)
			own = OWN_FRAMES_MAX;
		want = own + depth;
		if (want > OWN_FRAMES_MAX + depth)
			want = OWN_FRAMES_MAX + depth;
		unwinding++;
		n = unw_backtrace(ips, want);
		unwinding--;
		for (i = 0; i < n && (uintptr_t)ips[i] != pc; i++)
			;
		/* More of our frames than the hint, and the room ran out
		 * before the interrupted PC or before DEPTH frames after it:
		 * once more with room for them. */
		if (n == want && tries < 2 && want < OWN_FRAMES_MAX + depth &&
		    (i == n || n - i < depth)) {
			own = i == n ? OWN_FRAMES_MAX : i;
			continue;
		}
		break;
	}
	if (i == n) {           /* could not unwind to the signal frame */
		frames[0] = pc;
		return 1;
	}
	if (i != own)
		atomic_store_explicit(&own_hint, i, memory_order_relaxed);
	for (k = 0; k < depth && i + k < n; k++)
		frames[k] = (uint64_t)(uintptr_t)ips[i + k];
	return k;
}
