// SPDX-License-Identifier: MIT
/*
 * stream-to-usb: the bridge's main job. A converter fills buffers and the
 * same buffers go out over USB bulk IN, entirely in the kernel: one
 * IUB_IOC_ROUTE per buffer. Userspace only recycles buffers: reap a CQE,
 * submit that buffer's route again. No read(), no write(), no copy.
 *
 *   stream-to-usb CONVERTER_PORT USB_PORT MEBIBYTES
 *   e.g. stream-to-usb iub-sim-adc.0:rx usb0:in0 256
 *
 * Build: cc -o stream-to-usb stream-to-usb.c -luring
 */
#include "common.h"

#define NBUFS 8
#define BUF_SIZE (1 << 20)

int main(int argc, char **argv)
{
	int bridge, from, to, handle[NBUFS], ret;
	unsigned long long want, done = 0, queued = 0;
	struct io_uring ring;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CONVERTER_PORT USB_PORT MEBIBYTES\n", argv[0]);
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

	/* Buffers are attached once and reused for the whole stream. */
	for (int i = 0; i < NBUFS; i++)
		handle[i] = attach(bridge, alloc_dmabuf(BUF_SIZE));

	/* Fill the pipeline: one route per buffer. */
	for (int i = 0; i < NBUFS && queued < want; i++, queued += BUF_SIZE) {
		struct io_uring_sqe *sqe = get_sqe(&ring);

		iub_prep_route(sqe, bridge, handle[i], from, to, 0, BUF_SIZE, 0);
		sqe->user_data = i;
	}
	submit(&ring);

	/* Steady state: each completion hands its buffer straight back. */
	while (done < queued) {
		struct io_uring_cqe *cqe = wait_cqe(&ring);
		int i, res;

		i = cqe->user_data;
		res = cqe->res;		/* bytes sent, or -errno */
		io_uring_cqe_seen(&ring, cqe);
		if (res < 0)
			die("route", res);
		done += res;
		if (queued < want) {
			struct io_uring_sqe *sqe = get_sqe(&ring);

			iub_prep_route(sqe, bridge, handle[i], from, to, 0,
				       BUF_SIZE, 0);
			sqe->user_data = i;
			submit(&ring);
			queued += BUF_SIZE;
		}
	}
	printf("stream-to-usb: %llu bytes from %s to %s\n", done, argv[1], argv[2]);
	io_uring_queue_exit(&ring);
	close(bridge);		/* detaches the buffers, releases the ports */
	return 0;
}
