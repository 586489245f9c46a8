// SPDX-License-Identifier: GPL-2.0
/*
 * An application built by packaging/install against the *installed* files
 * only, with the flags of `pkg-config --cflags --libs iio-usb-bridge`: the
 * UAPI header, the SQE helpers and liburing must all be found and link, for
 * the build machine and, in a cross build, for the target (run through
 * qemu-user). It fills SQEs with the helpers on a real ring and, where the
 * bridge is loaded and may be opened, asks it for its features.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <iio_usb_bridge_uring.h>

/* The hot-path commands fit a plain 64-byte SQE. */
_Static_assert(sizeof(struct iub_transfer) <= 16, "iub_transfer in a 64-byte SQE");
_Static_assert(sizeof(struct iub_route) <= 16, "iub_route in a 64-byte SQE");

static int features(struct io_uring *ring, char *out, size_t len)
{
	struct iub_features f;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int fd, ret;

	fd = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(out, len, "not opened (%s)", strerror(errno));
		return 0;
	}
	memset(&f, 0, sizeof(f));
	sqe = io_uring_get_sqe(ring);
	iub_prep_get_features(sqe, fd, &f);
	ret = io_uring_submit_and_wait(ring, 1);
	if (ret >= 0)
		ret = io_uring_peek_cqe(ring, &cqe);
	if (ret < 0 || cqe->res < 0) {
		fprintf(stderr, "IUB_IOC_GET_FEATURES: %s\n",
			strerror(ret < 0 ? -ret : -cqe->res));
		close(fd);
		return -1;
	}
	io_uring_cqe_seen(ring, cqe);
	snprintf(out, len, "uapi version %u", (unsigned int)f.uapi_version);
	close(fd);
	return 0;
}

int main(void)
{
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char dev[96];
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret) {
		/* a kernel without io_uring: check the helpers on a local SQE */
		struct io_uring_sqe local;

		memset(&local, 0, sizeof(local));
		iub_prep_nop(&local, 3, 0, 42);
		if (local.opcode != IORING_OP_URING_CMD || local.cmd_op != IUB_IOC_NOP)
			return 1;
		printf("uapi version %d, device %s, io_uring %s\n",
		       IUB_UAPI_VERSION, IUB_DEVICE_PATH, strerror(-ret));
		return 0;
	}

	sqe = io_uring_get_sqe(&ring);
	iub_prep_nop(sqe, 3, 0, 42);
	if (sqe->opcode != IORING_OP_URING_CMD || sqe->cmd_op != IUB_IOC_NOP ||
	    sqe->fd != 3) {
		fprintf(stderr, "iub_prep_nop filled the SQE wrongly\n");
		return 1;
	}
	sqe = io_uring_get_sqe(&ring);
	iub_prep_route(sqe, 3, 1, 2, 3, 4096, 65536, IUB_ROUTE_ZLP);
	if (sqe->opcode != IORING_OP_URING_CMD || sqe->cmd_op != IUB_IOC_ROUTE) {
		fprintf(stderr, "iub_prep_route filled the SQE wrongly\n");
		return 1;
	}
	/* never submitted: a fresh ring for the device */
	io_uring_queue_exit(&ring);
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret || features(&ring, dev, sizeof(dev)))
		return 1;
	io_uring_queue_exit(&ring);
	printf("uapi version %d, device %s: %s, io_uring available\n",
	       IUB_UAPI_VERSION, IUB_DEVICE_PATH, dev);
	return 0;
}
