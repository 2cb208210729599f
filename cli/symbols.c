/* SPDX-License-Identifier: MIT */
/*
 * symbols.c - watch specs, and their symbols found in the program's files
 * with libelf: the executable's .symtab (static variables too), else its
 * .dynsym; then the libraries the loader would load for it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static int parse_number(const char *s, size_t len, uint64_t *out)
{
	char buf[32], *end;

	if (len == 0 || len >= sizeof(buf) || !isdigit((unsigned char)s[0]))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	*out = strtoull(buf, &end, 0);
	return errno || *end ? -1 : 0;
}

int mwc_parse_watch(struct mwc_watch *w)
{
	const char *s = w->spec, *p = s + strcspn(s, "+:");
	size_t n = (size_t)(p - s);

	w->flags = MW_WRITE;
	w->offset = 0;
	w->size = 0;
	if (n == 0 || n >= sizeof(w->name)) {
		fprintf(stderr, "memwatch: -w %s: no symbol name (SYMBOL[+OFFSET][:SIZE][:r|w|rw])\n", s);
		return -1;
	}
	memcpy(w->name, s, n);
	w->name[n] = 0;
	if (*p == '+') {
		const char *q = p + 1 + strcspn(p + 1, ":");

		if (parse_number(p + 1, (size_t)(q - p - 1), &w->offset) < 0) {
			fprintf(stderr, "memwatch: -w %s: the offset after '+' is not a number\n", s);
			return -1;
		}
		p = q;
	}
	while (*p == ':') {
		const char *f = p + 1, *q = f + strcspn(f, ":");
		size_t len = (size_t)(q - f);

		if (len == 1 && *f == 'r')
			w->flags = MW_READ;
		else if (len == 1 && *f == 'w')
			w->flags = MW_WRITE;
		else if (len == 2 && (!strncmp(f, "rw", 2) || !strncmp(f, "wr", 2)))
			w->flags = MW_ACCESS;
		else if (parse_number(f, len, &w->size) < 0 || w->size == 0) {
			fprintf(stderr, "memwatch: -w %s: '%.*s' is neither a size (> 0) nor r, w or rw\n",
				s, (int)len, f);
			return -1;
		}
		p = q;
	}
	if (*p) {
		fprintf(stderr, "memwatch: -w %s: unexpected '%s' (SYMBOL[+OFFSET][:SIZE][:r|w|rw])\n",
			s, p);
		return -1;
	}
	return 0;
}

/* What a module's symbol tables say about NAME. */
struct found {
	int has_symtab, is_elf, has_interp;
	int nglobal, nlocal;
	GElf_Sym sym;           /* the global one, else the (only) local one */
	int bad_type;           /* STT_FUNC, STT_TLS... */
};

/* SN names NAME; for a local symbol also "NAME.N", GCC's name for a
 * function-scope static variable. */
static int same_name(const char *sn, const char *name, int local)
{
	size_t n = strlen(name);

	if (strncmp(sn, name, n))
		return 0;
	if (!sn[n])
		return 1;
	return local && sn[n] == '.' && sn[n + 1] && strspn(sn + n + 1, "0123456789") ==
	       strlen(sn + n + 1);
}

static void scan_table(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, const char *name,
		       struct found *f)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; d && i < n; i++) {
		GElf_Sym sym;
		const char *sn;

		if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
			continue;
		sn = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!sn || !same_name(sn, name, GELF_ST_BIND(sym.st_info) == STB_LOCAL))
			continue;
		switch (GELF_ST_TYPE(sym.st_info)) {
		case STT_OBJECT: case STT_NOTYPE: case STT_COMMON:
			break;
		default:
			f->bad_type = GELF_ST_TYPE(sym.st_info);
			continue;
		}
		if (GELF_ST_BIND(sym.st_info) == STB_LOCAL) {
			if (!f->nglobal)
				f->sym = sym;
			f->nlocal++;
		} else {
			if (!f->nglobal)
				f->sym = sym;
			f->nglobal++;
		}
	}
}

/* 0 and F filled, or -1 if PATH is no ELF file we can read. */
static int scan_file(const char *path, const char *name, struct found *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;
	int symtab = 0;

	memset(f, 0, sizeof(*f));
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
		return -1;
	}
	f->is_elf = 1;
	for (size_t i = 0; ; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph))
			break;
		if (ph.p_type == PT_INTERP)
			f->has_interp = 1;
	}
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			symtab = 1;
	}
	f->has_symtab = symtab;
	/* .symtab has everything, .dynsym only the exported part. */
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == (symtab ? SHT_SYMTAB : SHT_DYNSYM))
			scan_table(e, scn, &sh, name, f);
	}
	elf_end(e);
	close(fd);
	return 0;
}

