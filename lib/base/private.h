/* SPDX-License-Identifier: MIT */
/*
 * private.h - opening a file that will hold the program's memory.
 *
 * The log records the values the program writes and reads: passwords,
 * keys.  Every file memwatch writes (MEMWATCH_LOG at exit and at death,
 * `memwatch -o FILE`) is treated like a core dump: created mode 0600
 * whatever the umask; never opened through a symbolic link (O_NOFOLLOW:
 * a path whose last component is a link is refused); never an existing
 * file of another user, nor one with other hard links (someone else's
 * file linked into /tmp); an existing file of ours is emptied and made
 * 0600.  A character device (/dev/null, a terminal) is written as it is,
 * and /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N (links the
 * program's own descriptors stand behind) write to that descriptor.
 */
#ifndef MW_PRIVATE_H
#define MW_PRIVATE_H

/* Opens PATH for writing (O_CLOEXEC).  Returns the descriptor, or -errno
 * with *WHY set: the reason of a refusal ("it is a symbolic link", ...) or
 * a short text of the errno.  [fault path] (async-signal-safe: open,
 * fstat, fcntl, fchmod, ftruncate, close, string compares only). */
int mw_open_private(const char *path, const char **why);

#endif /* MW_PRIVATE_H */
