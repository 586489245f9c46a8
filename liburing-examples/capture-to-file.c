// SPDX-License-Identifier: MIT
/*
 * capture-to-file: fill DMABUFs from a converter with IUB_IOC_TRANSFER,
 * several in flight, and write each one to a file as it completes. The
 * file write copies; everything before it does not. The CPU reads each
 * buffer between DMA_BUF_IOCTL_SYNC START and END, as every CPU access to a
 * DMABUF must be: START waits for the bridge's fence (the CQE comes after
 * it has signalled anyway) and hands the memory to the CPU.
 *
 *   capture-to-file CONVERTER_PORT FILE MEBIBYTES
 *
 * Build: cc -o capture-to-file capture-to-file.c -luring
 */
#include "common.h"

#define NBUFS 4
#define BUF_SIZE (1 << 20)

int main(int argc, char **argv)
{
	int bridge, port, out, dmabuf[NBUFS], handle[NBUFS], ret;
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
	require_features(bridge, IUB_FEAT_TRANSFER, "transfers (IUB_FEAT_TRANSFER)");
	port = claim(bridge, argv[1]);
	ret = io_uring_queue_init(2 * NBUFS, &ring, 0);
	if (ret < 0)
		die("io_uring_queue_init", ret);

	for (int i = 0; i < NBUFS; i++) {
		struct io_uring_sqe *sqe = get_sqe(&ring);

		dmabuf[i] = alloc_dmabuf(BUF_SIZE);
		map[i] = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, dmabuf[i], 0);
		if (map[i] == MAP_FAILED)
			die("mmap", errno);
		handle[i] = attach(bridge, dmabuf[i]);
		iub_prep_transfer(sqe, bridge, handle[i], port, 0, BUF_SIZE, 0);
		sqe->user_data = i;
		queued += BUF_SIZE;
	}
	submit(&ring);

	while (done < want) {
		struct io_uring_cqe *cqe = wait_cqe(&ring);
		int i, res;

		i = cqe->user_data;
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (res < 0)
			die("transfer", res);

		/* CPU access is bracketed, as for any DMABUF */
		dmabuf_sync(dmabuf[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		if (write(out, map[i], res) != res)
			die("write", errno);
		dmabuf_sync(dmabuf[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		done += res;

		if (queued < want) {
			struct io_uring_sqe *sqe = get_sqe(&ring);

			iub_prep_transfer(sqe, bridge, handle[i], port, 0, BUF_SIZE, 0);
			sqe->user_data = i;
			submit(&ring);
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