/* The libraries the loader would load for PROG: ld.so's trace mode, as
 * ldd does (the program itself does not run).  A malloc'ed list of paths,
 * NULL-terminated. */
static char **libraries(const char *prog)
{
	int pipefd[2];
	pid_t pid;
	FILE *in;
	char line[4608];
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;

	if (!v || pipe(pipefd) < 0)
		return v;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		setenv("LD_TRACE_LOADED_OBJECTS", "1", 1);
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	in = fdopen(pipefd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		/* "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
		 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)" */
		char *p = strstr(line, "=> "), *end;
		char **nv;

		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue;
		end = strstr(p, " (");
		if (end)
			*end = 0;
		else
			p[strcspn(p, "\n")] = 0;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n++] = strdup(p);
		v[n] = NULL;
	}
	if (in)
		fclose(in);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return v;
}

static int take(struct mwc_watch *w, const struct found *f, const char *module,
		const char *shown)
{
	uint64_t symsize = f->sym.st_size;

	if (f->nglobal == 0 && f->nlocal > 1) {
		fprintf(stderr, "memwatch: -w %s: %d static variables are named '%s' in %s; "
			"memwatch cannot tell which one you mean\n", w->spec, f->nlocal, w->name, shown);
		return -1;
	}
	if (!w->size) {
		if (symsize <= w->offset) {
			fprintf(stderr, "memwatch: -w %s: the symbol table gives '%s' %llu bytes%s; "
				"give the size: -w %s:SIZE\n", w->spec, w->name,
				(unsigned long long)symsize,
				w->offset ? ", not more than the offset" : "", w->spec);
			return -1;
		}
		w->size = symsize - w->offset;
	}
	snprintf(w->module, sizeof(w->module), "%s", module);
	w->value = f->sym.st_value + w->offset;
	return 0;
}

int mwc_resolve(const char *prog, struct mwc_watch *w)
{
	struct found f;
	char **libs;
	int r = -1, bad_type;

	if (scan_file(prog, w->name, &f) < 0) {
		fprintf(stderr, "memwatch: %s: not an ELF executable memwatch can read\n", prog);
		return -1;
	}
	if (!f.has_interp) {
		fprintf(stderr, "memwatch: %s is statically linked: memwatch needs to preload "
			"its library (LD_PRELOAD)\n", prog);
		return -1;
	}
	if (f.nglobal || f.nlocal)
		return take(w, &f, "", prog);
	bad_type = f.bad_type;
	if (!f.has_symtab && !bad_type) {
		/* Perhaps in a library; if not, the stripped executable is why. */
		int stripped = 1;

		libs = libraries(prog);
		for (size_t i = 0; libs && libs[i] && r < 0; i++)
			if (scan_file(libs[i], w->name, &f) == 0 && (f.nglobal || f.nlocal))
				r = take(w, &f, libs[i], libs[i]), stripped = 0;
		for (size_t i = 0; libs && libs[i]; i++)
			free(libs[i]);
		free(libs);
		if (stripped)
			fprintf(stderr, "memwatch: -w %s: %s has no symbol table (stripped), and no "
				"library of it exports '%s'\n", w->spec, prog, w->name);
		return r;
	}
	if (!bad_type) {
		libs = libraries(prog);
		for (size_t i = 0; libs && libs[i] && r < 0; i++) {
			if (scan_file(libs[i], w->name, &f) < 0)
				continue;
			if (f.nglobal || f.nlocal)
				r = take(w, &f, libs[i], libs[i]);
			else if (f.bad_type)
				bad_type = f.bad_type;
		}
		for (size_t i = 0; libs && libs[i]; i++)
			free(libs[i]);
		free(libs);
		if (r == 0 || (r < 0 && (f.nglobal || f.nlocal)))
			return r;
	}
	if (bad_type == STT_FUNC || bad_type == STT_GNU_IFUNC)
		fprintf(stderr, "memwatch: -w %s: '%s' is a function, not a variable\n",
			w->spec, w->name);
	else if (bad_type == STT_TLS)
		fprintf(stderr, "memwatch: -w %s: '%s' is thread-local: each thread has its own; "
			"memwatch watches global variables\n", w->spec, w->name);
	else
		fprintf(stderr, "memwatch: -w %s: no variable '%s' in %s or its libraries\n",
			w->spec, w->name, prog);
	return -1;
}
