/* SPDX-License-Identifier: MIT */
/*
 * cost.h - what watching costs that no record shows: faults on watched
 * pages that no watch counted (the program touched a neighbour of the
 * watched bytes on their page, or watched bytes with a kind no watch
 * catches), and system calls dispatched (one SIGSYS each while watches
 * exist).
 *
 * Counted on the fault path with relaxed atomics in fixed tables: no
 * allocation, no lock.  Each fault on a neighbour counts once in total,
 * once for every watch with a byte on the faulting page, and once for its
 * instruction (the first MW_COST_PCS instructions seen; later ones count
 * in `pcs_lost`).  Each dispatched call counts by number.
 *
 * What one costs is not measured inside the handler (the kernel's part,
 * delivering the signal and returning from it, is most of it): each thread
 * keeps the time of its last fault (and of its last dispatched call), and
 * the least time seen between two of them, over all threads, is the
 * least cost of one: a full round trip, plus whatever the program ran in
 * between (a loop hitting a neighbour back to back gives the round trip
 * itself).  Each fault on a neighbour then adds the time since its
 * thread's previous fault, at most MW_COST_CAP times that least one: a
 * thread that faults back to back spends all of it in faults (a loaded
 * machine makes each cost twice the least one, or more), a fault after a
 * long while of other work costs no more than a few round trips.  The
 * same for dispatched calls.
 *
 * The area is flat 64-bit words so that a debugger reads it from raw
 * memory (mw_log_descriptor word MW_DESC_COST, core files too) and the
 * memwatch command from its file (MW_SHARE_COST, logshare.h).  Version 1:
 *
 *   word 0        MW_COST_MAGIC
 *   word 1        1 (version)
 *   word 2..4     MW_COST_PCS, MW_COST_WATCHES, MW_COST_SYS
 *   word 5        faults on neighbours
 *   word 6        pcs_lost: of them, by instructions beyond the table
 *   word 7        fault_ns: the least time between two faults of a thread
 *                 (0: not seen yet)
 *   word 8        system calls dispatched
 *   word 9        syscall_ns: the same for two dispatched calls
 *   word 10       watches_lost: neighbour faults of watches beyond the table
 *   word 11       fault_sum: the estimated time of the faults on neighbours
 *   word 12       syscall_sum: the same for the dispatched calls
 *   word 13       stub_runs: accesses beside the watched bytes that
 *                 patched sites' stubs ran on the alias themselves, no
 *                 fault (arch.h mw_arch_patch_fold), added when read
 *                 (mw_cost_fold); each is in its instruction's count too
 *   word 14..15   0
 *   word 16       pc[MW_COST_PCS]: 4 words each: pc, an address it
 *                 touched, faults (and stub runs), the lowest watch id
 *                 on that page
 *   then          watch[MW_COST_WATCHES]: 2 words each: id, faults on
 *                 its pages' neighbours
 *   then          sys[MW_COST_SYS]: calls by number (the last counts every
 *                 number at or above it)
 *
 * Synchronization:
 *   mw_cost_neighbour, mw_cost_syscall   fault path, any thread
 *   readers (the area's words)           any: relaxed loads
 *   mw_cost_use, mw_cost_clear           thread (ring setup, mw_log_clear)
 */
#ifndef MW_COST_H
#define MW_COST_H

#include <stdatomic.h>
#include <stdint.h>

#define MW_COST_MAGIC   0x31545343574d454dull   /* "MEMWCST1" little-endian */
#define MW_COST_PCS     128
#define MW_COST_WATCHES 64
#define MW_COST_SYS     512
#define MW_COST_CAP     4       /* a fault costs at most 4 least ones */

struct mw_cost_pc {
	_Atomic uint64_t pc, addr, faults, watch;
};

struct mw_cost_watch {
	_Atomic uint64_t id, faults;
};

struct mw_cost {
	uint64_t magic, version, npcs, nwatches, nsys;
	_Atomic uint64_t faults, pcs_lost, fault_ns;
	_Atomic uint64_t syscalls, syscall_ns, watches_lost;
	_Atomic uint64_t fault_sum, syscall_sum;
	_Atomic uint64_t stub_runs;
	uint64_t unused[2];
	struct mw_cost_pc pc[MW_COST_PCS];
	struct mw_cost_watch watch[MW_COST_WATCHES];
	_Atomic uint64_t sys[MW_COST_SYS];
};

/* Word offsets of the tables, for readers of raw words. */
#define MW_COST_W_PC    16
#define MW_COST_W_WATCH (MW_COST_W_PC + 4 * MW_COST_PCS)
#define MW_COST_W_SYS   (MW_COST_W_WATCH + 2 * MW_COST_WATCHES)
#define MW_COST_SIZE    (8 * (MW_COST_W_SYS + MW_COST_SYS))

_Static_assert(sizeof(struct mw_cost) == MW_COST_SIZE, "flat words");

/* The area in use: the library's own, or the memwatch command's file. */
extern struct mw_cost *mw_cost_area;

/* [thread] Count in AREA from now on (NULL: the library's own), which is
 * set up (magic, sizes) and zeroed.  Before any watch. */
void mw_cost_use(struct mw_cost *area);

/* [thread] Zero the counters (mw_log_clear). */
void mw_cost_clear(void);

struct mw_snapshot;

/* [fault path] A fault at ADDR by the instruction at PC performed without
 * any watch counting it.  SNAP: the table the fault saw. */
void mw_cost_neighbour(const struct mw_snapshot *snap, uintptr_t pc, uintptr_t addr);

/* [fault path] A performed fault that a watch counted: only its time
 * (between this thread's faults). */
void mw_cost_fault(uint64_t now_ns);

/* [fault path] System call NR dispatched through a SIGSYS (not one from a
 * patched site: that costs about what the call costs). */
void mw_cost_syscall(long nr);

/* [any] The accesses patched sites' stubs ran since the last call, into
 * stub_runs and their instructions' counts: before the counters are read
 * (mw_log_stats, the memwatch command's file at exit). */
void mw_cost_fold(void);

/* [any] Faults on neighbours of watch ID's bytes, on its pages. */
uint64_t mw_cost_watch_faults(int id);

#endif /* MW_COST_H */
