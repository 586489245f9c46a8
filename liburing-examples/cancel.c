// SPDX-License-Identifier: MIT
/*
 * cancel: cyclic playback, then cancellation. One IUB_XFER_CYCLIC transfer
 * plays a buffer to a DAC over and over without any help from userspace;
 * IUB_IOC_PORT_CANCEL stops the DMA, and the transfer's CQE arrives with
 * -ECANCELED. The same happens on ring exit or when the process dies.
 *
 *   cancel DAC_PORT SECONDS
 *
 * Build: cc -o cancel cancel.c -luring
 */
#include "common.h"

#define BUF_SIZE 65536

int main(int argc, char **argv)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct iub_port_claim c = { 0 };
	int bridge, port, dmabuf, handle, n, ret;
	unsigned int *samples;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DAC_PORT SECONDS\n", argv[0]);
		return 2;
	}
	bridge = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (bridge < 0)
		die(IUB_DEVICE_PATH, errno);
	require_features(bridge, IUB_FEAT_TRANSFER | IUB_FEAT_CYCLIC,
			 "cyclic transfers (IUB_FEAT_CYCLIC)");
	port = claim(bridge, argv[1]);
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret < 0)
		die("io_uring_queue_init", ret);

	/* one period of a ramp, written by the CPU: bracketed by SYNC */
	dmabuf = alloc_dmabuf(BUF_SIZE);
	samples = mmap(NULL, BUF_SIZE, PROT_WRITE, MAP_SHARED, dmabuf, 0);
	if (samples == MAP_FAILED)
		die("mmap", errno);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	for (unsigned int i = 0; i < BUF_SIZE / 4; i++)
		samples[i] = i;
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	munmap(samples, BUF_SIZE);
	handle = attach(bridge, dmabuf);

	sqe = get_sqe(&ring);
	iub_prep_transfer(sqe, bridge, handle, port, 0, BUF_SIZE, IUB_XFER_CYCLIC);
	submit(&ring);
	sleep(strtoul(argv[2], NULL, 0));

	c.port = port;
	n = ioctl(bridge, IUB_IOC_PORT_CANCEL, &c);
	if (n < 0)
		die("IUB_IOC_PORT_CANCEL", errno);
	cqe = wait_cqe(&ring);
	printf("cancel: %d transfer(s) cancelled, CQE res %d (%s)\n", n,
	       cqe->res, cqe->res == -ECANCELED ? "ECANCELED" : strerror(-cqe->res));
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	close(bridge);
	return 0;
}
