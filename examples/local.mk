# SPDX-License-Identifier: MIT
# The bundled example: make && examples/demo
noinst_PROGRAMS += examples/demo
examples_demo_SOURCES = examples/demo.c
examples_demo_LDADD = lib/libmemwatch.la -lpthread
