// SPDX-License-Identifier: GPL-2.0
/* dmabuf-count: print the number of DMABUFs alive (for shell leak checks). */
#include "dmabuf_util.h"

int main(void)
{
	int n = dmabuf_count();

	printf("%d\n", n);
	return n < 0;
}
