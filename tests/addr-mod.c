/* SPDX-License-Identifier: MIT */
/* addr-mod.c - a library for t-addrspace to dlopen, watch and dlclose. */
int addr_mod_array[1024] __attribute__((aligned(4096)));
int addr_mod_sum(void);

int addr_mod_sum(void)
{
	int s = 0;

	for (int i = 0; i < 1024; i++)
		s += addr_mod_array[i];
	return s;
}
