# SPDX-License-Identifier: MIT
# Stress: threads mixing watch, unwatch and accesses of every kind, checked
# against the final memory, the counts and the log.  `make check` runs two
# seconds of it (seed printed); `make stress` runs minutes:
#     make stress STRESS_SECONDS=600 STRESS_SEED=12345
check_PROGRAMS += tests/t-stress
TESTS += tests/t-stress
tests_t_stress_SOURCES = tests/t-stress.c
tests_t_stress_LDADD = $(MW_TEST_LIBS)

STRESS_SECONDS = 180
STRESS_SEED =
stress: tests/t-stress
	STRESS_SECONDS=$(STRESS_SECONDS) STRESS_SEED=$(STRESS_SEED) $(MW_SAN_ENV) tests/t-stress
.PHONY: stress
