// SPDX-License-Identifier: MIT
/*
 * query-features: ask /dev/iio-usb-bridge what it offers, through io_uring.
 *
 * The smallest complete use of the bridge: open the device, set up a ring,
 * put one IUB_IOC_GET_FEATURES command in an SQE with the helpers from
 * iio_usb_bridge_uring.h (Debian's liburing 2.3 has no
 * io_uring_prep_uring_cmd), submit, and read the result from the CQE.
 * Every feature bit is named; a bit this program does not know yet (a
 * newer module) is printed as its number.
 *
 * liburing's functions return -errno and do not set errno: their result
 * is what to report.
 *
 * Build: cc -o query-features query-features.c -luring
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <iio_usb_bridge_uring.h>

static const struct {
	__u64 bit;
	const char *name;
} feature_names[] = {
	{ IUB_FEAT_URING_CMD, "uring_cmd" },
	{ IUB_FEAT_NOP, "nop" },
	{ IUB_FEAT_DMABUF, "dmabuf" },
	{ IUB_FEAT_CONVERTER_PORTS, "converter_ports" },
	{ IUB_FEAT_TRANSFER, "transfer" },
	{ IUB_FEAT_CYCLIC, "cyclic" },
	{ IUB_FEAT_IMPLICIT_SYNC, "implicit_sync" },
	{ IUB_FEAT_USB_PORTS, "usb_ports" },
	{ IUB_FEAT_ROUTE, "route" },
};

int main(void)
{
	struct iub_features f;
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	__u64 unknown;
	int fd, ret;

	fd = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", IUB_DEVICE_PATH, strerror(errno));
		return 1;
	}
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}

	/* One command, one SQE: the kernel writes into f, the CQE says how
	 * many bytes of it are valid (or carries a negative errno). */
	sqe = io_uring_get_sqe(&ring);
	iub_prep_get_features(sqe, fd, &f);
	ret = io_uring_submit(&ring);
	if (ret < 0) {
		fprintf(stderr, "io_uring_submit: %s\n", strerror(-ret));
		return 1;
	}

	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret < 0) {
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
	printf("  features:      0x%016llx", (unsigned long long)f.features);
	unknown = f.features;
	for (unsigned int i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
		if (f.features & feature_names[i].bit)
			printf(" %s", feature_names[i].name);
		unknown &= ~feature_names[i].bit;
	}
	for (unsigned int bit = 0; bit < 64; bit++)
		if (unknown & (1ULL << bit))
			printf(" bit%u", bit);
	printf("\n");
	printf("  max in flight: %u commands per open file\n", f.max_inflight);
	printf("  max buffers:   %u DMABUFs per open file\n", f.max_buffers);
	printf("  ports:         %u\n", f.nr_ports);

	io_uring_queue_exit(&ring);
	close(fd);
	return 0;
}
