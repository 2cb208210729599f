/* SPDX-License-Identifier: MIT */
/*
 * say.c - async-signal-safe text output: messages and the log's dumps.
 * Fault path: calls write(2) only.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/say.h"
#include "base/sigsafe.h"

void mw_msg_open(struct mw_msg *m, int fd)
{
	m->fd = fd;
	m->err = 0;
	m->len = 0;
}

void mw_msg_init(struct mw_msg *m)
{
	mw_msg_open(m, 2);
	mw_msg_str(m, "memwatch: ");
}

void mw_msg_write(struct mw_msg *m)
{
	int saved = errno;
	size_t off = 0;

	while (off < m->len) {
		ssize_t w = write(m->fd, m->buf + off, m->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!m->err)
				m->err = w < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)w;
	}
	m->len = 0;
	errno = saved;
}

static void put(struct mw_msg *m, char c)
{
	if (m->len == sizeof(m->buf))
		mw_msg_write(m);
	m->buf[m->len++] = c;
}

void mw_msg_str(struct mw_msg *m, const char *s)
{
	while (*s)
		put(m, *s++);
}

void mw_msg_hex(struct mw_msg *m, uint64_t v)
{
	char tmp[16];
	int n = 0;

	put(m, '0');
	put(m, 'x');
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		put(m, tmp[--n]);
}

void mw_msg_dec(struct mw_msg *m, int64_t v)
{
	char tmp[20];
	int n = 0;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	if (v < 0)
		put(m, '-');
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		put(m, tmp[--n]);
}

void mw_msg_bytes(struct mw_msg *m, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(m, ' ');
		put(m, "0123456789abcdef"[p[i] >> 4]);
		put(m, "0123456789abcdef"[p[i] & 15]);
	}
}

void mw_msg_flush(struct mw_msg *m)
{
	put(m, '\n');
	mw_msg_write(m);
}
