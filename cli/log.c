/* SPDX-License-Identifier: MIT */
/*
 * log.c - the program's log, read back from the shared file (logshare.h)
 * after the program ended, however it ended.
 *
 * The file has the slots but not the ring's head counter: a record is
 * taken from every slot whose commit word is even (complete: 2 * seq),
 * decoded with the offsets of the descriptor copied into the header, and
 * the records are sorted by seq.  An odd commit word is a record the
 * program was writing when it died.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static uint64_t get(const unsigned char *p, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, p + off, size);      /* little-endian */
	return v;
}

static int by_seq(const void *a, const void *b)
{
	const struct mw_record *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One slot into R through the descriptor's offsets (not our struct's: the
 * library that wrote it may be another build). */
static void decode(const uint64_t *d, const unsigned char *s, struct mw_record *r)
{
	uint64_t vmax = d[MW_DESC_VALUE_MAX], fmax = d[MW_DESC_FRAMES_MAX];

	memset(r, 0, sizeof(*r));
	r->seq = get(s, d[MW_DESC_OFF_SEQ], 8);
	r->time_ns = get(s, d[MW_DESC_OFF_TIME], 8);
	r->addr = get(s, d[MW_DESC_OFF_ADDR], 8);
	r->pc = get(s, d[MW_DESC_OFF_PC], 8);
	r->tid = (uint32_t)get(s, d[MW_DESC_OFF_TID], 4);
	r->watch = (int32_t)get(s, d[MW_DESC_OFF_WATCH], 4);
	r->size = (uint32_t)get(s, d[MW_DESC_OFF_SIZE], 4);
	r->kind = (uint8_t)get(s, d[MW_DESC_OFF_KIND], 1);
	r->flags = (uint8_t)get(s, d[MW_DESC_OFF_FLAGS], 1);
	r->nframes = (uint8_t)get(s, d[MW_DESC_OFF_NFRAMES], 1);
	r->value_len = (uint8_t)get(s, d[MW_DESC_OFF_VALUE_LEN], 1);
	if (vmax > MW_VALUE_MAX)
		vmax = MW_VALUE_MAX;
	if (fmax > MW_FRAMES_MAX)
		fmax = MW_FRAMES_MAX;
	if (r->value_len > vmax)
		r->value_len = (uint8_t)vmax;
	if (r->nframes > fmax)
		r->nframes = (uint8_t)fmax;
	memcpy(r->old_value, s + d[MW_DESC_OFF_OLD], r->value_len);
	memcpy(r->new_value, s + d[MW_DESC_OFF_NEW], r->value_len);
	memcpy(r->frames, s + d[MW_DESC_OFF_FRAMES], r->nframes * 8u);
}

/* Slot I: counted (OUT NULL) or taken into OUT. */
static size_t take(struct mwc_log *log, uint64_t i, struct mw_record *out)
{
	const uint64_t *d = log->hdr->desc;
	const unsigned char *s = log->slots + i * log->slot_size;
	uint64_t c = get(s, d[MW_DESC_OFF_COMMIT], 8);

	if (!c)
		return 0;
	if (!out)
		return !(c & 1);
	if (c & 1) {
		log->incomplete++;
		if ((c + 1) / 2 > log->last_seq)
			log->last_seq = (c + 1) / 2;
		return 0;
	}
	if (log->nrec >= log->nmax)
		return 0;
	decode(d, s, &out[log->nrec]);
	if (out[log->nrec].seq != c / 2)
		return 0;       /* torn: not a record */
	if (c / 2 > log->last_seq)
		log->last_seq = c / 2;
	log->nrec++;
	return 1;
}

/* Every slot whose commit word is in data of the file (SEEK_DATA): the
 * holes are slots never written. */
static size_t scan(int fd, struct mwc_log *log, struct mw_record *out)
{
	uint64_t ssz = log->slot_size, offc = log->hdr->desc[MW_DESC_OFF_COMMIT];
	off_t pos = MW_SHARE_HDR, data, hole;
	size_t n = 0;

	while ((data = lseek(fd, pos, SEEK_DATA)) >= 0) {
		uint64_t first, end;

		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			hole = (off_t)log->map_len;
		first = (uint64_t)data <= MW_SHARE_HDR + offc ? 0 :
			((uint64_t)data - MW_SHARE_HDR - offc + ssz - 1) / ssz;
		end = ((uint64_t)hole - MW_SHARE_HDR - offc + ssz - 1) / ssz;
		for (uint64_t i = first; i < end && i < log->capacity; i++)
			n += take(log, i, out);
		pos = hole;
	}
	return n;
}

int mwc_log_read(int fd, struct mwc_log *log)
{
	struct stat st;
	const uint64_t *d;
	uint64_t cap, ssz;
	size_t n = 0;

	memset(log, 0, sizeof(*log));
	if (fstat(fd, &st) < 0 || st.st_size < MW_SHARE_HDR) {
		fprintf(stderr, "memwatch: the program did not load libmemwatch (no log): "
			"is it statically linked, or was LD_PRELOAD removed?\n");
		return -1;
	}
	log->map_len = (size_t)st.st_size;
	log->map = mmap(NULL, log->map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (log->map == MAP_FAILED) {
		fprintf(stderr, "memwatch: cannot map the log: %s\n", strerror(errno));
		log->map = NULL;
		return -1;
	}
	log->hdr = log->map;
	d = log->hdr->desc;
	if (log->hdr->magic != MW_SHARE_MAGIC || log->hdr->version != MW_SHARE_VERSION ||
	    d[MW_DESC_VERSION] != 1 || d[MW_DESC_WORDS] < MW_DESC_COUNT) {
		fprintf(stderr, "memwatch: the log file has an unknown format (another version "
			"of libmemwatch?)\n");
		return -1;
	}
	cap = d[MW_DESC_CAPACITY];
	ssz = d[MW_DESC_SLOT_SIZE];
	if (!cap || (cap & (cap - 1)) || ssz < d[MW_DESC_OFF_FRAMES] ||
	    (log->map_len - MW_SHARE_HDR) / ssz < cap) {
		fprintf(stderr, "memwatch: the log file is damaged\n");
		return -1;
	}
	log->capacity = cap;
	log->slot_size = ssz;
	log->slots = (const unsigned char *)log->map + MW_SHARE_HDR;
	/* Room for the complete records only: a large ring is mostly holes
	 * in the file, and reading a hole of a memfd allocates it. */
	n = scan(fd, log, NULL);
	log->rec = calloc(n + 1, sizeof(*log->rec));
	if (!log->rec) {
		fprintf(stderr, "memwatch: out of memory for %zu records\n", n);
		return -1;
	}
	log->nmax = n;
	scan(fd, log, log->rec);
	qsort(log->rec, log->nrec, sizeof(*log->rec), by_seq);
	return 0;
}

void mwc_log_free(struct mwc_log *log)
{
	free(log->rec);
	if (log->map)
		munmap(log->map, log->map_len);
	memset(log, 0, sizeof(*log));
}
