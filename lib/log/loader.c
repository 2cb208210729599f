/* SPDX-License-Identifier: MIT */
/*
 * loader.c - where the dynamic loader keeps its module list and its lock
 * (see loader.h).
 * [thread]: reads the list, which may fault on watched pages (performed);
 * mw_loader_init, mw_loader_segment: dlsym, dladdr1, dl_iterate_phdr.
 * Fault path (mw_loader_lock_free): reads the lock, mw_tid.  Nothing else.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>

#include "log/loader.h"
#include "base/tid.h"
#include "watch/table.h"

/* struct link_map has a large private part after the public fields. */
#define LINK_MAP_SIZE 1280

/* Whether one of the N ranges of R meets [lo, hi). */
static bool meets(const struct mw_table_range *r, unsigned n, uintptr_t lo, uintptr_t hi)
{
	for (unsigned k = 0; k < n; k++)
		if (r[k].lo < hi && lo < r[k].hi)
			return true;
	return false;
}

bool mw_loader_read_watched(const struct mw_snapshot *s, bool before,
			    const struct mw_table_range *changed, unsigned n)
{
	/* The list as the last look saw it: a module loaded or unloaded
	 * since makes the answer before no answer. */
	static const struct link_map *seen_last;
	static unsigned seen;
	const struct link_map *l, *last = NULL;
	bool met = !changed;
	unsigned count = 0;

	if (!s->nspans)
		return false;
	/* Comparing addresses is cheaper than a look in the table each. */
	for (l = _r_debug.r_map; l; l = l->l_next) {
		met = met || meets(changed, n, (uintptr_t)l, (uintptr_t)l + LINK_MAP_SIZE);
		last = l;
		count++;
	}
	if (!met && count == seen && last == seen_last)
		return before;
	seen = count;
	seen_last = last;
	for (l = _r_debug.r_map; l; l = l->l_next)
		if (mw_table_read_watched(s, (uintptr_t)l, (uintptr_t)l + LINK_MAP_SIZE))
			return true;
	return false;
}

/* The loader's write lock, or NULL when not found. */
static const pthread_mutex_t *write_lock;

#define CANDIDATES 4

struct hunt {
	const char *base;
	size_t size;
	pid_t tid;
	int n;
	const pthread_mutex_t *found[CANDIDATES];
};

/* Whether M looks like a recursive mutex that thread TID holds. */
static bool held_by(const pthread_mutex_t *m, pid_t tid)
{
	return m->__data.__lock != 0 && m->__data.__owner == tid && m->__data.__count >= 1 &&
	       (m->__data.__kind & 3) == PTHREAD_MUTEX_RECURSIVE_NP;
}

static int hunt_held(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct hunt *h = arg;

	(void)info;
	(void)size;
	for (size_t off = 0; off + sizeof(pthread_mutex_t) <= h->size && h->n < CANDIDATES;
	     off += 8) {
		const pthread_mutex_t *m = (const pthread_mutex_t *)(h->base + off);

		if (held_by(m, h->tid))
			h->found[h->n++] = m;
	}
	return 1;               /* once is enough */
}

void mw_loader_init(void)
{
	struct hunt h = { 0 };
	void *g = dlsym(RTLD_DEFAULT, "_rtld_global");
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	if (!g || !dladdr1(g, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
		return;
	h.base = g;
	h.size = sym->st_size;
	h.tid = mw_tid();
	dl_iterate_phdr(hunt_held, &h);
	/* Held inside the callback but not outside it: the write lock (a
	 * dlopen in progress holds the load lock all along). */
	for (int i = 0; i < h.n; i++)
		if (!held_by(h.found[i], h.tid)) {
			write_lock = h.found[i];
			return;
		}
}

struct segment {
	uintptr_t addr, lo, hi;
};

static int find_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct segment *s = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && s->addr >= lo && s->addr < lo + ph->p_memsz) {
			s->lo = lo;
			s->hi = lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

bool mw_loader_segment(const void *addr, uintptr_t *lo, uintptr_t *hi)
{
	struct segment s = { (uintptr_t)addr, 0, 0 };

	if (!dl_iterate_phdr(find_segment, &s))
		return false;
	*lo = s.lo;
	*hi = s.hi;
	return true;
}

bool mw_loader_lock_free(void)
{
	const volatile struct __pthread_mutex_s *m;
	int owner;

	if (!write_lock)
		return true;
	m = &write_lock->__data;
	if (m->__lock == 0)
		return true;
	owner = m->__owner;
	if (owner == 0)
		return false;   /* taken, no owner yet or any more: maybe this thread */
	if (owner != mw_tid())
		return true;    /* another thread's: dl_iterate_phdr waits for it */
	return m->__count >= 1;
}
