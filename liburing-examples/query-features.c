// SPDX-License-Identifier: MIT
/*
 * query-features: ask /dev/iio-usb-bridge what it offers, through io_uring.
 *
 * The smallest complete use of the bridge: open the device, set up a ring,
 * put one IUB_IOC_GET_FEATURES command in an SQE with the helpers from
 * iio_usb_bridge_uring.h (Debian's liburing 2.3 has no
 * io_uring_prep_uring_cmd), submit, and read the result from the CQE.
 *
 * Build: cc -o query-features query-features.c -luring
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <iio_usb_bridge_uring.h>

int main(void)
{
	struct iub_features f;
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int fd, ret;

	fd = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", IUB_DEVICE_PATH, strerror(errno));
		return 1;
	}
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}

	/* One command, one SQE: the kernel writes into f, the CQE says how
	 * many bytes of it are valid (or carries a negative errno). */
	sqe = io_uring_get_sqe(&ring);
	iub_prep_get_features(sqe, fd, &f);
	io_uring_submit(&ring);

	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret) {
		fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
		return 1;
	}
	ret = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	if (ret < 0) {
		fprintf(stderr, "GET_FEATURES: %s\n", strerror(-ret));
		return 1;
	}

	printf("iio-usb-bridge UAPI version %u (%d bytes of features)\n",
	       f.uapi_version, ret);
	printf("  features:      0x%016llx%s%s\n",
	       (unsigned long long)f.features,
	       f.features & IUB_FEAT_URING_CMD ? " uring_cmd" : "",
	       f.features & IUB_FEAT_NOP ? " nop" : "");
	printf("  max in flight: %u commands per open file\n", f.max_inflight);

	io_uring_queue_exit(&ring);
	close(fd);
	return 0;
}
