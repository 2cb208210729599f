/* SPDX-License-Identifier: MIT */
/*
 * loader.c - where the dynamic loader keeps its module list (see loader.h).
 * [thread]: reads the list, which may fault on watched pages (performed).
 */
#include <link.h>

#include "loader.h"
#include "table.h"

/* struct link_map has a large private part after the public fields. */
#define LINK_MAP_SIZE 1280

bool mw_loader_read_watched(const struct mw_snapshot *s)
{
	if (!s->nspans)
		return false;
	for (const struct link_map *l = _r_debug.r_map; l; l = l->l_next)
		if (mw_table_read_watched(s, (uintptr_t)l, (uintptr_t)l + LINK_MAP_SIZE))
			return true;
	return false;
}
