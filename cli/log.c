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
 *
 * The file may be damaged (the program scribbled over it, a copy was cut
 * short): every header word is checked against the file's real size
 * before a slot is read (check_header), and a slot whose commit word,
 * seq or fields do not fit its place is left out and counted, never
 * followed.  No read goes outside the file's first st_size bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "log/kindname.h"

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
 * library that wrote it may be another build; check_header made sure that
 * every field lies in the slot).  0, or -1 if a field is out of range. */
static int decode(const uint64_t *d, const unsigned char *s, struct mw_record *r)
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
	if (r->value_len > vmax || r->nframes > fmax || !strcmp(mw_kind_name(r->kind), "?"))
		return -1;
	memcpy(r->old_value, s + d[MW_DESC_OFF_OLD], r->value_len);
	memcpy(r->new_value, s + d[MW_DESC_OFF_NEW], r->value_len);
	memcpy(r->frames, s + d[MW_DESC_OFF_FRAMES], r->nframes * 8u);
	return 0;
}

/* Slot I: counted (OUT NULL) or taken into OUT.  A commit word or seq that
 * does not belong in slot I (record seq S lives in slot (S - 1) & mask), or
 * a field out of range, is damage: counted in log->damaged on the second
 * pass, the slot left out. */
static size_t take(struct mwc_log *log, uint64_t i, struct mw_record *out)
{
	const uint64_t *d = log->hdr->desc;
	const unsigned char *s = log->slots + i * log->slot_size;
	uint64_t c = get(s, d[MW_DESC_OFF_COMMIT], 8), mask = log->capacity - 1;
	uint64_t seq = (c + 1) / 2;

	if (!c)
		return 0;
	if (c == UINT64_MAX || ((seq - 1) & mask) != i) {
		log->damaged += out != NULL;
		return 0;
	}
	if (!out)
		return !(c & 1);
	if (c & 1) {
		log->incomplete++;
		if (seq > log->last_seq)
			log->last_seq = seq;
		return 0;
	}
	if (log->nrec >= log->nmax)
		return 0;
	if (decode(d, s, &out[log->nrec]) < 0 || out[log->nrec].seq != seq) {
		/* A seq other than the commit word's is a torn record (the
		 * library's reader skips those too); here it can only be
		 * damage: the program was not writing when it was read. */
		log->damaged++;
		return 0;
	}
	if (seq > log->last_seq)
		log->last_seq = seq;
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
		if ((uint64_t)hole > log->map_len)
			hole = (off_t)log->map_len;
		if ((uint64_t)hole <= MW_SHARE_HDR + offc)
			break;
		first = (uint64_t)data <= MW_SHARE_HDR + offc ? 0 :
			((uint64_t)data - MW_SHARE_HDR - offc + ssz - 1) / ssz;
		end = ((uint64_t)hole - MW_SHARE_HDR - offc + ssz - 1) / ssz;
		for (uint64_t i = first; i < end && i < log->capacity; i++)
			n += take(log, i, out);
		pos = hole;
	}
	return n;
}

/* The ring's largest capacity (the library's MEMWATCH_RING, --ring) and a
 * slot's largest size: beyond them a header word is damage, not a ring. */
#define RING_MAX  (1ull << 24)
#define SLOT_MAX  4096

/* What is wrong with the header H of a file of SIZE bytes (at least
 * MW_SHARE_HDR), into WHY; 0 if nothing. */
