/* SPDX-License-Identifier: MIT */
/*
 * table.h - the watched regions and the pages that hold them.
 *
 * The table is an immutable snapshot: sorted spans (runs of pages moved into
 * a memfd, each with its read-write alias view) and sorted watches.  Writers
 * (mw_watch/mw_unwatch, serialized by the caller's lock) build a new snapshot
 * and publish it; the fault path reads the current one without locks inside
 * an epoch (epoch.h).  Old snapshots are freed after a grace period.
 *
 * Synchronization:
 *   call                        context          concurrent with
 *   mw_table_enter/exit         fault path, any  everything
 *   mw_table_span/xlate/...     fault path, any  everything (inside enter/exit)
 *   mw_snap_* and mw_watch_obj_* thread, writer   the fault path; not each other
 *
 * All memory here comes from mmap, never malloc, so the library's own data
 * never shares a page with the program's watched heap.
 */
#ifndef MW_TABLE_H
#define MW_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

enum mw_span_state {
	MW_SPAN_ACTIVE,     /* watched; alias valid */
	MW_SPAN_PENDING,    /* being moved into the memfd: every fault retries */
	MW_SPAN_DRAINING,   /* being restored: every fault retries */
	MW_SPAN_FROZEN,     /* a fork's child copies it: writes retry, reads
			     * use the alias (it changes only by writes) */
};

/* What a page with protection PROT lets the program do: on x86-64 a
 * writable page is readable too (mmap or mprotect with PROT_WRITE alone
 * gives a page that reads work on).  The library copies, aliases and
 * performs reads of such pages by this; the span's orig_prot keeps what
 * the program asked for, which it gets back when the watches end. */
static inline int mw_prot_allowed(int prot)
{
	return prot & PROT_WRITE ? prot | PROT_READ : prot;
}

struct mw_span {
	uintptr_t start, end;   /* page aligned */
	uintptr_t alias;        /* read-write view of start (0 while pending) */
	int orig_prot;          /* protection before the first watch, as
				 * the program set it (mw_prot_allowed) */
	int state;              /* enum mw_span_state */
	bool shared;            /* a MAP_SHARED mapping: the alias is a second
				 * view of its own pages, not a memfd */
	bool wipe;              /* MADV_WIPEONFORK by the program: a forked
				 * child gets zeros; the advice comes back
				 * when the watches end (protect.h) */
	bool anon;              /* anonymous memory: the stash reads as zeros */
	uintptr_t stash;        /* the program's own mapping of start, moved
				 * away empty (alias.h), or 0 */
};

struct mw_watch_obj {
	int id;
	unsigned flags;         /* MW_READ | MW_WRITE */
	uintptr_t start, end;   /* the watched bytes */
	_Atomic uint64_t count; /* accesses caught; relaxed increments */
};

/*
 * The spans and the watches are each a sorted sequence kept in chunks of a
 * page (struct mw_chunk), listed by pages of directory entries (struct
 * mw_dirent, 101 a page), which a short top directory lists in turn.  A
 * new snapshot copies only the top directory (one entry per 101 chunks)
 * and the pages and chunks it changes; the others are shared with the
 * snapshot before it.  So a watch or an unwatch costs the same with
 * 100 000 watches as with one (doc/HACKING.md, "The watch table").
 */
struct mw_chunk {
	unsigned n;                     /* entries */
	unsigned long ver;              /* the build that may change it */
	struct mw_chunk *retired;       /* the writer's list of chunks to free */
};

/* Of a chunk, in a page of them; or of such a page, in the top. */
struct mw_dirent {
	struct mw_chunk *c;     /* the chunk, or the page */
	uintptr_t first;        /* start of its first entry */
	int first_id;           /* watches: the first entry's id */
	uintptr_t last_end;     /* spans: end of the last; watches: largest end */
	uintptr_t maxend;       /* watches: largest end of the entries before
				 * it in its page (the top) and its own */
};

struct mw_seq {
	size_t nc, cap;         /* pages, room in dir */
	struct mw_dirent *dir;  /* the top */
};

struct mw_snapshot {
	size_t nspans, nwatches;
	struct mw_seq spans;               /* struct mw_span, by start, disjoint */
	struct mw_seq watches;             /* struct mw_watch_obj *, by start, id */
	unsigned long ver;
	const struct mw_snapshot *base;    /* the snapshot it was begun from */
	struct mw_chunk *retired;          /* chunks of base it replaced */
	size_t mapsize;
	/* A read-watched page holds the dynamic loader's module list: the
	 * unwinder must not run (it reads the list with signals blocked). */
	bool unwind_unsafe;
};

/* One memory access performed on behalf of the program. */
struct mw_access {
	uintptr_t addr;
	size_t len;
	unsigned kind;          /* MW_READ | MW_WRITE */
};

/* --- fault path ------------------------------------------------------- */

/* Enter/leave a read-side section; the snapshot stays valid in between. */
const struct mw_snapshot *mw_table_enter(unsigned *slot);
void mw_table_exit(unsigned slot);
/* [fault path] Whether the calling thread is between an enter and its
 * exit: a handler of the program's that interrupts it must not run before
 * the exit (a siglongjmp out of it would leave the grace period waiting for
 * ever: sys/relay.h). */
bool mw_table_inside(void);

/* The span holding ADDR, or NULL. */
const struct mw_span *mw_table_span(const struct mw_snapshot *s, uintptr_t addr);
/* The first span that ends after ADDR, or NULL: with
 * mw_table_span_after(s, sp->end) the way to go through the spans. */
