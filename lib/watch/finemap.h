/* SPDX-License-Identifier: MIT */
/*
 * finemap.h - the watched pages as a patched site's stub reads them: for
 * each page of an active span, its alias and which of its 8-byte granules
 * an access of each kind must not touch natively (a watch of that kind has
 * a byte there, or the page's own protection forbids the kind).
 *
 * A stub (lib/arch/x86_64/patch.c) whose access lies on a faulting page
 * (pagemap.h) looks the page up here: with a record, and none of the
 * access's granules marked for its kind, it runs the instruction on the
 * alias itself - a hot neighbour of a watch costs tens of nanoseconds, no
 * signal, no C.  Anything else (no record, a marked granule, a page
 * crossed) takes the fault path as before, which is exact; so the map may
 * be coarser than the watches (granules), never finer.
 *
 * The stub reads the map inside a restartable sequence (rseq(2)): the
 * kernel moves it back to its start if the thread is preempted or takes a
 * signal inside, so a stub never holds anything a program's signal handler
 * (which may longjmp away) could leave held.  A writer that takes a
 * record's alias away (the span drains, freezes, goes) then forces every
 * running sequence of the process to restart (membarrier(2)'s RSEQ
 * command) before the caller touches the pages: no stub can still be on
 * its way to the old alias.  Records replaced otherwise (a watch added or
 * removed) are freed after such a barrier too.
 *
 * Layout, for the stubs: top[page >> 18] is a leaf (or NULL), leaf[page &
 * 0x3ffff] a struct mw_fine_page * (or NULL), page = address >> 12.
 *
 * Synchronization:
 *   mw_finemap_init, _update, _settle, _rebuild   thread, library lock held
 *   the map's contents                            read by stubs, any thread
 */
#ifndef MW_FINEMAP_H
#define MW_FINEMAP_H

#include <stdint.h>

struct mw_snapshot;

struct mw_fine_page {
	uintptr_t alias;        /* the page's alias (a writable view) */
	struct mw_fine_page *next;      /* the writer's lists */
	uint64_t w[8];          /* 512 granules of 8 bytes: a write there */
	uint64_t r[8];          /* and a read there: the fault path's */
};
#define MW_FINE_ALIAS   0       /* offsets, for the stubs */
#define MW_FINE_W       16
#define MW_FINE_R       80
#define MW_FINE_LEAF_SHIFT 18   /* pages per leaf: 1 << 18 (1 GiB) */

/* [thread] 0, or -errno: no map (no restartable sequences in this
 * process, or membarrier(2) cannot restart them); stubs then take the
 * fault path for every access on a faulting page. */
int mw_finemap_init(void);

/* The top of the map, or NULL without one. */
void *const *mw_finemap_root(void);

/* The pages of [lo, hi) as snapshot NOW has them (PREV: the snapshot it
 * replaces, whose spans may have left). */
void mw_finemap_update(const struct mw_snapshot *now, const struct mw_snapshot *prev,
		       uintptr_t lo, uintptr_t hi);

/* Every span of NOW (a forked child's spans, moved in place). */
void mw_finemap_rebuild(const struct mw_snapshot *now);

/* After the updates of one publication: if an alias was taken away, no
 * stub uses it when this returns; records replaced are freed in time. */
void mw_finemap_settle(void);

#endif /* MW_FINEMAP_H */
