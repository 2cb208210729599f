/* SPDX-License-Identifier: MIT */
/*
 * logshare.h - the log in a file that outlives the process: the shared
 * memory between a program and the `memwatch` command that runs it.
 *
 * The memwatch command (cli/) creates a memfd, lets the program inherit it
 * and names it in MEMWATCH_SHARE_FD.  The library then maps its ring's
 * slots from that file (MAP_SHARED) instead of anonymous memory, after a
 * header that says how to decode them.  Every record is committed into
 * the file as it is written, so a program that dies - of a crash, of
 * SIGKILL - loses nothing: the memwatch command reads the file after the
 * program's end and decodes it in its own process.
 *
 * File layout:
 *   0                 struct mw_share_hdr (MW_SHARE_HDR bytes, page-aligned)
 *   MW_SHARE_HDR      the ring's slots (struct mw_ring_slot, ring.h)
 *
 * Who writes what:
 *   magic, desc[]     the library, when it sets up its ring (ring.c):
 *                     a copy of mw_log_descriptor (addresses are the
 *                     program's; desc[MW_DESC_SLOTS] is the file offset
 *                     MW_SHARE_HDR there); magic last.
 *   watch[], module[] the preload part of the command (lib/front/run.c) at the
 *                     start of main, and the modules again at exit.
 *   npatch, patch[]   the preload, at exit: mw_patch_info's counts.
 *   MW_SHARE_COST     (inside the header's MW_SHARE_HDR bytes, after the
 *                     struct) the counters of what watching costs
 *                     (log/cost.h), counted there as they happen.
 * The ring's head and dropped counters are not in the file: the reader
 * recovers the records from the slots' commit words (ring.h), the last
 * sequence number from the largest one.
 */
#ifndef MW_LOGSHARE_H
#define MW_LOGSHARE_H

#include <stddef.h>
#include <stdint.h>

#include "log/cost.h"
#include "log/ring.h"

#define MW_SHARE_MAGIC   0x31524853574d454dull   /* "MEMWSHR1" little-endian */
#define MW_SHARE_VERSION 1
#define MW_SHARE_HDR     65536
#define MW_SHARE_WATCHES 64
#define MW_SHARE_MODULES 160
#define MW_SHARE_PATH    256
#define MW_SHARE_COST    49152   /* page-aligned offset of struct mw_cost */

struct mw_share_watch {
	int64_t id;             /* the watch id (> 0), or -errno of mw_watch */
	uint64_t addr;          /* in the program, load base added */
	uint64_t size;
	uint64_t flags;         /* MW_READ, MW_WRITE */
};

struct mw_share_module {
	uint64_t base;          /* load bias (dlpi_addr) */
	char path[MW_SHARE_PATH];
};

struct mw_share_hdr {
	uint64_t magic;
	uint64_t version;
	uint64_t desc[MW_DESC_COUNT];   /* mw_log_descriptor, copied */
	uint64_t t0_ns;                 /* CLOCK_MONOTONIC at the start of main */
	uint64_t nwatches;              /* entries of watch[] set (the -w order) */
	uint64_t setup_done;            /* 0 main not reached, 3 setting the
					   watches, 1 all set, 2 one failed */
	uint64_t nmodules;
	struct mw_share_watch watch[MW_SHARE_WATCHES];
	struct mw_share_module module[MW_SHARE_MODULES];
	/* Patched sites (mw_patch_info), written at exit by the preload:
	 * how many outcomes, and each one's count. */
	uint64_t npatch;
	uint64_t patch[16];
	char patch_what[16][128];       /* each outcome in words */
};

_Static_assert(sizeof(struct mw_share_hdr) <= MW_SHARE_COST, "header fits");
_Static_assert(MW_SHARE_COST + MW_COST_SIZE <= MW_SHARE_HDR, "cost area fits");

/* [thread, ring setup] With MEMWATCH_SHARE_FD set (read once): size the file
 * for BYTES of slots, map them shared and return them; else, or when that
 * fails (with a message), NULL: the caller uses anonymous memory. */
void *mw_logshare_map(size_t bytes);

/* [thread, ring setup] The cost counters' area in the file, mapped once,
 * if the ring lives there; else NULL. */
struct mw_cost *mw_logshare_cost(void);

/* [thread, ring setup] Copy the descriptor D into the file's header, if the
 * ring lives there (SLOTS is the mapping mw_logshare_map returned). */
void mw_logshare_publish(const uint64_t *d, const void *slots);

#endif /* MW_LOGSHARE_H */
