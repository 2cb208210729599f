/* SPDX-License-Identifier: MIT */
/*
 * slowcache.c - a cache in front of a slow function, and a program that
 * is slow anyway.
 *
 * A plain program, not linked with memwatch.  It scores the words of a
 * text, 20000 of them but only 8 different ones, through a cache of 64
 * entries: it should compute 8 scores and look the rest up.  It is as slow
 * as without the cache.  Is the cache's configuration (`cache.cfg`,
 * 64 entries at start-up) cut down somewhere?  The hunt with the memwatch
 * command is in examples/README.md:
 *
 *     memwatch -w cache:8 -- examples/slowcache
 *
 * Usage: slowcache
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS 20000

/* The cache's configuration, then its statistics. */
static struct {
	struct {
		unsigned entries;       /* slots in use at most */
		unsigned max_len;       /* longest word kept */
	} cfg;
	unsigned long misses;
} cache = { { 64, 15 }, 0 };

static struct slot {
	const char *key;
	long score;
} slots[64];
static unsigned used;

/* The slow function the cache is for. */
__attribute__((noipa)) static long score(const char *w)
{
	long s = 0;

	for (int round = 0; round < 300; round++)
		for (const char *p = w; *p; p++)
			s = (s * 31 + *p + round) % 1000003;
	return s;
}

__attribute__((noipa)) static long lookup(const char *w)
{
	for (unsigned i = 0; i < used; i++)
		if (slots[i].key == w)  /* compares where the words are, not what they say */
			return slots[i].score;
	cache.misses++;                 /* slowcache: every lookup gets here */
	long s = score(w);

	if (used < cache.cfg.entries && strlen(w) <= cache.cfg.max_len) {
		slots[used].key = w;
		slots[used++].score = s;
	}
	return s;
}

int main(void)
{
	static const char *const text[] = { "the", "cache", "should", "hit", "on", "every",
					    "repeated", "word" };
	char (*word)[16] = calloc(WORDS, sizeof(*word));
	long total = 0;

	if (!word)
		return 1;
	for (int i = 0; i < WORDS; i++) {
		/* The text's words, each read into memory of its own. */
		snprintf(word[i], sizeof(word[i]), "%s", text[i % 8]);
		total += lookup(word[i]);
	}
	printf("%d words, total score %ld\n", WORDS, total);
	return 0;
}
