/* SPDX-License-Identifier: MIT */
/*
 * arch.h - what the generic fault path asks of an architecture folder
 * (lib/arch/x86_64/ today).  A port adds a folder implementing these.
 */
#ifndef MW_ARCH_H
#define MW_ARCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "memwatch.h"
#include "watch/table.h"

#define MW_FAULT_MAX_ACCESS 2
/* Bytes of each access read before it is performed, for old values. */
#define MW_PRE_MAX 256

/* One fault, as the handler hands it to the architecture. */
struct mw_fault {
	/* in */
	const struct mw_snapshot *snap;
	uintptr_t addr;                 /* si_addr */
	void *uc;                       /* ucontext_t * of the interrupted code */
	/* out */
	struct mw_access acc[MW_FAULT_MAX_ACCESS];
	int nacc;
	const char *why;                /* for MW_DECLINED */
	uintptr_t pc;                   /* the instruction */
	uint8_t insn[16];
	uint8_t insn_len;
	uint8_t kernel;                 /* a system call's access, at pc */
	/* MW_GENUINE: where the access really fails, when not at addr (a
	 * straddle into an unmapped page), else 0. */
	uintptr_t genuine_addr;
	uint8_t under_break;            /* a debugger's breakpoint is at pc */
	/* For atomic read-modify-writes, set by the arch after performing:
	 * the operand's value before, from the instruction's own result. */
	uint8_t atomic_old[16];
	uint8_t atomic_len;
	/* Called by the arch before it changes anything, with acc[] set to
	 * the accesses it is about to make; NULL: nothing to do.  The fault
	 * path sets it to the log's mw_record_before (log/record.h), which
	 * fills the fields below. */
	void (*before)(struct mw_fault *f);
	int recording;
	/* The log holds the program's asynchronous signals while it records
	 * (log/record.h): whether it does, and the mask to put back. */
	uint8_t held;
	uint64_t held_mask;
	int nframes;
	uint64_t frames[MW_FRAMES_MAX];
	uint16_t pre_len[MW_FAULT_MAX_ACCESS];
	uint8_t pre[MW_FAULT_MAX_ACCESS][MW_PRE_MAX];
	/* The arch's analysis of the instruction: set by mw_arch_perform, or
	 * before it by a patched site (then its bytes are not read). */
	const void *arch_insn;
	uint8_t soft;           /* from a patched site: no signal holds anything */
	uint8_t quiet;          /* a patched site's own stack access: not the
				   program's, neither counted nor logged */
};

enum mw_perform {
	MW_PERFORMED,   /* done; the context resumes after the instruction */
	MW_RETRY,       /* memory in transition: resume at the same instruction */
	MW_GENUINE,     /* the program would fault without watches too */
	MW_DECLINED,    /* an instruction we cannot perform: f->why */
};

/* [thread] Once, before the first watch.  0 or -errno. */
int mw_arch_init(void);

/* [a forked child, first thing; also again, harmless] The child's own
 * copy of what the architecture shares with the parent (the instruction
 * stubs), so that neither process's new entries overwrite the other's. */
void mw_arch_forked(void);

/* [thread, library lock] SEAL nonzero: no watch exists and no handler
 * runs (after mw_epoch_synchronize) - the writable view of the
 * instruction stubs becomes read-only; 0: before the first watch, writable
 * again.  Sealed at init. */
void mw_arch_code_seal(int seal);

/* [any] A function of the instruction decoder's library: the fault path
 * reads that library's data, so its pages cannot be watched. */
const void *mw_arch_decoder_code(void);

/* [fault path] Perform the access that faulted at f->addr, which lies in a
 * watched span of f->snap.  Before changing anything, with f->acc set to
 * the accesses it is about to make (string instructions: the most they may
 * make), it calls f->before(f); on return f->acc holds the accesses made. */
enum mw_perform mw_arch_perform(struct mw_fault *f);

/* [fault path] First thing in the handler: the state the library's own code
 * needs that the kernel leaves as the program had it (x86-64: RFLAGS.AC). */
void mw_arch_handler_entry(void);

/* [fault path] The program counter of a signal context. */
uintptr_t mw_arch_pc(void *uc);

/* [fault path] Make the signal context resume at PC. */
void mw_arch_set_pc(void *uc, uintptr_t pc);

