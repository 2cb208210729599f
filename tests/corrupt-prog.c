/* SPDX-License-Identifier: MIT */
/*
 * corrupt-prog.c - the program t-corrupt runs under the memwatch command
 * (not linked with memwatch): it writes the watched global `counter` from a
 * few functions (records with backtraces and values, more of them than a
 * small ring holds), then does to the command's shared log file (the memfd
 * it inherited, lib/log/logshare.h) what its first argument says:
 *   save FILE          copy it to FILE (a real log, for the fuzzing)
 *   poke WORD VALUE    write the 64-bit VALUE over word WORD of its header
 *                      (0 magic, 1 version, 2 + k descriptor word k, ...)
 *   cut BYTES          cut the file to BYTES
 * and exits 0.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile uint64_t counter;

__attribute__((noinline)) static void add(uint64_t n)
{
	counter += n;
}

__attribute__((noinline)) static void set(uint64_t v)
{
	counter = v;
}

/* The shared log: the descriptor whose link names memwatch's memfd. */
static int log_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd = -1;

	while (d && (e = readdir(d))) {
		char path[300], link[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0 && (link[n] = 0, strstr(link, "memwatch-log")))
			fd = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return fd;
}

int main(int argc, char **argv)
{
	int fd;

	for (uint64_t i = 0; i < 100; i++) {
		if (i % 3)
			add(i);
		else
			set(i * 0x0101010101010101ull);
	}
	fd = log_fd();
	if (fd < 0 || argc < 3) {
		fprintf(stderr, "corrupt-prog: no log file, or no command\n");
		return 1;
	}
	if (!strcmp(argv[1], "save")) {
		int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		char buf[65536];
		off_t off = 0;
		ssize_t n;

		while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
			if (write(out, buf, (size_t)n) != n)
				return 1;
			off += n;
		}
		return close(out) != 0;
	}
	if (!strcmp(argv[1], "poke") && argc == 4) {
		uint64_t v = strtoull(argv[3], NULL, 0);

		return pwrite(fd, &v, 8, 8 * strtol(argv[2], NULL, 0)) != 8;
	}
	if (!strcmp(argv[1], "cut"))
		return ftruncate(fd, strtol(argv[2], NULL, 0)) != 0;
	return 1;
}
