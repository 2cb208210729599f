/* SPDX-License-Identifier: MIT */
/* plt-lib.h - what tests/gdb/libmwplt.so exports. */
#ifndef MW_TEST_PLT_LIB_H
#define MW_TEST_PLT_LIB_H
int mwplt_add(int a, int b);
int mwplt_twice(int a);
int *mwplt_own(void);
extern int mwplt_shared;
#endif
