// SPDX-License-Identifier: MIT
/*
 * capture-to-file: fill DMABUFs from a converter with IUB_IOC_TRANSFER,
 * several in flight, and write each one to a file as it completes. The
 * file write copies; everything before it does not. Waiting for the
 * buffer before reading it is implicit: DMA_BUF_IOCTL_SYNC waits for the
 * bridge's fence, and the CQE comes after the fence has signalled anyway.
 *
 *   capture-to-file CONVERTER_PORT FILE MEBIBYTES
 *
 * Build: cc -o capture-to-file capture-to-file.c -luring
 */
#include <linux/dma-buf.h>

#include "common.h"

#define NBUFS 4
#define BUF_SIZE (1 << 20)

int main(int argc, char **argv)
{
	int bridge, port, out, dmabuf[NBUFS], handle[NBUFS];
	unsigned long long want, done = 0, queued = 0;
	void *map[NBUFS];
	struct io_uring ring;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CONVERTER_PORT FILE MEBIBYTES\n", argv[0]);
		return 2;
	}
	want = strtoull(argv[3], NULL, 0) << 20;
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		die(argv[2], errno);
	bridge = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (bridge < 0)
		die(IUB_DEVICE_PATH, errno);
	port = claim(bridge, argv[1]);
	if (io_uring_queue_init(2 * NBUFS, &ring, 0))
		die("io_uring_queue_init", errno);

	for (int i = 0; i < NBUFS; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		dmabuf[i] = alloc_dmabuf(BUF_SIZE);
		map[i] = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, dmabuf[i], 0);
		if (map[i] == MAP_FAILED)
			die("mmap", errno);
		handle[i] = attach(bridge, dmabuf[i]);
		iub_prep_transfer(sqe, bridge, handle[i], port, 0, BUF_SIZE, 0);
		sqe->user_data = i;
		queued += BUF_SIZE;
	}
	io_uring_submit(&ring);

	while (done < want) {
		struct dma_buf_sync sync = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
		struct io_uring_cqe *cqe;
		int i, res;

		if (io_uring_wait_cqe(&ring, &cqe))
			die("io_uring_wait_cqe", errno);
		i = cqe->user_data;
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (res < 0)
			die("transfer", res);

		/* CPU access is bracketed, as for any DMABUF */
		ioctl(dmabuf[i], DMA_BUF_IOCTL_SYNC, &sync);
		if (write(out, map[i], res) != res)
			die("write", errno);
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
		ioctl(dmabuf[i], DMA_BUF_IOCTL_SYNC, &sync);
		done += res;

		if (queued < want) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			iub_prep_transfer(sqe, bridge, handle[i], port, 0, BUF_SIZE, 0);
			sqe->user_data = i;
			io_uring_submit(&ring);
			queued += BUF_SIZE;
		}
	}
	/* the transfers still in flight are cancelled by the ring's exit */
	io_uring_queue_exit(&ring);
	printf("capture-to-file: %llu bytes from %s in %s\n", done, argv[1], argv[2]);
	close(bridge);
	close(out);
	return 0;
}
