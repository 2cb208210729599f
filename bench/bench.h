/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the benchmark programs share: the floor, statistics over
 * repeated runs, and the two kinds of output.
 *
 * Every program measures the floor itself, in its own process, and states
 * each figure as a ratio to it:
 *
 *   floor   a bare SIGSEGV round trip: a 6-byte store to our own PROT_NONE
 *           page, whose handler (ours, not memwatch's) only steps over it;
 *           the least any page-protection design can cost per access
 *
 * A figure is the median of repeated runs with the fastest and slowest run.
 * Output: a table for people, then one line per figure for tools,
 *
 *   metric NAME median_<unit>=M min_<unit>=A max_<unit>=B ratio=R [k=v...]
 *
 * where the unit is ns (a time; the ratio is median / floor), per_s (a
 * rate; the ratio is (1 s / median) / floor: the time per access in
 * floors), and, when the figure has a target, target=... met=yes|no.
 * Where a figure's runs alternate with runs of the floor, its ratio is to
 * the median of those (floor_ns=... on its line), not to the first floor.
 */
#ifndef MW_BENCH_H
#define MW_BENCH_H

#include <stdint.h>

#define BENCH_MAX_RUNS 1000
#define BENCH_MAX_THREADS 64

enum bench_unit { BENCH_NS, BENCH_PER_S };

struct bench_fig {
	const char *name;
	const char *what;
	enum bench_unit unit;
	double median, min, max;
	/* Target: the ratio to the floor (ratio_max), or the median in the
	 * figure's unit (at_most / at_least); 0 = none. */
	double ratio_max, at_most, at_least;
	/* The floor taken next to this figure, run for run, in ns per
	 * access: the ratio's denominator (the machine drifts, shared as it
	 * is); 0: the first figure's median. */
	double floor_ns;
	int skipped;            /* not measured here; `extra` says why */
	char extra[160];        /* more key=value pairs for the metric line */
};

/* now, CLOCK_MONOTONIC, in ns. */
double bench_now_ns(void);

/* Median, min and max of the N samples in T (sorted in place). */
void bench_stats(struct bench_fig *fig, double *t, int n);

/* One run of the floor: ITERS accesses, ns per access.  Same conditions
 * as bench_floor(). */
double bench_floor_once(long iters);

/*
 * The floor: RUNS runs of ITERS accesses (plus a warm-up run) in ns per
 * access, with a SIGSEGV handler of our own that is put back as it was
 * before the call returns.  Call it before memwatch takes SIGSEGV over (its
 * first mw_watch) or after: the previous handler comes back either way.
 * Exits the program if the handler missed an access.
 */
void bench_floor(struct bench_fig *fig, int runs, long iters);

/*
 * The floor in NTHREADS threads at once (1..BENCH_MAX_THREADS): N accesses
 * in all, from the start barrier to the last join, per second: what
 * memwatch's threads figures are compared with, as the rate of bare
 * signals need not grow with the threads (not with fewer CPUs, nor on a
 * machine whose other CPUs are busy).
 */
double bench_floor_rate(int nthreads, long n);

/* The ratio of FIG to FLOOR (see above). */
double bench_ratio(const struct bench_fig *fig, const struct bench_fig *floor);

/* The table and the metric lines; FIG[0] is the floor.  Returns 1 if a
 * measured figure missed its target, else 0. */
int bench_print(const char *title, const struct bench_fig *fig, int n);

/* The frames of the newest record in the log, or -1 if there is none. */
int bench_newest_frames(void);

/* Command-line argument I (1-based) as a number in 1..MAX, DFLT if absent;
 * exits with USAGE on stderr if it is not one. */
long bench_arg(int argc, char **argv, int i, long dflt, long max, const char *usage);

#endif /* MW_BENCH_H */
