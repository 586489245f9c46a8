// SPDX-License-Identifier: GPL-2.0
/*
 * The DMABUF allocator of every program of the project (iub_dmabuf.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "iub_dmabuf.h"

/**
 * iub_dmabuf_src_name() - where a DMABUF comes from, for messages
 * @src: the source
 *
 * Return: the device file's name.
 */
const char *iub_dmabuf_src_name(enum iub_dmabuf_src src)
{
	switch (src) {
	case IUB_DMABUF_HEAP:
		return "/dev/dma_heap/system";
	case IUB_DMABUF_HUGETLB:
		return "/dev/udmabuf (hugetlb)";
	default:
		return "/dev/udmabuf";
	}
}

#define HUGE_2M ((size_t)2 << 20)
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21u << 26)	/* linux/memfd.h: log2(2 MiB) << MFD_HUGE_SHIFT */
#endif

/*
 * @huge: the memfd's pages are 2 MiB hugetlb pages (the system must have
 * them reserved: /proc/sys/vm/nr_hugepages); the memfd is a whole number
 * of them, the DMABUF @size.
 */
static int udmabuf_alloc(size_t size, bool huge)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	size_t len = huge ? (size + HUGE_2M - 1) / HUGE_2M * HUGE_2M : size;
	unsigned int flags = MFD_ALLOW_SEALING | MFD_CLOEXEC;
	int memfd, dev, fd;

	if (huge)
		flags |= MFD_HUGETLB | MFD_HUGE_2MB;
	memfd = memfd_create("iub", flags);
	if (memfd < 0)
		return -errno;
	/* udmabuf wants the memfd sealed against shrinking */
	if (ftruncate(memfd, (off_t)len) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		fd = -errno;
		goto close_memfd;
	}
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		fd = -errno;
		goto close_memfd;
	}
	c.memfd = (__u32)memfd;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	if (fd < 0)
		fd = -errno;
	close(dev);
close_memfd:
	close(memfd);
	return fd;
}

static int heap_alloc(size_t size)
{
	struct dma_heap_allocation_data a = {
		.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	int dev, fd;

	dev = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	fd = ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &a) < 0 ? -errno : (int)a.fd;
	close(dev);
	return fd;
}

/**
 * iub_dmabuf_alloc() - allocate a DMABUF
 * @src: udmabuf (a sealed memfd, of 4 KiB or of 2 MiB hugetlb pages) or
 *	the system dma-heap
 * @size: bytes; udmabuf refuses more than its size_limit_mb parameter
 *
 * Return: the DMABUF's file descriptor (close-on-exec), or -errno.
 */
int iub_dmabuf_alloc(enum iub_dmabuf_src src, size_t size)
{
	switch (src) {
	case IUB_DMABUF_HEAP:
		return heap_alloc(size);
	case IUB_DMABUF_HUGETLB:
		return udmabuf_alloc(size, true);
	default:
		return udmabuf_alloc(size, false);
	}
}

/**
 * iub_dmabuf_sync() - DMA_BUF_IOCTL_SYNC, repeated while the kernel asks
 * @fd: the DMABUF
 * @flags: DMA_BUF_SYNC_START or _END with _READ, _WRITE or _RW
 *
 * CPU access to a mapped DMABUF goes between a START and an END.
 *
 * Return: 0 or -errno.
 */
int iub_dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) < 0)
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	return 0;
}

/**
 * iub_dma_bounced() - whether the kernel bounces every DMA mapping
 *
 * Booted with swiotlb=force: the test suite's bounce lane and the
 * benchmark's bounced lane. Exporters then cannot be trusted with CPU
 * access brackets: udmabuf and the system heap sync their own mappings
 * (bounce buffers too) in the direction userspace asks, copying stale
 * bounce buffers over the data devices wrote (upstream, 6.12; on real
 * hardware those calls are cache maintenance and right).
 *
 * Return: true when /proc/cmdline forces swiotlb.
 */
bool iub_dma_bounced(void)
{
	static int bounced = -1;
	char line[4096] = "";
	FILE *f;

	if (bounced >= 0)
		return bounced;
	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	bounced = strstr(line, "swiotlb=force") ||
		  (strstr(line, "swiotlb=") && strstr(line, ",force"));
	return bounced;
}