static int check_header(const struct mw_share_hdr *h, uint64_t size, char *why, size_t n)
{
	static const struct { int word; unsigned width; const char *name; } field[] = {
		{ MW_DESC_OFF_COMMIT, 8, "commit" }, { MW_DESC_OFF_SEQ, 8, "seq" },
		{ MW_DESC_OFF_TIME, 8, "time" }, { MW_DESC_OFF_ADDR, 8, "addr" },
		{ MW_DESC_OFF_PC, 8, "pc" }, { MW_DESC_OFF_TID, 4, "tid" },
		{ MW_DESC_OFF_WATCH, 4, "watch" }, { MW_DESC_OFF_SIZE, 4, "size" },
		{ MW_DESC_OFF_KIND, 1, "kind" }, { MW_DESC_OFF_FLAGS, 1, "flags" },
		{ MW_DESC_OFF_NFRAMES, 1, "nframes" }, { MW_DESC_OFF_VALUE_LEN, 1, "value_len" },
	};
	const uint64_t *d = h->desc;
	uint64_t cap = d[MW_DESC_CAPACITY], ssz = d[MW_DESC_SLOT_SIZE];
	uint64_t vmax = d[MW_DESC_VALUE_MAX], fmax = d[MW_DESC_FRAMES_MAX];

#define BAD(...) return snprintf(why, n, __VA_ARGS__), -1
	if (h->magic != MW_SHARE_MAGIC)
		BAD("its header starts with 0x%016" PRIx64 ", not memwatch's magic number", h->magic);
	if (h->version != MW_SHARE_VERSION)
		BAD("its header has version %" PRIu64 ", this memwatch reads version %d "
		    "(another version of libmemwatch?)", h->version, MW_SHARE_VERSION);
	if (d[MW_DESC_MAGIC] != MW_DESC_MAGIC_VALUE)
		BAD("descriptor word 0 (magic) is 0x%016" PRIx64, d[MW_DESC_MAGIC]);
	if (d[MW_DESC_VERSION] != 1)
		BAD("descriptor version %" PRIu64 ", this memwatch reads version 1",
		    d[MW_DESC_VERSION]);
	if (d[MW_DESC_WORDS] < MW_DESC_COUNT || d[MW_DESC_WORDS] > 4096)
		BAD("the descriptor says it has %" PRIu64 " words, version 1 has %d",
		    d[MW_DESC_WORDS], MW_DESC_COUNT);
	if (cap < 2 || (cap & (cap - 1)) || cap > RING_MAX)
		BAD("ring capacity %" PRIu64 " is not a power of two from 2 to %llu", cap, RING_MAX);
	if (ssz < 64 || ssz > SLOT_MAX || ssz % 8)
		BAD("slot size %" PRIu64 " is not a multiple of 8 from 64 to %d", ssz, SLOT_MAX);
	for (size_t i = 0; i < sizeof(field) / sizeof(field[0]); i++)
		if (d[field[i].word] > ssz - field[i].width)
			BAD("field %s at offset %" PRIu64 " is outside the %" PRIu64 "-byte slot",
			    field[i].name, d[field[i].word], ssz);
	if (vmax > 255 || d[MW_DESC_OFF_OLD] > ssz - vmax || d[MW_DESC_OFF_NEW] > ssz - vmax)
		BAD("values of %" PRIu64 " bytes at offsets %" PRIu64 " and %" PRIu64
		    " do not fit the %" PRIu64 "-byte slot", vmax, d[MW_DESC_OFF_OLD],
		    d[MW_DESC_OFF_NEW], ssz);
	if (fmax > 255 || d[MW_DESC_OFF_FRAMES] > ssz - 8 * fmax)
		BAD("%" PRIu64 " frames at offset %" PRIu64 " do not fit the %" PRIu64
		    "-byte slot", fmax, d[MW_DESC_OFF_FRAMES], ssz);
	if ((size - MW_SHARE_HDR) / ssz < cap)
		BAD("the file has %" PRIu64 " bytes, its ring of %" PRIu64 " slots of %" PRIu64
		    " bytes needs %" PRIu64 " (cut short?)", size, cap, ssz,
		    (uint64_t)MW_SHARE_HDR + cap * ssz);
	if (h->nwatches > MW_SHARE_WATCHES || h->nmodules > MW_SHARE_MODULES ||
	    h->setup_done > 3)
		BAD("%" PRIu64 " watches, %" PRIu64 " modules, setup state %" PRIu64
		    " (at most %d, %d, 3)", h->nwatches, h->nmodules, h->setup_done,
		    MW_SHARE_WATCHES, MW_SHARE_MODULES);
#undef BAD
	return 0;
}

int mwc_log_read(int fd, struct mwc_log *log)
{
	struct stat st;
	char why[256];
	size_t n = 0;

	memset(log, 0, sizeof(*log));
	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		fprintf(stderr, "memwatch: the program did not load libmemwatch (no log): "
			"is it statically linked, or was LD_PRELOAD removed?\n");
		return -1;
	}
	if (st.st_size < MW_SHARE_HDR) {
		fprintf(stderr, "memwatch: the log is damaged: the file has %lld bytes, less "
			"than its %d-byte header (cut short?)\n", (long long)st.st_size,
			MW_SHARE_HDR);
		return -2;
	}
	log->map_len = (size_t)st.st_size;
	log->map = mmap(NULL, log->map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (log->map == MAP_FAILED) {
		fprintf(stderr, "memwatch: cannot map the log: %s\n", strerror(errno));
		log->map = NULL;
		return -1;
	}
	log->hdr = log->map;
	if (log->hdr->magic == 0) {
		fprintf(stderr, "memwatch: the program ended before libmemwatch set up its log "
			"(no records)\n");
		return -1;
	}
	if (check_header(log->hdr, log->map_len, why, sizeof(why)) < 0) {
		fprintf(stderr, "memwatch: the log is damaged: %s\n", why);
		return -2;
	}
	log->capacity = log->hdr->desc[MW_DESC_CAPACITY];
	log->slot_size = log->hdr->desc[MW_DESC_SLOT_SIZE];
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
