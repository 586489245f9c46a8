// SPDX-License-Identifier: GPL-2.0
/*
 * iub-ports: list the bridge's ports, one per line, for shell tests:
 *   ID NAME DIRECTION FLAG,FLAG,...
 */
#include "iub_test.h"

int main(void)
{
	static const char * const names[] = {
		"CLAIMED", "BUSY", "ABSENT", "DMA_VEC", "SLAVE_SG", "CYCLIC",
		"USB_SG", "USB_CPU", "ONLINE",
	};
	struct iub_port_info p[64];
	struct iub_query q = { .data = (__u64)(unsigned long)p, .size = sizeof(p) };
	int fd = iub_test_open(), n;

	if (fd < 0)
		return 1;
	n = ioctl(fd, IUB_IOC_GET_PORTS, &q);
	if (n < 0)
		return 1;
	for (int i = 0; i < n && i < 64; i++) {
		printf("%u %s %s ", p[i].id, p[i].name,
		       p[i].direction == IUB_DIR_TO_MEM ? "to_mem" : "from_mem");
		for (unsigned int b = 0; b < sizeof(names) / sizeof(names[0]); b++)
			if (p[i].flags & (1u << b))
				printf("%s,", names[b]);
		printf("\n");
	}
	return 0;
}
