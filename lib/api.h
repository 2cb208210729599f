/* SPDX-License-Identifier: MIT */
/* api.h - internal entry points shared by api.c and legacy.c. */
#ifndef MW_API_H
#define MW_API_H

#include <stdint.h>

/* [any] The newest watch whose first byte is START, or -ENOENT. */
int mw_id_at(uintptr_t start);

#endif /* MW_API_H */
