// SPDX-License-Identifier: GPL-2.0
/*
 * Built by packaging/install against the *installed* headers only, with
 * the flags from `pkg-config --cflags --libs iio-usb-bridge`: the UAPI
 * header, the SQE helpers and liburing must all be found and link.
 */
#include <stdio.h>
#include <string.h>

#include <iio_usb_bridge_uring.h>

int main(void)
{
	struct io_uring_sqe sqe;
	struct io_uring ring;
	int ret;

	memset(&sqe, 0, sizeof(sqe));
	iub_prep_nop(&sqe, 3, 0, 42);
	if (sqe.opcode != IORING_OP_URING_CMD || sqe.cmd_op != IUB_IOC_NOP) {
		fprintf(stderr, "iub_prep_nop filled the SQE wrongly\n");
		return 1;
	}
	/* Links against liburing; a kernel without io_uring is fine here. */
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret == 0)
		io_uring_queue_exit(&ring);
	printf("uapi version %d, device %s, io_uring %s\n", IUB_UAPI_VERSION,
	       IUB_DEVICE_PATH, ret == 0 ? "available" : strerror(-ret));
	return 0;
}
