/* SPDX-License-Identifier: MIT */
/*
 * codefile.c - original code bytes from the mapped file (see codefile.h).
 * Fault path: openat, read, pread64, close (through the gate once
 * mw_code_syscalls says), memcpy/memcmp/strcpy; parsing on the stack.
 */
#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/codefile.h"
#include "base/maps.h"
#include "base/sigsafe.h"

/* One line of /proc/self/maps: the file offset and path of PC's mapping. */
static int match(const char *line, uintptr_t pc, uintptr_t *off, const char **path)
{
	const char *p = line;
	uintptr_t lo = mw_maps_hex(&p), hi;

	if (*p++ != '-')
		return 0;
	hi = mw_maps_hex(&p);
	if (pc < lo || pc >= hi)
		return 0;
	while (*p == ' ')
		p++;
	p += 5;                         /* "r-xp " */
	*off = mw_maps_hex(&p) + (pc - lo);
	for (int field = 0; field < 2 && *p; field++) {  /* dev, inode */
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	*path = p;
	return *p == '/';
}

/* The system calls: the gate's once mw_code_syscalls gave it (no dispatch,
 * no C library wrapper touching its own data), else the C library's. */
static long (*gate)(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

void mw_code_syscalls(long (*fn)(long nr, long a1, long a2, long a3, long a4, long a5, long a6))
{
	gate = fn;
}

static int x_open(const char *path)
{
	long r = gate ? gate(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0) :
		 open(path, O_RDONLY | O_CLOEXEC);

	return r < 0 ? -1 : (int)r;
}

static ssize_t x_pread(int fd, void *buf, size_t n, long off)
{
	long r = gate ? gate(off < 0 ? SYS_read : SYS_pread64, fd, (long)buf, (long)n, off, 0, 0) :
		 off < 0 ? read(fd, buf, n) : pread(fd, buf, n, (off_t)off);

	return r < 0 ? -1 : (ssize_t)r;
}

static void x_close(int fd)
{
	if (gate)
		gate(SYS_close, fd, 0, 0, 0, 0, 0);
	else
		close(fd);
}

/* A session (mw_code_session): the line of the mapping last found and the
 * file last opened, kept for the next question about the same mapping. */
static __thread int in_session __attribute__((tls_model("initial-exec")));
static struct {
	uintptr_t lo, hi;
	char line[512];
	int fd;
	char path[256];
} kept = { 0, 0, "", -1, "" };

void mw_code_session(int on)
{
	if (!on && kept.fd >= 0) {
		x_close(kept.fd);
		kept.fd = -1;
	}
	kept.lo = kept.hi = 0;
	kept.path[0] = 0;
	in_session = on;
}

/* The file at PATH opened (kept open in a session); close with x_done. */
static int x_file(const char *path)
{
	if (!in_session)
		return x_open(path);
	if (kept.fd >= 0 && strcmp(kept.path, path) == 0)
		return kept.fd;
	if (kept.fd >= 0)
		x_close(kept.fd);
	kept.fd = x_open(path);
	if (kept.fd >= 0 && strlen(path) < sizeof(kept.path))
		strcpy(kept.path, path);
	else if (kept.fd >= 0) {
		x_close(kept.fd);
		kept.fd = -1;
		return x_open(path);
	}
	return kept.fd;
}

static void x_done(int fd)
{
	if (fd >= 0 && !(in_session && fd == kept.fd))
		x_close(fd);
}

/* Calls FN(line, ARG) for the line of /proc/self/maps whose mapping holds
 * PC, if one does; returns its result, else 0. */
static size_t with_line(uintptr_t pc, size_t (*fn)(const char *line, uintptr_t pc, void *arg),
			void *arg)
{
	char chunk[4096 + 512];
	size_t have = 0, ret = 0;
	ssize_t r;
	int maps;

	if (in_session && pc >= kept.lo && pc < kept.hi)
		return fn(kept.line, pc, arg);
	maps = x_open("/proc/self/maps");
	if (maps < 0)
		return 0;
	/* Line by line through a window: a line is < 512 bytes here. */
	while ((r = x_pread(maps, chunk + have, sizeof(chunk) - 1 - have, -1)) > 0 || have) {
		size_t len = have + (r > 0 ? (size_t)r : 0), start = 0;

		chunk[len] = 0;
		for (size_t i = 0; i < len; i++) {
			const char *p = chunk + start;
			uintptr_t lo, hi;

			if (chunk[i] != '\n')
				continue;
			chunk[i] = 0;
			lo = mw_maps_hex(&p);
			if (*p++ == '-' && (hi = mw_maps_hex(&p), pc >= lo && pc < hi)) {
				if (in_session && strlen(chunk + start) < sizeof(kept.line)) {
					strcpy(kept.line, chunk + start);
					kept.lo = lo;
					kept.hi = hi;
				}
				ret = fn(chunk + start, pc, arg);
				x_close(maps);
				return ret;
			}
			start = i + 1;
		}
		if (r <= 0)
			break;
		have = len - start;
		for (size_t i = 0; i < have; i++)
			chunk[i] = chunk[start + i];
	}
	x_close(maps);
	return 0;
}

struct want {
	uint8_t *buf;
	size_t n;
};

static size_t read_file(const char *line, uintptr_t pc, void *arg)
{
	struct want *w = arg;
	uintptr_t off;
	const char *path;

	if (!match(line, pc, &off, &path))
		return 0;
	int fd = x_file(path);
	ssize_t got = fd >= 0 ? x_pread(fd, w->buf, w->n, (long)off) : -1;

	x_done(fd);
	return got > 0 ? (size_t)got : 0;
}

size_t mw_code_from_file(uintptr_t pc, uint8_t *buf, size_t n)
{
	return with_line(pc, read_file, &(struct want){ buf, n });
}

/* PROT_* + 1 of the line's permissions ("r-xp"). */
static size_t perms(const char *line, uintptr_t pc, void *arg)
{
	const char *p = line;

	(void)pc;
	(void)arg;
	while (*p && *p != ' ')
		p++;
	if (!p[0] || !p[1] || !p[2] || !p[3])
		return 0;
	return 1 + (size_t)((p[1] == 'r' ? PROT_READ : 0) | (p[2] == 'w' ? PROT_WRITE : 0) |
			    (p[3] == 'x' ? PROT_EXEC : 0));
}

int mw_code_prot(uintptr_t pc)
{
	return (int)with_line(pc, perms, NULL) - 1;
}

static size_t bounds(const char *line, uintptr_t pc, void *arg)
{
	uintptr_t *lohi = arg;
	const char *p = line;

	lohi[0] = mw_maps_hex(&p);
	p++;
	lohi[1] = mw_maps_hex(&p);
	return perms(line, pc, NULL);
}

int mw_code_mapping(uintptr_t pc, uintptr_t *lo, uintptr_t *hi)
{
	uintptr_t lohi[2] = { 0, 0 };
	int prot = (int)with_line(pc, bounds, lohi) - 1;

	*lo = lohi[0];
	*hi = lohi[1];
	return prot;
}

/* ------------------------------------------------------------ functions */

struct fn {
	uintptr_t start, end;
	int fd;
	Elf64_Phdr ph[32];
	int nph;
};

static int get(const struct fn *f, void *buf, size_t n, uint64_t off)
{
	return x_pread(f->fd, buf, n, (long)off) == (ssize_t)n ? 0 : -1;
}

/* The file offset of the loaded address VADDR (the ELF's own numbering),
 * or -1. */
static int64_t offset_of(const struct fn *f, uint64_t vaddr)
{
	for (int i = 0; i < f->nph; i++)
		if (f->ph[i].p_type == PT_LOAD && vaddr >= f->ph[i].p_vaddr &&
		    vaddr < f->ph[i].p_vaddr + f->ph[i].p_filesz)
			return (int64_t)(vaddr - f->ph[i].p_vaddr + f->ph[i].p_offset);
	return -1;
}

static uint64_t uleb(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	return v;
}

/* The size of a DWARF pointer encoding's value, 0 for one we do not read. */
static unsigned enc_size(unsigned enc)
{
	switch (enc & 0x0f) {
	case 0x03: case 0x0b: return 4;         /* udata4, sdata4 */
	case 0x00: case 0x04: case 0x0c: return 8;      /* absptr, udata8, sdata8 */
	default: return 0;
	}
}

/* A value of encoding ENC read at P (at address AT), applied (pcrel or
 * absolute); *OK cleared if it is not one we read. */
static uint64_t value(const uint8_t *p, unsigned enc, uint64_t at, int apply, int *ok)
{
	uint64_t v = 0;

	if (enc_size(enc) == 4) {
		int32_t s;
		uint32_t u;

		memcpy(&s, p, 4);
		memcpy(&u, p, 4);
		v = (enc & 0x0f) == 0x0b ? (uint64_t)(int64_t)s : u;
	} else if (enc_size(enc) == 8) {
		memcpy(&v, p, 8);
	} else {
		*ok = 0;
	}
	if (apply && (enc & 0x70) == 0x10)
		v += at;
	else if (apply && (enc & 0x70) != 0)
		*ok = 0;
	return v;
}

/* The encoding of the FDE pointers its CIE (at file offset OFF) says. */
static int cie_encoding(const struct fn *f, uint64_t off)
{
	uint8_t b[96];
	const uint8_t *p = b + 9, *end = b + sizeof(b);
	const char *aug;
	int enc = 0;            /* absptr, if the CIE says nothing */

	if (get(f, b, sizeof(b), off) || (b[8] != 1 && b[8] != 3))
		return -1;
	aug = (const char *)p;
	while (p < end && *p)
		p++;
	if (p++ >= end || aug[0] != 'z')
		return aug[0] ? -1 : 0;
	uleb(&p, end);                          /* code alignment */
	uleb(&p, end);                          /* data alignment (sleb) */
	if (b[8] == 1)
		p++;                            /* return register */
	else
		uleb(&p, end);
	uleb(&p, end);                          /* augmentation length */
	for (const char *a = aug + 1; *a && p < end; a++) {
		if (*a == 'R')
			return *p;
		if (*a == 'L')
			p++;
		else if (*a == 'P') {
			unsigned n = enc_size(*p);

			if (!n)
				return -1;
			p += 1 + n;
		} else if (*a != 'S' && *a != 'B') {
			return -1;
		}
	}
	return enc;
}

/* The function holding the address PC (ELF address VADDR) from the
 * binary-search table of .eh_frame_hdr.  1 if found. */
static int from_table(struct fn *f, uint64_t hdr_vaddr, uint64_t hdr_off, uint64_t vaddr,
		      uintptr_t bias)
{
	uint8_t h[12], e[8], fde[40];
	uint32_t count, lo = 0, hi;
	int32_t loc, at;
	int ok = 1, enc;
	int64_t fde_off, cie_off;
	uint64_t begin, range;
	int32_t cie_ptr;

	if (get(f, h, sizeof(h), hdr_off) || h[0] != 1 || enc_size(h[1]) != 4 || h[2] != 0x03 ||
	    h[3] != 0x3b)   /* udata4 count, datarel sdata4 table */
		return 0;
	memcpy(&count, h + 8, 4);
	if (!count)
		return 0;
	hi = count;
	while (hi - lo > 1) {                   /* the last entry <= vaddr */
		uint32_t mid = lo + (hi - lo) / 2;

		if (get(f, e, 4, hdr_off + 12 + 8ull * mid))
			return 0;
		memcpy(&loc, e, 4);
		if (hdr_vaddr + (uint64_t)(int64_t)loc <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	if (get(f, e, 8, hdr_off + 12 + 8ull * lo))
		return 0;
	memcpy(&loc, e, 4);
	memcpy(&at, e + 4, 4);
	if (hdr_vaddr + (uint64_t)(int64_t)loc > vaddr)
		return 0;
	uint64_t fde_vaddr = hdr_vaddr + (uint64_t)(int64_t)at;

	fde_off = offset_of(f, fde_vaddr);
	if (fde_off < 0 || get(f, fde, sizeof(fde), (uint64_t)fde_off))
		return 0;
	memcpy(&cie_ptr, fde + 4, 4);
	if (!memcmp(fde, "\xff\xff\xff\xff", 4) || cie_ptr <= 0)
		return 0;
	cie_off = offset_of(f, fde_vaddr + 4 - (uint64_t)(int64_t)cie_ptr);
	enc = cie_off < 0 ? -1 : cie_encoding(f, (uint64_t)cie_off);
	if (enc < 0 || !enc_size((unsigned)enc))
		return 0;
	begin = value(fde + 8, (unsigned)enc, fde_vaddr + 8, 1, &ok);
	range = value(fde + 8 + enc_size((unsigned)enc), (unsigned)enc & 0x0f, 0, 0, &ok);
	if (!ok || vaddr < begin || vaddr - begin >= range)
		return 0;
	f->start = begin + bias;
	f->end = begin + range + bias;
	return 1;
}

static size_t function(const char *line, uintptr_t pc, void *arg)
{
	struct fn *f = arg;
	uintptr_t off;
	const char *path;
	Elf64_Ehdr eh;
	size_t found = 0;

	if (!match(line, pc, &off, &path))
		return 0;
	f->fd = x_file(path);
	if (f->fd < 0)
		return 0;
	if (get(f, &eh, sizeof(eh), 0) == 0 && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) &&
	    eh.e_phnum <= 32 && get(f, f->ph, eh.e_phnum * sizeof(Elf64_Phdr), eh.e_phoff) == 0) {
		uint64_t vaddr = 0;
		int have = 0;

		f->nph = eh.e_phnum;
		for (int i = 0; i < f->nph; i++)
			if (f->ph[i].p_type == PT_LOAD && off >= f->ph[i].p_offset &&
			    off < f->ph[i].p_offset + f->ph[i].p_filesz) {
				vaddr = off - f->ph[i].p_offset + f->ph[i].p_vaddr;
				have = 1;
			}
		for (int i = 0; have && i < f->nph; i++)
			if (f->ph[i].p_type == PT_GNU_EH_FRAME)
				found = (size_t)from_table(f, f->ph[i].p_vaddr, f->ph[i].p_offset,
							   vaddr, pc - vaddr);
	}
	x_done(f->fd);
	return found;
}

int mw_code_function(uintptr_t pc, uintptr_t *start, uintptr_t *end)
{
	struct fn f;

	memset(&f, 0, sizeof(f));
	if (!with_line(pc, function, &f))
		return -1;
	*start = f.start;
	*end = f.end;
	return 0;
}
