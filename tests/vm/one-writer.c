// SPDX-License-Identifier: GPL-2.0
/*
 * one-writer: one device at a time may write a buffer. A DMABUF attached
 * by a file that holds a converter capture port (the simulated DMA
 * engine's device) and a USB OUT port (the simulated SG UDC's device) is
 * mapped writable for one of them only: never two overlapping mappings
 * that devices may write (the DMA API forbids them; DMA_API_DEBUG reports
 * "cacheline tracking EEXIST"), and with bounce buffers the second
 * mapping's unmap would copy its stale bounce buffer over the first
 * device's data. A transfer for the other device takes the buffer over
 * once no transfer of the first is in flight, and is refused with EBUSY
 * while one is.
 *
 *   one-writer USB_OUT_PORT	(after usb_setup sim: "usb0:out0")
 *
 * Prints "ok - " / "not ok - " lines; exit 0 on success, 1 on failure.
 */
#include <stdbool.h>

#include "dmabuf_util.h"
#include "iub_test.h"
#include "sim_util.h"

#define SIZE 65536

static int failed;

#define CHECK(cond, ...) do {						\
	bool ok_ = (cond);						\
	printf("%s - ", ok_ ? "ok" : "not ok");			\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	fflush(stdout);							\
	if (!ok_)							\
		failed = 1;						\
} while (0)

static int claim_op(int fd, unsigned long op, int port)
{
	struct iub_port_claim c = { .port = port };

	return iub_test_ioctl(fd, op, &c);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct dmabuf b;
	int fd, adc, out, h, ret, n;
	__u64 ud;

	if (argc != 2) {
		fprintf(stderr, "usage: one-writer USB_OUT_PORT\n");
		return 2;
	}
	fd = iub_test_open();
	if (fd < 0 || io_uring_queue_init(8, &ring, 0) ||
	    dmabuf_create(&b, DMABUF_UDMABUF, SIZE)) {
		printf("not ok - set-up\n");
		return 1;
	}
	sim_restore(SIM_CH_ADC0);
	adc = iub_test_claim(fd, SIM_ADC0);
	out = iub_test_claim(fd, argv[1]);
	h = iub_test_attach(fd, b.fd);
	if (adc < 0 || out < 0 || h < 0) {
		printf("not ok - claim %s and %s, attach: %d %d %d\n", SIM_ADC0,
		       argv[1], adc, out, h);
		return 1;
	}
	n = dmabuf_attachments(&b);
	CHECK(n == 1, "attached with two writing ports: %d mapping(s), 1 expected", n);

	/* the converter's transfer in flight: the UDC may not write the buffer */
	sim_set(SIM_CH_ADC0, "stall", 1);
	ret = iub_test_queue_xfer(&ring, fd, h, adc, 0, SIZE, 0, 1);
	CHECK(!ret && io_uring_submit(&ring) == 1, "capture queued");
	ret = iub_test_queue_xfer(&ring, fd, h, out, 0, SIZE, 0, 2);
	CHECK(!ret && io_uring_submit(&ring) == 1, "USB OUT transfer submitted");
	ud = 0;
	ret = iub_test_wait_cqe(&ring, 5000, &ud);
	CHECK(ret == -EBUSY && ud == 2,
	      "USB OUT transfer while the converter writes: %d (ud %llu), -EBUSY expected",
	      ret, (unsigned long long)ud);
	ret = claim_op(fd, IUB_IOC_PORT_CANCEL, adc);
	CHECK(ret == 1, "converter cancelled: %d", ret);
	ret = iub_test_wait_cqe(&ring, 5000, &ud);
	CHECK(ret == -ECANCELED && ud == 1, "capture: %d, -ECANCELED expected", ret);
	sim_set(SIM_CH_ADC0, "stall", 0);

	/* idle: the UDC takes the buffer over, and the converter takes it back */
	ret = iub_test_queue_xfer(&ring, fd, h, out, 0, SIZE, 0, 3);
	CHECK(!ret && io_uring_submit(&ring) == 1, "USB OUT transfer submitted");
	ret = iub_test_wait_cqe(&ring, 500, &ud);
	CHECK(ret == -ETIME, "USB OUT transfer waits for the paused host: %d", ret);
	n = dmabuf_attachments(&b);
	CHECK(n == 1, "the UDC writes the buffer: %d mapping(s), 1 expected", n);
	ret = claim_op(fd, IUB_IOC_PORT_CANCEL, out);
	CHECK(ret == 1, "USB OUT cancelled: %d", ret);
	ret = iub_test_wait_cqe(&ring, 5000, &ud);
	CHECK(ret == -ECANCELED && ud == 3, "USB OUT transfer: %d, -ECANCELED expected",
	      ret);
	ret = iub_test_uring_cmd(&ring, fd, IUB_IOC_TRANSFER,
				 &(struct iub_transfer){ .handle = h, .port = adc,
							 .length = SIZE },
				 sizeof(struct iub_transfer));
	CHECK(ret == SIZE, "capture after the UDC: %d", ret);
	n = dmabuf_attachments(&b);
	CHECK(n == 1, "the converter writes the buffer again: %d mapping(s)", n);

	io_uring_queue_exit(&ring);
	close(fd);
	dmabuf_destroy(&b);
	return failed;
}
