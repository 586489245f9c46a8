/* SPDX-License-Identifier: MIT */
/*
 * The few helpers every example needs: allocate a DMABUF, find and claim a
 * port by name, attach a buffer. Copy this file along with an example.
 */
#ifndef _IUB_EXAMPLES_COMMON_H
#define _IUB_EXAMPLES_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/dma-heap.h>

#include <iio_usb_bridge_uring.h>

static inline void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* A DMABUF of @size bytes from the system dma-heap. */
static inline int alloc_dmabuf(size_t size)
{
	struct dma_heap_allocation_data a = {
		.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

	if (heap < 0 || ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a) < 0)
		die("/dev/dma_heap/system", errno);
	close(heap);
	return a.fd;
}

/* Give the bridge a DMABUF; returns its handle in this open file. */
static inline int attach(int bridge, int dmabuf)
{
	struct iub_buf_attach a = { .fd = dmabuf };
	int handle = ioctl(bridge, IUB_IOC_BUF_ATTACH, &a);

	if (handle < 0)
		die("IUB_IOC_BUF_ATTACH", errno);
	return handle;
}

/* Find a port by name ("iub-sim-adc.0:rx", "usb0:in0") and claim it. */
static inline int claim(int bridge, const char *name)
{
	struct iub_port_info ports[64];
	struct iub_query q = { .data = (__u64)(unsigned long)ports,
			       .size = sizeof(ports) };
	int n = ioctl(bridge, IUB_IOC_GET_PORTS, &q);

	for (int i = 0; i < n && i < 64; i++) {
		struct iub_port_claim c = { .port = ports[i].id };

		if (strcmp(ports[i].name, name))
			continue;
		if (ioctl(bridge, IUB_IOC_PORT_CLAIM, &c) < 0)
			die(name, errno);
		return ports[i].id;
	}
	fprintf(stderr, "%s: no such port\n", name);
	exit(1);
}

#endif /* _IUB_EXAMPLES_COMMON_H */
