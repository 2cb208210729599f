/* SPDX-License-Identifier: MIT */
/*
 * private-prog.c - the program of t-private.sh.  Not linked with memwatch:
 *
 *   private-prog LIB MODE [COMMAND ARG...]
 *
 * LIB is the path of libmemwatch to dlopen, as a set-user-ID program must
 * (its dynamic linker ignores LD_LIBRARY_PATH and LD_PRELOAD paths), or
 * "-" for none (under the memwatch command, which preloads it and watches
 * `secret` itself).  With LIB, `secret` is watched for writes and prints
 * "capacity N" (mw_log_stats: whether MEMWATCH_RING was read) and "secure
 * N" (getauxval(AT_SECURE)).  Then a "password" is written into `secret`,
 * and MODE says how it ends:
 *   exit      returns 0 (MEMWATCH_LOG written at exit)
 *   abort     abort() (MEMWATCH_LOG written on the fatal path)
 *   exec      prints "kept N" for each of its own descriptors at 900 or
 *             more (where memwatch keeps its own), then runs COMMAND (say,
 *             ls /proc/self/fd: which of them a program it runs inherits)
 */
#include <dirent.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "memwatch.h"                   /* the types only: not linked */

char secret[32];

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (strcmp(argv[1], "-") != 0) {
		void *lib = dlopen(argv[1], RTLD_NOW);
		int (*watch)(const void *, size_t, unsigned);
		int (*stats)(struct mw_log_stats *);
		struct mw_log_stats st = { 0 };

		if (!lib) {
			fprintf(stderr, "private-prog: %s\n", dlerror());
			return 2;
		}
		watch = (int (*)(const void *, size_t, unsigned))dlsym(lib, "mw_watch");
		stats = (int (*)(struct mw_log_stats *))dlsym(lib, "mw_log_stats");
		if (!watch || !stats || watch(secret, sizeof(secret), MW_WRITE) <= 0) {
			fprintf(stderr, "private-prog: cannot watch\n");
			return 2;
		}
		stats(&st);
		printf("capacity %llu\nsecure %lu\n", (unsigned long long)st.capacity,
		       getauxval(AT_SECURE));
		fflush(stdout);
	}
	strcpy(secret, "hunter2");
	if (!strcmp(argv[2], "abort"))
		abort();
	if (!strcmp(argv[2], "exec") && argc > 3) {
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (atoi(e->d_name) >= 900)
				printf("kept %s\n", e->d_name);
		if (d)
			closedir(d);
		fflush(stdout);
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		return 127;
	}
	return 0;
}
