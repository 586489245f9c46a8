/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the in-VM test programs: open the bridge, run one
 * command through io_uring and wait for its CQE.
 */
#ifndef _IUB_TEST_H
#define _IUB_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <iio_usb_bridge_uring.h>

static inline int iub_test_open(void)
{
	return open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

/*
 * Submit one bridge command on @ring and wait for its CQE.
 * Returns the CQE's res (>= 0 or -errno), or -1000 - errno if io_uring
 * itself failed.
 */
static inline int iub_test_uring_cmd(struct io_uring *ring, int fd, __u32 op,
				     const void *block, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -1000 - EBUSY;
	iub_prep_cmd(sqe, fd, op, block, len);
	sqe->user_data = 0x1ab;
	ret = io_uring_submit(ring);
	if (ret != 1)
		return -1000 - (ret < 0 ? -ret : EIO);
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return -1000 - -ret;
	ret = cqe->user_data == 0x1ab ? cqe->res : -1000 - EPROTO;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* Same as iub_test_uring_cmd() through ioctl(): -errno on failure. */
static inline int iub_test_ioctl(int fd, unsigned long op, void *block)
{
	int ret = ioctl(fd, op, block);

	return ret < 0 ? -errno : ret;
}

/* Wait up to @ms for a CQE; returns its res, or -ETIME when none came. */
static inline int iub_test_wait_cqe(struct io_uring *ring, unsigned int ms,
				    __u64 *user_data)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	ret = cqe->res;
	if (user_data)
		*user_data = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

#endif /* _IUB_TEST_H */
