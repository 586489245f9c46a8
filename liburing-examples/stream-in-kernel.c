// SPDX-License-Identifier: MIT
/*
 * stream-in-kernel: the bridge's main job with nothing to do per buffer.
 * One IUB_IOC_STREAM hands the kernel a ring of buffers: the converter
 * fills each, the same buffer goes out over USB bulk IN, and the kernel
 * gives it straight back to the converter, until the byte count. One
 * submission, one completion; the 32-byte CQE says how many bytes went
 * out. Without a byte count (0) it runs until Ctrl-C, which ends it
 * gracefully: the buffers in flight still go out (IUB_CANCEL_DRAIN).
 *
 *   stream-in-kernel CONVERTER_PORT USB_PORT MEBIBYTES
 *   e.g. stream-in-kernel iub-sim-adc.0:rx usb0:in0 256
 *
 * Build: cc -o stream-in-kernel stream-in-kernel.c -luring
 */
#include <signal.h>

#include "common.h"

#define NBUFS 8
#define BUF_SIZE (1 << 20)

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	/* the stream, with its ring of ranges right after it */
	struct {
		struct iub_stream s;
		struct iub_stream_range r[NBUFS];
	} d;
	struct sigaction sa = { .sa_handler = on_sigint };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int bridge, ret, res;
	__u64 sent;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CONVERTER_PORT USB_PORT MEBIBYTES\n", argv[0]);
		return 2;
	}
	memset(&d, 0, sizeof(d));
	d.s.bytes = strtoull(argv[3], NULL, 0) << 20;

	bridge = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (bridge < 0)
		die(IUB_DEVICE_PATH, errno);
	require_features(bridge, IUB_FEAT_STREAM, "streams (IUB_FEAT_STREAM)");
	d.s.from = claim(bridge, argv[1]);
	d.s.to = claim(bridge, argv[2]);
	d.s.nr_ranges = NBUFS;
	for (int i = 0; i < NBUFS; i++) {
		d.r[i].handle = attach(bridge, alloc_dmabuf(BUF_SIZE));
		d.r[i].length = BUF_SIZE;
	}
	/* 32-byte CQEs: the stream's carries the bytes sent */
	ret = io_uring_queue_init(4, &ring, IORING_SETUP_CQE32);
	if (ret < 0)
		die("io_uring_queue_init", ret);
	sigaction(SIGINT, &sa, NULL);	/* no SA_RESTART: the wait returns */

	iub_prep_stream(get_sqe(&ring), bridge, &d.s);
	submit(&ring);
	/* nothing to do per buffer: wait for the end, or drain on Ctrl-C */
	while ((ret = io_uring_wait_cqe(&ring, &cqe)) == -EINTR) {
		struct iub_port_claim c = { .port = d.s.from,
					    .flags = IUB_CANCEL_DRAIN };

		if (stop && ioctl(bridge, IUB_IOC_PORT_CANCEL, &c) < 0)
			die("IUB_IOC_PORT_CANCEL", errno);
	}
	if (ret < 0)
		die("io_uring_wait_cqe", ret);
	res = cqe->res;		/* 0 at the byte count, or -errno */
	sent = cqe->big_cqe[0];
	io_uring_cqe_seen(&ring, cqe);
	if (res < 0)
		die("stream", res);
	printf("stream-in-kernel: %llu bytes from %s to %s\n",
	       (unsigned long long)sent, argv[1], argv[2]);
	io_uring_queue_exit(&ring);
	close(bridge);		/* detaches the buffers, releases the ports */
	return 0;
}
