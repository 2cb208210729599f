/* SPDX-License-Identifier: MIT */
/*
 * say.h - messages to stderr that are safe in a signal handler.
 *
 * A message is assembled in a caller-provided struct on the stack and written
 * with one write(2), so concurrent messages from several threads do not
 * interleave mid-line.  All functions: [fault path] (async-signal-safe).
 */
#ifndef MW_SAY_H
#define MW_SAY_H

#include <stddef.h>
#include <stdint.h>

struct mw_msg {
	int fd;
	int err;                /* the first write error, as -errno */
	size_t len;
	char buf[480];
};

/* A message to stderr, starting "memwatch: ". */
void mw_msg_init(struct mw_msg *m);
/* Text to FD: written out whenever the buffer fills, and by mw_msg_write. */
void mw_msg_open(struct mw_msg *m, int fd);
void mw_msg_write(struct mw_msg *m);
void mw_msg_str(struct mw_msg *m, const char *s);
void mw_msg_hex(struct mw_msg *m, uint64_t v);            /* 0x1f */
void mw_msg_dec(struct mw_msg *m, int64_t v);
void mw_msg_bytes(struct mw_msg *m, const uint8_t *p, size_t n);  /* "48 89 07" */
/* Adds a newline and writes the message out. */
void mw_msg_flush(struct mw_msg *m);

#endif /* MW_SAY_H */
