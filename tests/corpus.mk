# SPDX-License-Identifier: MIT
# t-corpus: the differential instruction corpus (each form run unwatched and
# watched in forked children; registers, flags, vectors, memory and counts
# compared).
check_PROGRAMS += tests/t-corpus
TESTS += tests/t-corpus
tests_t_corpus_SOURCES = tests/t-corpus.c
tests_t_corpus_LDADD = $(MW_TEST_LIBS)