/* [any] Writes into CODE (ROOM bytes, filled) an instruction that jumps to
 * the address stored at the thread pointer plus TP_OFFSET (a static TLS
 * variable's offset), touching no register; its length, or 0 if it cannot
 * (ROOM too small, TP_OFFSET out of reach).  The debugger's stops
 * (fault/debugger.c). */
size_t mw_arch_tls_jump(uint8_t *code, size_t room, long tp_offset);

/* [fault path] The stack pointer of a signal context. */
uintptr_t mw_arch_sp(void *uc);

/* [fault path] The calling thread's dynamic thread vector (glibc's DTV):
 * the dynamic loader reads it in __tls_get_addr and dl_iterate_phdr. */
uintptr_t mw_arch_thread_dtv(void);

/* [fault path] If the fault is one of the library's own probes of memory
 * that may be inaccessible, redirect it to the probe's failure exit and
 * return 1. */
int mw_arch_probe_fixup(void *uc);

/* [fault path] Copies N bytes of memory that may be inaccessible; 0, or -1
 * if a byte could not be read or written (the fault is caught). */
int mw_probe_copy(void *dst, const void *src, size_t n);

/* [fault path] Where the kernel would have built the signal frame it
 * built at UC and SI (on an alternate stack) for a thread whose stack
 * pointer is SP: *LO, its lowest byte (the frame is [*LO, SP)).  -1 if the
 * frame is not one the kernel built. */
int mw_arch_sigframe_place(const void *uc, const void *si, uintptr_t sp, uintptr_t *lo);
/* [fault path] Moves that frame there and enters HANDLER for SIG on it as
 * the kernel would have; its return goes to the frame's restorer, whose
 * rt_sigreturn restores the moved frame.  Returns (-1) only if it cannot:
 * the frame is not the kernel's, or the memory there cannot be written. */
int mw_arch_sigframe_move(void *uc, const void *si, uintptr_t sp, void *handler, int sig);

/* [thread] FN(ARG) on the stack that ends at TOP; returns its result. */
long mw_arch_on_stack(void *top, long (*fn)(void *), void *arg);

/* --- system calls (sys/dispatch.c) ------------------------------------- */

/* [thread] The code range system calls may come from while the program's
 * own raise SIGSYS (the gate), and the calling thread's switch-on.  0 or
 * -errno (no syscall user dispatch in this kernel). */
void mw_arch_gate_region(uintptr_t *start, uintptr_t *len);
/* The switch that mw_arch_gate_enable gives every thread: 0 lets system
 * calls through, 1 raises SIGSYS.  Set by the dispatch (sys/dispatch.c). */
extern volatile char mw_arch_gate_selector;
int mw_arch_gate_enable(void);
/* [any] Dispatch off for the calling thread. */
int mw_arch_gate_disable(void);
/* [any] The same, with the calling thread's own switch at SELECTOR. */
int mw_arch_gate_enable_at(volatile char *selector);
/* [any] One system call from inside the gate. */
long mw_arch_gate_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
/* [any] Installs a SA_SIGINFO handler for SIG whose return goes through
 * the gate, with FLAGS added and the signals of MASK (1 << (sig - 1))
 * blocked while it runs (FN NULL: the default action).  0 or -errno.
 * The kernel is given mw_arch_gate_handler(FN): where debuggers step past
 * the handler instead of into it. */
int mw_arch_gate_sigaction(int sig, void (*fn)(int, siginfo_t *, void *), unsigned long flags,
			   uint64_t mask);
void *mw_arch_gate_handler(void (*fn)(int, siginfo_t *, void *));

/* A program's handler while the library relays it (sys/relay.h). */
struct mw_arch_handler {
	void *handler;
	unsigned long flags;    /* the program's SA_* flags */
};
/* [thread] For the signals in LOOK (1 << (sig - 1)) that have a handler
 * installed: ON adds SA_ONSTACK to each but those in KEEP, takes the
 * signals of UNMASK out of the mask it runs with (it would block them),
 * and returns the signals whose handlers had SA_ONSTACK already; with
 * RELAY, each handler but KEEP's goes into PROG[sig - 1] and RELAY takes
 * its place (with SA_SIGINFO).  0 takes SA_ONSTACK away from each but
 * those in KEEP or THEIRS (the program set it), and puts PROG's handler
 * back where RELAY is.  One read
 * per signal of LOOK, a write only where something changes.  HANDLED (if
 * not NULL): the signals of LOOK that have a handler, KEEP's too. */
