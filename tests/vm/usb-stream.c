// SPDX-License-Identifier: GPL-2.0
/*
 * usb-stream: the device side of a USB stream through the bridge. Streams
 * DMABUFs filled with the simulated board's stream format out of a bulk IN
 * port, or receives a bulk OUT port's data into DMABUFs and verifies it;
 * several transfers in flight through io_uring. The host side is
 * iub-usb-recv.
 *
 *   usb-stream in|out PORT BYTES [SIZE [QUEUE [heap]]]
 *
 * Exit 0 when BYTES went through (and, for out, verified); prints a line.
 * Exit 1 on an error, and when no transfer ends for an eighth of the
 * test's time limit (IUB_TEST_LIMIT, at least 60 s).
 */
#include <stdlib.h>
#include <time.h>

#include "dmabuf_util.h"
#include "iub_test.h"
#include "../../sim/iub_sim_stream.h"

static int die(const char *what, int err)
{
	err = err < 0 ? -err : err;
	printf("usb-stream: %s: %s (errno %d)\n", what, strerror(err), err);
	exit(1);
}

int main(int argc, char **argv)
{
	struct dmabuf bufs[16];
	struct iub_sim_stream_check chk;
	struct io_uring ring;
	unsigned long long total, done = 0, submitted = 0;
	unsigned int size = 1 << 20, queue = 8, i, stall_s = 0;
	enum dmabuf_kind kind = DMABUF_UDMABUF;
	struct timespec t0, t1;
	__u32 next = 0x20000000;
	int fd, port, h[16];
	bool in;

	if (argc < 4) {
		fprintf(stderr, "usage: usb-stream in|out PORT BYTES [SIZE [QUEUE [heap]]]\n");
		return 2;
	}
	in = !strcmp(argv[1], "in");
	total = strtoull(argv[3], NULL, 0);
	if (argc > 4)
		size = strtoul(argv[4], NULL, 0);
	if (argc > 5)
		queue = strtoul(argv[5], NULL, 0);
	if (argc > 6 && !strcmp(argv[6], "heap"))
		kind = DMABUF_HEAP;
	if (!queue || queue > 16 || !size)
		return 2;

	fd = iub_test_open();
	if (fd < 0)
		die("open", errno);
	port = iub_test_claim(fd, argv[2]);
	if (port < 0)
		die(argv[2], port);
	if (io_uring_queue_init(32, &ring, 0))
		die("io_uring", errno);
	iub_sim_stream_check_init(&chk);
	for (i = 0; i < queue; i++) {
		/* DMABUFs are whole pages; transfers may be shorter */
		int ret = dmabuf_create(&bufs[i], kind, (size + 4095) & ~4095u);

		if (ret)
			die("dmabuf", ret);
		h[i] = iub_test_attach(fd, bufs[i].fd);
		if (h[i] < 0)
			die("attach", h[i]);
	}

	/*
	 * A transfer that never ends (a lost short packet, a miscounted
	 * length) fails the stream by name well before the test's own limit.
	 */
	if (getenv("IUB_TEST_LIMIT"))
		stall_s = strtoul(getenv("IUB_TEST_LIMIT"), NULL, 10) / 8;
	if (stall_s < 60)
		stall_s = 60;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < queue && submitted < total; i++) {
		unsigned int len = total - submitted < size ? total - submitted : size;

		if (in)
			next = iub_sim_stream_fill(bufs[i].map, len / 4, next);
		iub_test_queue_xfer(&ring, fd, h[i], port, 0, len, 0, i);
		submitted += len;
	}
	io_uring_submit(&ring);
	/* tests wait for this line before they pull the rug */
	printf("usb-stream: %u transfers in flight\n", i);
	fflush(stdout);
	while (done < submitted) {
		__u64 ud = ~0ULL;
		int res = iub_test_wait_cqe(&ring, stall_s * 1000, &ud);

		if (res == -ETIME) {
			printf("usb-stream: no transfer ended within %u s, %llu of %llu bytes done: timed out\n",
			       stall_s, done, submitted);
			exit(1);
		}
		if (res < 0)
			die("transfer", res);
		if (!in) {
			dmabuf_sync(&bufs[ud], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
			iub_sim_stream_check_buf(&chk, bufs[ud].map, res);
			dmabuf_sync(&bufs[ud], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		}
		done += res;
		if (submitted < total) {
			unsigned int len = total - submitted < size ? total - submitted : size;

			if (in)
				next = iub_sim_stream_fill(bufs[ud].map, len / 4, next);
			iub_test_queue_xfer(&ring, fd, h[ud], port, 0, len, 0, ud);
			io_uring_submit(&ring);
			submitted += len;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("usb-stream: %s %llu bytes through %s in %.2f s",
	       in ? "sent" : "received", done, argv[2],
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (!in)
		printf(", verified: %s (%llu mismatches)",
		       chk.mismatches ? "no" : "yes",
		       (unsigned long long)chk.mismatches);
	printf("\n");
	return !in && (chk.mismatches || chk.words * 4 != done);
}
