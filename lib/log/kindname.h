/* SPDX-License-Identifier: MIT */
/*
 * kindname.h - the name of a record's kind, as the dumps print it (the
 * library's MEMWATCH_LOG dump and the memwatch command).  [any]
 */
#ifndef MW_KINDNAME_H
#define MW_KINDNAME_H

#include "memwatch.h"

static inline const char *mw_kind_name(unsigned k)
{
	switch (k) {
	case MW_KIND_READ: return "read";
	case MW_KIND_WRITE: return "write";
	case MW_KIND_RMW: return "rmw";
	case MW_KIND_KERNEL | MW_KIND_READ: return "kernel-read";
	case MW_KIND_KERNEL | MW_KIND_WRITE: return "kernel-write";
	case MW_KIND_GONE: return "gone";
	default: return "?";
	}
}

#endif /* MW_KINDNAME_H */
