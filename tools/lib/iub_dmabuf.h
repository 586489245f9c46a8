/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DMABUFs for the project's programs (iub, the benchmark, the in-VM
 * tests): the one allocator, from udmabuf over a sealed memfd or from the
 * system dma-heap, and the CPU access brackets.
 */
#ifndef IUB_DMABUF_H
#define IUB_DMABUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum iub_dmabuf_src {
	IUB_DMABUF_UDMABUF,	/* /dev/udmabuf over a sealed memfd */
	IUB_DMABUF_HEAP,	/* /dev/dma_heap/system */
	IUB_DMABUF_HUGETLB,	/* /dev/udmabuf over 2 MiB hugetlb pages; the
				 * kernel's vmap of these maps wrong on 6.12
				 * (udmabuf ignores the page's offset in its
				 * folio): DMA only, no kernel CPU path */
};

const char *iub_dmabuf_src_name(enum iub_dmabuf_src src);
int iub_dmabuf_alloc(enum iub_dmabuf_src src, size_t size);
int iub_dmabuf_sync(int fd, uint64_t flags);
bool iub_dma_bounced(void);

#endif /* IUB_DMABUF_H */
