// SPDX-License-Identifier: MIT
/*
 * usb-to-dac: playback. The host sends samples on USB bulk OUT; each
 * buffer that arrives goes to the DAC, in the kernel (IUB_IOC_ROUTE from
 * the USB port to the converter port). A short USB transfer (the host
 * ended it with a short packet) plays only what arrived.
 *
 *   usb-to-dac USB_PORT DAC_PORT MEBIBYTES
 *   e.g. usb-to-dac usb0:out0 iub-sim-dac.0:tx 64
 *
 * Build: cc -o usb-to-dac usb-to-dac.c -luring
 */
#include "common.h"

#define NBUFS 8
#define BUF_SIZE (1 << 20)

int main(int argc, char **argv)
{
	unsigned long long want, played = 0;
	int bridge, from, to, handle[NBUFS], inflight = 0, ret;
	struct io_uring ring;

	if (argc != 4) {
		fprintf(stderr, "usage: %s USB_PORT DAC_PORT MEBIBYTES\n", argv[0]);
		return 2;
	}
	want = strtoull(argv[3], NULL, 0) << 20;

	bridge = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (bridge < 0)
		die(IUB_DEVICE_PATH, errno);
	/* routes are a feature of their own: ask before relying on them */
	require_features(bridge, IUB_FEAT_ROUTE, "routes (IUB_FEAT_ROUTE)");
	from = claim(bridge, argv[1]);
	to = claim(bridge, argv[2]);
	ret = io_uring_queue_init(2 * NBUFS, &ring, 0);
	if (ret < 0)
		die("io_uring_queue_init", ret);
	for (int i = 0; i < NBUFS; i++) {
		struct io_uring_sqe *sqe = get_sqe(&ring);

		handle[i] = attach(bridge, alloc_dmabuf(BUF_SIZE));
		iub_prep_route(sqe, bridge, handle[i], from, to, 0, BUF_SIZE, 0);
		sqe->user_data = i;
		inflight++;
	}
	submit(&ring);

	while (played < want) {
		struct io_uring_cqe *cqe = wait_cqe(&ring);
		struct io_uring_sqe *sqe;
		int i, res;

		i = cqe->user_data;
		res = cqe->res;		/* bytes played, or -errno */
		io_uring_cqe_seen(&ring, cqe);
		inflight--;
		if (res < 0)
			die("route", res);
		played += res;
		sqe = get_sqe(&ring);
		iub_prep_route(sqe, bridge, handle[i], from, to, 0, BUF_SIZE, 0);
		sqe->user_data = i;
		submit(&ring);
		inflight++;
	}
	printf("usb-to-dac: %llu bytes from %s played on %s\n", played,
	       argv[1], argv[2]);
	/* The routes still waiting for the host end when the file closes
	 * after the ring: exiting the ring cancels them (ECANCELED). */
	io_uring_queue_exit(&ring);
	close(bridge);
	return 0;
}
