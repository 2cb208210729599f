/* SPDX-License-Identifier: MIT */
/*
 * chunk.h - inside the table's chunks (table.h): entries and, for the
 * watches, their running largest ends.  For table.c and snap.c.  [any]
 */
#ifndef MW_CHUNK_H
#define MW_CHUNK_H

#include <stdint.h>

#include "watch/table.h"

/* The size of a chunk, and of a page of directory entries: what a new
 * snapshot copies of the part it changes. */
#define MW_CHUNK_BYTES 2048

/* Chunk contents. */
#define SPAN_CAP ((MW_CHUNK_BYTES - sizeof(struct mw_chunk)) / sizeof(struct mw_span))
#define WATCH_CAP ((MW_CHUNK_BYTES - sizeof(struct mw_chunk)) / (2 * sizeof(uintptr_t)))

static inline struct mw_span *c_spans(const struct mw_chunk *c)
{
	return (struct mw_span *)(c + 1);
}

static inline struct mw_watch_obj **c_watches(const struct mw_chunk *c)
{
	return (struct mw_watch_obj **)(c + 1);
}

/* A page of directory entries (table.h). */
#define DIR_CAP ((MW_CHUNK_BYTES - sizeof(struct mw_chunk)) / sizeof(struct mw_dirent))

static inline struct mw_dirent *c_dirents(const struct mw_chunk *c)
{
	return (struct mw_dirent *)(c + 1);
}

/* maxend[i]: the largest end of the chunk's watches 0..i. */
static inline uintptr_t *c_maxend(const struct mw_chunk *c)
{
	return (uintptr_t *)(c_watches(c) + WATCH_CAP);
}

#endif /* MW_CHUNK_H */