uint64_t mw_arch_gate_onstack_handlers(int on, uint64_t look, uint64_t keep, uint64_t unmask,
				       uint64_t theirs, void *relay, struct mw_arch_handler *prog,
				       uint64_t *handled);

/* [fault path] The kernel's struct sigaction (rt_sigaction's argument, at
 * most MW_KSA_MAX bytes) to and from the C library's. */
#define MW_KSA_MAX 64
size_t mw_arch_ksa_size(void);
size_t mw_arch_ksa_mask_offset(void);     /* of its sigset */
void mw_arch_ksa_to_sa(const void *k, struct sigaction *sa);
void mw_arch_sa_to_ksa(const struct sigaction *sa, void *k);

/* [fault path] The system call a SIGSYS of syscall user dispatch stopped:
 * its number and six arguments. */
long mw_arch_sys_args(void *uc, long a[6]);
/* [fault path] Its result, as the program will see it. */
void mw_arch_sys_return(void *uc, long ret);
/* [fault path] The address of the system call instruction. */
uintptr_t mw_arch_sys_site(void *uc);
/* [fault path] If the context UC is right after the system call instruction
 * ending at PC, which made call NR with arguments A and was ended by EINTR:
 * set it up to make that call again, return 1; else 0, UC unchanged. */
int mw_arch_sys_redo(void *uc, long nr, const long a[6], uintptr_t pc);
/* [fault path] Set the calling thread's alternate signal stack to SS now,
 * from a handler that may run on the current one (the kernel would not
 * take the change from the frame of such a handler at rt_sigreturn): made
 * with the stack pointer of the interrupted context UC, signals held. */
void mw_arch_sys_altstack(void *uc, const stack_t *ss);
/* [thread] The number of the system call made by the instruction ending at
 * PC, read off the code before it when it loads a constant (a C library's
 * wrapper), else -1: for a call the kernel restarts as restart_syscall. */
long mw_arch_sys_number_at(uintptr_t pc);
/* [fault path] Perform a clone-like call (clone, clone3, fork, vfork) whose
 * child resumes the program, on stack SP, after calling EARLY if not NULL:
 * returns the parent's result. */
long mw_arch_sys_clone(void *uc, long nr, const long a[6], uintptr_t sp, void (*early)(void));
/* [fault path] The child's stack of clone NR with arguments A (0: it runs
 * on the caller's); the program's stack pointer for the others. */
uintptr_t mw_arch_sys_child_sp(void *uc, long nr, const long a[6]);
/* [fault path] Make the context resume by performing rt_sigreturn itself
 * (from the gate), returning the signal mask it will restore. */
sigset_t *mw_arch_sys_sigreturn(void *uc);

/* --- patched access sites (x86_64/patch.c) ------------------------------ */

/* What became of a site offered for patching (counted per reason). */
enum mw_patch_why {
	MW_PATCH_DONE, MW_PATCH_UNDONE, MW_PATCH_CLASS, MW_PATCH_SHORT, MW_PATCH_BLOCK,
	MW_PATCH_FILE, MW_PATCH_ROOM, MW_PATCH_WRITE, MW_PATCH_FULL, MW_PATCH_STACK,
	MW_PATCH_VECTOR, MW_PATCH_OVERLAP, MW_PATCH_DEBUGGER, MW_PATCH_SYS_DONE,
	MW_PATCH_SYS_PRED, MW_PATCH_SYS_FILE, MW_PATCH_NREASONS
};
/* The first of the reasons that are about system-call sites. */
#define MW_PATCH_SYS_FIRST MW_PATCH_SYS_DONE

/* [thread] Once, after mw_arch_init: MAP is the page map (watch/pagemap.h);
 * FN is called by a patched site whose access is on a page the map marks,
 * with the instruction's context (as a signal frame's, at the site), its
 * operand's address and size and the analysis (struct mw_fault.arch_insn):
 * it returns 1 if it performed the access, the context then after it, or 0
 * to have the instruction run natively. */
void mw_arch_patch_init(const uint8_t *map,
			int (*fn)(void *uc, uintptr_t addr, size_t size, const void *insn));
