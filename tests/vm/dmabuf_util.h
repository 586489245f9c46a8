/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DMABUFs for the in-VM tests: from udmabuf (a sealed memfd) or from the
 * system dma-heap, mapped for the CPU, with DMA_BUF_IOCTL_SYNC brackets and
 * a count of the DMABUFs alive in the system (for leak checks).
 */
#ifndef _DMABUF_UTIL_H
#define _DMABUF_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "iub_dmabuf.h"

enum dmabuf_kind { DMABUF_UDMABUF, DMABUF_HEAP };

/*
 * Whether the kernel bounces every DMA mapping (booted with swiotlb=force,
 * the suite's bounce lane): see iub_dma_bounced(). In this lane the tests
 * do not ask the exporter: dmabuf_sync() waits for the fences with poll()
 * only, and the data is what the bridge's own syncs put there.
 */
static inline int dmabuf_bounced(void)
{
	return iub_dma_bounced();
}

/*
 * The largest dma-heap buffer every device can map: the system heap
 * allocates pieces of up to 1 MiB, and bounce buffering maps at most
 * 256 KiB in one piece (dma_max_mapping_size()), so a larger heap buffer
 * cannot be mapped at all there (the bridge reports the exporter's -EIO).
 */
static inline size_t dmabuf_heap_max(void)
{
	return dmabuf_bounced() ? 256 * 1024 : (size_t)-1;
}

struct dmabuf {
	int fd;		/* the DMABUF */
	size_t size;
	void *map;	/* CPU mapping of the DMABUF */
};

static inline const char *dmabuf_kind_name(enum dmabuf_kind kind)
{
	return kind == DMABUF_UDMABUF ? "udmabuf" : "dma-heap";
}

/* Returns 0 or -errno. */
static inline int dmabuf_create(struct dmabuf *b, enum dmabuf_kind kind,
				size_t size)
{
	int err;

	memset(b, 0, sizeof(*b));
	b->size = size;
	b->fd = iub_dmabuf_alloc(kind == DMABUF_HEAP ? IUB_DMABUF_HEAP :
				 IUB_DMABUF_UDMABUF, size);
	if (b->fd < 0)
		return b->fd;
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (b->map == MAP_FAILED) {
		err = -errno;
		close(b->fd);
		b->fd = -1;
		b->map = NULL;
		return err;
	}
	/*
	 * udmabuf (6.12) maps its pages for the CPU at the first
	 * DMA_BUF_IOCTL_SYNC, in that call's direction, and syncs later calls
	 * in theirs: a read-only first sync and a read-write one later is a
	 * DMA-API debugging report (an upstream bug, not ours). A first sync
	 * for both directions maps them bidirectionally, which any later
	 * direction may sync.
	 */
	if (kind == DMABUF_UDMABUF && !dmabuf_bounced()) {
		struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };

		ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s);
		s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
		ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s);
	}
	return 0;
}

static inline void dmabuf_destroy(struct dmabuf *b)
{
	if (b->map)
		munmap(b->map, b->size);
	if (b->fd >= 0)
		close(b->fd);
	b->map = NULL;
	b->fd = -1;
}

/*
 * @n distinct small DMABUFs (udmabuf, one page each): a file attaches a
 * DMABUF once, so limits are reached with many. NULL on failure.
 */
static inline struct dmabuf *dmabuf_create_many(int n)
{
	struct dmabuf *b = calloc(n, sizeof(*b));

	if (!b)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (dmabuf_create(&b[i], DMABUF_UDMABUF, 4096)) {
			while (i--)
				dmabuf_destroy(&b[i]);
			free(b);
			return NULL;
		}
	}
	return b;
}

static inline void dmabuf_destroy_many(struct dmabuf *b, int n)
{
	for (int i = 0; i < n; i++)
		dmabuf_destroy(&b[i]);
	free(b);
}

/*
 * Bracket CPU access; START waits for the DMABUF's fences (the writers'
 * for a read, all of them for a write). In the bounce lane only the wait
 * (see dmabuf_bounced()).
 */
static inline int dmabuf_sync(struct dmabuf *b, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	if (dmabuf_bounced()) {
		struct pollfd p = {
			.fd = b->fd,
			.events = flags & DMA_BUF_SYNC_WRITE ? POLLOUT : POLLIN,
		};

		if (flags & DMA_BUF_SYNC_END)
			return 0;
		return poll(&p, 1, -1) == 1 ? 0 : -EIO;
	}
	return ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

/*
 * DMABUFs alive in the system, from debugfs (bufinfo's "Total N objects"),
 * or -1 if it cannot be read.
 */
static inline int dmabuf_count(void)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[256];
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Total %d objects", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * How many devices the DMABUF is attached to (debugfs bufinfo, the entry
 * whose inode is the DMABUF's); -1 if it is not listed.
 */
static inline int dmabuf_attachments(const struct dmabuf *b)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	unsigned long ino;
	char line[256];
	struct stat st;
	int n = -1, found = 0;

	if (!f)
		return -1;
	if (fstat(b->fd, &st)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		/* size flags mode count exp_name ino name */
		if (sscanf(line, "%*u %*x %*x %*d %*s %lu", &ino) == 1)
			found = ino == (unsigned long)st.st_ino;
		else if (found && sscanf(line, "Total %d devices attached", &n) == 1)
			break;
	}
	fclose(f);
	return n;
}

/* Wait up to @ms for the count to drop to @want; returns the last count. */
static inline int dmabuf_count_settle(int want, unsigned int ms)
{
	int n = dmabuf_count();

	for (unsigned int t = 0; n != want && t < ms; t += 20) {
		usleep(20000);
		n = dmabuf_count();
	}
	return n;
}

#endif /* _DMABUF_UTIL_H */
