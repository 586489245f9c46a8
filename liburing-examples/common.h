/* SPDX-License-Identifier: MIT */
/*
 * The few helpers every example needs: allocate a DMABUF, bracket CPU
 * access to it, find and claim a port by name, attach a buffer, check the
 * module's features, and fail clearly. Copy this file along with an example.
 *
 * Errors: system calls (open, ioctl, mmap) return -1 and set errno;
 * liburing's functions return -errno themselves and leave errno alone, so
 * their result is what to report: die("...", ret), never errno.
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
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include <iio_usb_bridge_uring.h>

/* Print "what: reason" and exit; @err is an errno, positive or negative. */
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

/*
 * Bracket CPU access to a DMABUF's mmap(): DMA_BUF_SYNC_START before the
 * first access, DMA_BUF_SYNC_END after the last, each with DMA_BUF_SYNC_READ
 * and/or DMA_BUF_SYNC_WRITE for what the CPU does. START waits for the
 * fences of the buffer's writers (and, for a write, its readers) and hands
 * the memory to the CPU; END hands it back to the devices. The kernel may
 * ask for the call again (EINTR, EAGAIN); any other failure is fatal here.
 */
static inline void dmabuf_sync(int dmabuf, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	while (ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &sync) < 0) {
		if (errno != EINTR && errno != EAGAIN)
			die("DMA_BUF_IOCTL_SYNC", errno);
	}
}

/*
 * Exit with a message unless the loaded module has every feature in @want
 * (IUB_FEAT_* bits, IUB_IOC_GET_FEATURES): an older module, or one built
 * without a part, says so here rather than by failing a command later.
 */
static inline void require_features(int bridge, __u64 want, const char *what)
{
	struct iub_features f;
	struct iub_query q = { .data = (__u64)(unsigned long)&f,
			       .size = sizeof(f) };

	if (ioctl(bridge, IUB_IOC_GET_FEATURES, &q) < 0)
		die("IUB_IOC_GET_FEATURES", errno);
	if ((f.features & want) != want) {
		fprintf(stderr, "this iio_usb_bridge module has no %s "
			"(features 0x%llx, needed 0x%llx)\n", what,
			(unsigned long long)f.features,
			(unsigned long long)want);
		exit(1);
	}
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

	if (n < 0)
		die("IUB_IOC_GET_PORTS", errno);
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

/* An SQE of @ring; the examples never queue more than the ring holds. */
static inline struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		die("io_uring_get_sqe", EBUSY);
	return sqe;
}

/* io_uring_submit(), which returns the SQEs submitted or -errno. */
static inline void submit(struct io_uring *ring)
{
	int ret = io_uring_submit(ring);

	if (ret < 0)
		die("io_uring_submit", ret);
}

/* Wait for the next CQE; io_uring_wait_cqe() returns 0 or -errno. */
static inline struct io_uring_cqe *wait_cqe(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(ring, &cqe);

	if (ret < 0)
		die("io_uring_wait_cqe", ret);
	return cqe;
}

#endif /* _IUB_EXAMPLES_COMMON_H */
