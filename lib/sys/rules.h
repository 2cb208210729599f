/* SPDX-License-Identifier: MIT */
/*
 * rules.h - what the system calls the library knows pass the kernel: for
 * each call, which arguments are buffers, in which direction, how long.
 * The sizes are the C library's types for this architecture (the kernel's
 * ABI), the numbers <sys/syscall.h>'s: the table is the same source for
 * every architecture.
 * All: [fault path] (constant data).
 */
#ifndef MW_RULES_H
#define MW_RULES_H

#include <stdint.h>

enum { IN = 1, OUT = 2, INOUT = 3 };
enum kind {
	K_NONE,
	K_FIXED,        /* SIZE bytes */
	K_ARG,          /* a[X] * SIZE bytes, all of them read or written */
	K_RET,          /* a[X] * SIZE bytes; the kernel writes ret * SIZE */
	K_STR,          /* a NUL-terminated path, read */
	K_SOCKLEN,      /* *(socklen_t *)a[X] bytes */
	K_FDSET,        /* an fd_set for a[X] descriptors */
	K_IOV,          /* an iovec array of a[X] entries: data in DIR */
	K_MSG,          /* a struct msghdr: data in DIR */
	K_MASK,         /* IN, SIZE bytes, a sigset at offset X: sanitized */
	K_KSA,          /* the kernel's struct sigaction (arch.h); IN: its mask
			   sanitized */
	K_CMD,          /* what the call's command a[X] says (mw_sys_cmd_param) */
	K_PAGES,        /* a byte per page of the a[X] bytes at a[0] (mincore) */
	K_MSGQ,         /* a[X] + SIZE bytes: a long and the text (msgsnd,
			   msgrcv: the kernel writes SIZE + ret) */
	K_MMSG,         /* an array of a[X] struct mmsghdr: data in DIR */
};

struct param {
	int8_t arg;
	uint8_t dir;
	uint8_t kind;
	int8_t x;
	uint16_t size;
};

struct rule {
	int nr;
	struct param p[4];
};

/* [thread] Once, before system calls dispatch: the lookup by number. */
void mw_sys_rules_init(void);
/* The rule of system call NR, or NULL: its arguments go to the kernel as
 * they are. */
const struct rule *mw_sys_rule_of(long nr);
/* The argument of command CMD of system call NR (ioctl, fcntl, prctl,
 * arch_prctl, shmctl, msgctl, semctl) as a fixed-size buffer in *Q (its
 * argument, direction, size); 0 if it is not one the library knows. */
int mw_sys_cmd_param(long nr, unsigned long cmd, struct param *q);
/* Removes the signals memwatch needs delivered in every thread, always
 * (SIGSEGV, SIGSYS), from a kernel sigset. */
void mw_sys_sanitize(uint64_t *mask);

#endif /* MW_RULES_H */
