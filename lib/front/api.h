/* SPDX-License-Identifier: MIT */
/* api.h - internal entry points of api.c, for init.c and legacy.c. */
#ifndef MW_API_H
#define MW_API_H

#include <stddef.h>
#include <stdint.h>

/* [any] The newest watch whose first byte is START, or -ENOENT. */
int mw_id_at(uintptr_t start);

/* [thread] Once, at initialization: 0 or -ENOMEM. */
int mw_api_setup(void);

/* [any, not inside the library lock] The program unmaps or replaces
 * [lo, hi) (page aligned) by the system call at PC: the watches with a
 * byte there end, with a MW_KIND_GONE record each.  Handed to the system
 * call layer at initialization (sys/bounce.h's mw_sys_set_gone). */
void mw_api_gone(uintptr_t lo, uintptr_t hi, uintptr_t pc);

#endif /* MW_API_H */
