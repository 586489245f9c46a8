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
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <iio_usb_bridge_uring.h>

/*
 * How long one command run by iub_test_uring_cmd() may take: a quarter of
 * the test's limit (IUB_TEST_LIMIT, from the harness: longer on the debug
 * kernel), at least 60 s.
 */
static inline unsigned int iub_test_cmd_timeout_s(void)
{
	const char *limit = getenv("IUB_TEST_LIMIT");
	unsigned long s = limit ? strtoul(limit, NULL, 10) / 4 : 0;

	return s < 60 ? 60 : s;
}

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
	struct __kernel_timespec ts = { .tv_sec = iub_test_cmd_timeout_s() };
	/* a command that timed out may complete later: never taken for ours */
	static __u64 seq = 0x1ab0000;
	__u64 ud = ++seq;
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -1000 - EBUSY;
	if (iub_prep_cmd(sqe, fd, op, block, len))
		return -1000 - EINVAL;
	sqe->user_data = ud;
	ret = io_uring_submit(ring);
	if (ret != 1)
		return -1000 - (ret < 0 ? -ret : EIO);
	/* a command that never completes fails the test, not the run */
	for (;;) {
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
		if (ret)
			return -1000 - -ret;
		if (cqe->user_data < 0x1ab0000 || cqe->user_data >= ud)
			break;
		io_uring_cqe_seen(ring, cqe);	/* a late one of ours */
	}
	ret = cqe->user_data == ud ? cqe->res : -1000 - EPROTO;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* Same as iub_test_uring_cmd() through ioctl(): -errno on failure. */
static inline int iub_test_ioctl(int fd, unsigned long op, void *block)
{
	int ret = ioctl(fd, op, block);

	return ret < 0 ? -errno : ret;
}

/*
 * The same command through ioctl() and through io_uring, each with its own
 * copy of @block: the result both gave, or IUB_TEST_DISAGREE (and both on
 * stderr) when they differ. Every UAPI rule holds on both paths.
 */
#define IUB_TEST_DISAGREE (-2000)
static inline int iub_test_both(int fd, struct io_uring *ring,
				unsigned long op, const void *block)
{
	unsigned char a[IUB_CMD_SIZE_MAX], b[IUB_CMD_SIZE_MAX];
	int r1, r2;

	memcpy(a, block, sizeof(a));
	memcpy(b, block, sizeof(b));
	r1 = iub_test_ioctl(fd, op, a);
	r2 = iub_test_uring_cmd(ring, fd, op, b, sizeof(b));
	if (r1 == r2)
		return r1;
	fprintf(stderr, "# op 0x%lx: ioctl %d, io_uring %d\n", op, r1, r2);
	return IUB_TEST_DISAGREE;
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

/* Find a port by name; fills @info. Returns its id or -1. */
static inline int iub_test_find_port(int fd, const char *name,
				     struct iub_port_info *info)
{
	struct iub_port_info ports[32];
	struct iub_query q = { .data = (__u64)(unsigned long)ports,
			       .size = sizeof(ports) };
	int n = ioctl(fd, IUB_IOC_GET_PORTS, &q);

	for (int i = 0; i < n && i < 32; i++) {
		if (!strcmp(ports[i].name, name)) {
			if (info)
				*info = ports[i];
			return ports[i].id;
		}
	}
	return -1;
}

/* Find and claim a port; returns its id or -errno. */
static inline int iub_test_claim(int fd, const char *name)
{
	int id = iub_test_find_port(fd, name, NULL);
	struct iub_port_claim c = { 0 };

	if (id < 0)
		return -ENODEV;
	c.port = id;
	return ioctl(fd, IUB_IOC_PORT_CLAIM, &c) ? -errno : id;
}

/* Attach a DMABUF; returns the handle or -errno. */
static inline int iub_test_attach(int fd, int dmabuf_fd)
{
	struct iub_buf_attach a = { .fd = dmabuf_fd };
	int ret = ioctl(fd, IUB_IOC_BUF_ATTACH, &a);

	return ret < 0 ? -errno : ret;
}

/* Queue a transfer SQE (not submitted). Returns 0 or -EBUSY (no SQE). */
static inline int iub_test_queue_xfer(struct io_uring *ring, int fd,
				      __u16 handle, __u16 port, __u32 offset,
				      __u32 length, __u32 flags, __u64 ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct iub_transfer t = {
		.handle = handle, .port = port, .flags = flags,
		.offset = offset, .length = length,
	};

	if (!sqe)
		return -EBUSY;
	if (iub_prep_cmd(sqe, fd, IUB_IOC_TRANSFER, &t, sizeof(t)))
		return -EINVAL;
	sqe->user_data = ud;
	return 0;
}

/* Write a decimal value to a debugfs/sysfs file; returns 0 or -errno. */
static inline int iub_test_write_file(const char *path, unsigned long long v)
{
	char s[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), n, ret = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(s, sizeof(s), "%llu\n", v);
	if (write(fd, s, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* Read a decimal value from a file; returns it, or ~0ULL on failure. */
static inline unsigned long long iub_test_read_file(const char *path)
{
	char s[64] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return ~0ULL;
	n = read(fd, s, sizeof(s) - 1);
	close(fd);
	return n > 0 ? strtoull(s, NULL, 0) : ~0ULL;
}

#endif /* _IUB_TEST_H */