/* [thread] Once, after mw_arch_patch_init, before a site is patched: ROOT
 * is the fine map (watch/finemap.h), or NULL.  With it, a site's access on
 * a page the page map marks that touches no byte the map marks for its
 * kind runs on the page's alias in the stub itself, without FN. */
void mw_arch_patch_fine(void *const *root);
/* [any] FN(PC, N, ARG) for each access site whose stub ran N accesses
 * beside the watched bytes itself since the last call (none is a fault:
 * the log's counters of faults on neighbours never saw them).  Counts are
 * approximate when threads run one site at once (the stub's count is not
 * atomic: a few may be lost, never added). */
void mw_arch_patch_fold(void (*fn)(uintptr_t pc, uint64_t n, void *arg), void *arg);
/* [any] Patching on or off (off: no more sites; those patched stay). */
void mw_arch_patch_enable(int on);
/* [fault path] After F was performed: counts the fault at its instruction,
 * and at the AFTER-th patches the site.  DEBUGGER: one is attached (its
 * stub is told to it first, and no jump is punned over a next instruction,
 * where its breakpoints would land in the jump).  An enum mw_patch_why
 * when it tried, else -1. */
int mw_arch_patch_consider(struct mw_fault *f, unsigned after, int debugger);
/* Where a faulting context is, for the fault path. */
enum { MW_PATCH_IN_NONE, MW_PATCH_IN_COPY, MW_PATCH_IN_OWN };
/* [fault path] MW_PATCH_IN_COPY: the context UC is at a stub's copy of the
 * instruction of SITE, with the program's registers: moved to the site
 * (RIP), *INSN its analysis.  MW_PATCH_IN_OWN: in a stub's or hot.S's own
 * stack accesses (*SITE set if known, else 0). */
int mw_arch_patch_where(void *uc, uintptr_t *site, const void **insn);
/* [fault path] The site gets its original bytes back (its stub faulted in
 * a way only the original instruction should). */
void mw_arch_patch_undo(uintptr_t site);
/* [thread] Every patched site gets its original bytes back; OFF: and no
 * more are patched until mw_arch_patch_enable. */
void mw_arch_patch_restore_all(int off);
/* [fault path] Whether the calling thread is patching a site now: its
 * accesses to watched memory meanwhile (the C library's, reading the code's
 * file) are the library's own, performed quietly. */
int mw_arch_patching_now(void);
/* [any] How many sites ended as WHY, and its words. */
unsigned mw_arch_patch_count(int why);
const char *mw_arch_patch_reason(int why);
/* --- patched system-call sites (x86_64/syspatch.c) ------------------------ */

/* [thread] Once: FN performs a system call from a patched site, with the
 * context UC as a SIGSYS of syscall user dispatch would give it (RIP after
 * the syscall instruction, the number and arguments in their registers):
 * 1 if it did (the result set with mw_arch_sys_return), 0 to have the
 * call dispatched through a SIGSYS as before.  QUICK, if not NULL, is asked
 * first, with the number and arguments alone: 1 if the call can be made as
 * it is; it runs with the program's vector registers live, so it and all
 * it calls use general registers only. */
void mw_arch_sys_patch_init(int (*fn)(void *uc), int (*quick)(long nr, const long a[6]));
/* [fault path] In the SIGSYS handler, after a dispatched call whose context
 * is UC: counts the call at its site, and at the AFTER-th patches it (while
 * mw_arch_patch_enable says so).  DEBUGGER: one is attached (a stub it
 * could not be told about is not made).  An enum mw_patch_why when it
 * tried, else -1. */
int mw_arch_sys_patch_consider(void *uc, unsigned after, int debugger);
/* [fault path] First thing in the SIGSYS handler: if the call comes from a
 * patched site's stub (it declined), UC is moved to the site (RIP after its
 * syscall instruction); 1 then, else 0. */
int mw_arch_sys_patch_where(void *uc);

/* [thread, fault path] The calling thread's alternate stack of the
 * library's, [lo, hi), that patched sites may run on; 0, 0: none. */
void mw_arch_hot_stack(uintptr_t lo, uintptr_t hi);
/* [fault path] The calling thread's such stack and *LO, *HI swap places. */
void mw_arch_hot_stack_swap(uintptr_t *lo, uintptr_t *hi);

#endif /* MW_ARCH_H */
