/* SPDX-License-Identifier: MIT */
/*
 * follow.c - the target of the follow-*.gdb cases: watches of expressions
 * whose address depends on other memory (ptr->val, *ip, hold.b[idx]), in
 * the manner of GDB's own watchpoint tests (and cur->val in walk, with cur
 * a local): the pointer or the index
 * changes, to an object with another value, to one with the same value,
 * and the object it no longer points to is written.  GDB's `watch EXPR`
 * follows the pointer; so must `mwatch EXPR`.  Not linked with
 * libmemwatch.  The scripts name line numbers of this file: keep them when
 * editing.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stdio.h>

struct node {
	int val;
	struct node *next;
};

struct node n1 = { 1, 0 }, n2 = { 5, 0 }, n3 = { 6, 0 };
struct node *volatile ptr = &n1;
int ia = 10, ib = 20;
int *volatile ip = &ia;
struct holder {
	int b[4];
} hold = { { 100, 101, 102, 103 } };
volatile int idx;
struct node head = { 0, &n1 };
struct node *volatile list = &head;

__attribute__((noipa)) static void marker(void)
{
	__asm__ volatile("" ::: "memory");
}

/* A watch of cur->val follows cur, a local: it ends when walk returns. */
__attribute__((noipa)) static int walk(struct node *start)
{
	struct node *volatile cur = start;

	cur->val += 1;          /* n1: 30 -> 31 */
	cur = &n2;              /* 31 -> 6 */
	cur->val += 1;          /* 6 -> 7 */
	return cur->val;
}

int main(void)
{
	marker();
	ptr->val = 2;           /* the object: 1 -> 2 */
	ptr = &n2;              /* the pointer: the value 2 -> 5 */
	n1.val = 7;             /* the old object: no stop */
	ptr->val = 6;           /* 5 -> 6 */
	ptr = &n3;              /* n3.val is 6 too: no change, no stop */
	ptr->val = 8;           /* 6 -> 8 */
	marker();
	*ip = 11;               /* 10 -> 11 */
	ip = &ib;               /* 11 -> 20 */
	ia = 12;                /* the old object: no stop */
	*ip = 21;               /* 20 -> 21 */
	marker();
	hold.b[idx] = 99;       /* 100 -> 99 */
	idx = 2;                /* 99 -> 102 */
	hold.b[0] = 1;          /* no stop */
	hold.b[2] = 3;          /* 102 -> 3 */
	marker();
	list->next->val = 30;   /* n1: 7 -> 30 */
	head.next = &n2;        /* the middle pointer: 30 -> 6 */
	list = &n3;             /* the first: n3.next is null: unreadable */
	n3.next = &n1;          /* readable again: 30 */
	marker();
	walk(&n1);
	printf("n1=%d n2=%d n3=%d ia=%d ib=%d b=%d,%d,%d\n", n1.val, n2.val, n3.val, ia, ib,
	       hold.b[0], hold.b[1], hold.b[2]);
	return 0;
}
