/* SPDX-License-Identifier: MIT */
/*
 * procfd.h - descriptors of /proc/self files, kept open between uses.
 *                                                    [thread, library lock]
 *
 * Opening /proc/self/maps costs about 3 us, as much as all the queries a
 * watch makes through it; a watch and an unwatch open it four times.  The
 * descriptor is kept, at a high number (the program's open(2)s still get
 * the lowest free ones, as without the library), and checked before each
 * use: the same file (the program may have closed it, and the number may
 * be another file now) in the same process (a forked child must not read
 * its parent's mappings).
 */
#ifndef MW_PROCFD_H
#define MW_PROCFD_H

/* The library's long-lived descriptors go at or above this number. */
#define MW_HIGH_FD 900

enum mw_procfile { MW_PROC_MAPS, MW_PROC_PAGEMAP, MW_PROC_STAT, MW_PROC_FILES };

/* A descriptor of the file, open for reading, or -errno. */
int mw_procfd_get(enum mw_procfile f);
/* Done with FD from mw_procfd_get: closed unless it is the kept one. */
void mw_procfd_put(enum mw_procfile f, int fd);

#endif /* MW_PROCFD_H */