const struct mw_span *mw_table_span_after(const struct mw_snapshot *s, uintptr_t addr);

/* The watch with id ID, or NULL (inside enter/exit, or the writer). */
struct mw_watch_obj *mw_table_by_id(int id);
/* The smallest id of a watch above AFTER, or 0. */
int mw_table_next_id(int after);

enum mw_xlate {
	MW_XL_ALIAS,   /* the whole range is in one active span: *out is its alias */
	MW_XL_NATIVE,  /* no byte of the range is on a watched page: *out = addr */
	MW_XL_SPLIT,   /* the range crosses a span boundary: go page by page */
	MW_XL_BUSY,    /* a page is in transition: leave the handler and retry */
	MW_XL_DENIED,  /* the page's own protection forbids this kind: genuine */
};
/* How the fault path may perform an access of KIND to [addr, addr+len). */
enum mw_xlate mw_table_xlate(const struct mw_snapshot *s, uintptr_t addr,
			     size_t len, unsigned kind, uintptr_t *out);

/* Whether an access list would be counted by any watch. */
bool mw_table_wanted(const struct mw_snapshot *s, const struct mw_access *acc, int n);

/* Calls FN for each watch with a byte in [lo, hi). */
void mw_table_each(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi,
		   void (*fn)(struct mw_watch_obj *w, void *arg), void *arg);

/* Copies the current contents of the watched pages in [addr, addr+len)
 * into BUF through the alias; bytes on unwatched pages are left as they
 * are.  Returns the number of bytes copied. */
size_t mw_table_peek(const struct mw_snapshot *s, uintptr_t addr, void *buf, size_t len);

/* Whether reading [lo, hi) would fault: some page of it is read-watched. */
bool mw_table_read_watched(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi);

/* Set while the calling thread holds the library lock (threads/lock.h): the
 * table's writer, which waits for no draining span to read. */
extern __thread int mw_table_writer __attribute__((tls_model("initial-exec")));

/* The page size (the writer sets it). */
extern uintptr_t mw_table_page;
/* Total of accesses caught, for mw_total_count(). */
extern _Atomic uint64_t mw_table_total;
/* Incremented whenever pages stop being watched; lets the fault handler
 * tell a stale fault (page unwatched meanwhile) from a genuine one. */
extern _Atomic unsigned long mw_table_generation;

/* --- writer (thread, under the library lock) ------------------------- */

const struct mw_snapshot *mw_snap_current(void);
/* [snap.c] Makes S the current snapshot; the one before, NULL if none. */
const struct mw_snapshot *mw_table_swap(const struct mw_snapshot *s);
/* Once, before the first watch: the test that sets a snapshot's
 * unwind_unsafe (the log's: log/loader.h).  BEFORE is the flag of the
 * snapshot S was made from, still true of whatever the N ranges CHANGED
 * (the addresses where S differs from it) do not reach; CHANGED NULL:
 * look at everything. */
struct mw_table_range {
	uintptr_t lo, hi;
};
void mw_table_set_unwind_check(bool (*check)(const struct mw_snapshot *s, bool before,
					     const struct mw_table_range *changed, unsigned n));

/*
 * A new snapshot: a copy of the current one, to change with the calls
 * below and then publish (or discard), before any other is begun.  The
 * changes cost the chunks they touch, not the size of the table.  Each
 * returns 0 or -ENOMEM (then discard the snapshot); NULL when out of memory.
 */
struct mw_snapshot *mw_snap_begin(void);
int mw_snap_span_add(struct mw_snapshot *s, const struct mw_span *sp);
/* The span of S holding ADDR, to change anything but its start and end
 * (NULL: none, or out of memory). */
struct mw_span *mw_snap_span_edit(struct mw_snapshot *s, uintptr_t addr);
/* The span holding AT is cut in two there (nothing when AT is a boundary
 * or in no span). */
int mw_snap_span_cut(struct mw_snapshot *s, uintptr_t at);
/* The span starting at START leaves S. */
int mw_snap_span_del(struct mw_snapshot *s, uintptr_t start);
int mw_snap_watch_add(struct mw_snapshot *s, struct mw_watch_obj *w);
int mw_snap_watch_del(struct mw_snapshot *s, struct mw_watch_obj *w);
/* Computes unwind_unsafe; idempotent. */
void mw_snap_finish(struct mw_snapshot *s);
/* Finish, publish, wait for a grace period, free the old one. */
void mw_snap_publish(struct mw_snapshot *s);
/* Forget an unpublished snapshot. */
void mw_snap_discard(struct mw_snapshot *s);
/* The watches covering any byte of [lo, hi): READ and WRITE bits.  [any] */
unsigned mw_snap_kinds(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi);
/* Whether the watches covering any byte of [lo, hi) have, together, every
 * bit of KINDS (0: whether there is one); stops at the first that shows it.
 * [any] */
bool mw_snap_has(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi, unsigned kinds);

/* The id index (mw_table_by_id): W under ID, or none (W NULL).  Freed
 * parts wait for the next publish's grace period.  0 or -ENOMEM. */
int mw_table_set_id(int id, struct mw_watch_obj *w);
/* BLOCK (a page of the arena, arena.h) is freed after the grace period of
 * the next publish: no handler can still read it then. */
void mw_snap_defer(void *block);

struct mw_watch_obj *mw_watch_obj_alloc(void);
void mw_watch_obj_free(struct mw_watch_obj *w);

#endif /* MW_TABLE_H */
