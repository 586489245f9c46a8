/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * iio-usb-bridge: inline helpers that fill an io_uring SQE with a bridge
 * command. Debian 12's liburing (2.3) has no io_uring_prep_uring_cmd(), so
 * applications include this header after <liburing.h>.
 *
 * Every bridge command fits a plain 64-byte SQE: no IORING_SETUP_SQE128.
 * The header is C (gnu11 and later) and C++ (C++17 and later) alike.
 */
#ifndef _IIO_USB_BRIDGE_URING_H
#define _IIO_USB_BRIDGE_URING_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <liburing.h>
#include <linux/iio_usb_bridge.h>

/**
 * iub_prep_block() - fill an SQE with a bridge command, without checks
 * @sqe: the SQE from io_uring_get_sqe()
 * @fd: the open /dev/iio-usb-bridge
 * @op: an IUB_IOC_* command number
 * @block: the command's argument block
 * @len: its size, at most %IUB_CMD_SIZE_MAX bytes: the caller checks
 *
 * The common part of the helpers below; applications call iub_prep_cmd().
 */
static inline void iub_prep_block(struct io_uring_sqe *sqe, int fd,
				  __u32 op, const void *block, size_t len)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = op;
	memset(sqe->cmd, 0, IUB_CMD_SIZE_MAX);
	if (len)
		memcpy(sqe->cmd, block, len);
}

/**
 * iub_prep_cmd() - prepare an IORING_OP_URING_CMD SQE for a bridge command
 * @sqe: the SQE from io_uring_get_sqe()
 * @fd: the open /dev/iio-usb-bridge (or its registered index with
 *	IOSQE_FIXED_FILE set by the caller afterwards)
 * @op: an IUB_IOC_* command number
 * @block: the command's argument block
 * @len: its size, 0 to %IUB_CMD_SIZE_MAX (16) bytes
 *
 * Fills the whole SQE: IORING_OP_URING_CMD on @fd, sqe->cmd_op = @op, the
 * block in the 16 command bytes of sqe->cmd (the bytes after @len cleared),
 * every other field zero. Set sqe->user_data afterwards.
 *
 * A block larger than %IUB_CMD_SIZE_MAX does not fit a plain 64-byte SQE,
 * and no bridge command has one: it is refused, never cut short. The SQE
 * taken from the ring cannot be given back, so it is then filled as a
 * command that runs nowhere: file descriptor -1 (submitted anyway, it
 * completes with -EBADF and reaches no driver) and command number 0, which
 * is no bridge command (ENOTTY, should the caller point the SQE at the
 * bridge afterwards, e.g. with IOSQE_FIXED_FILE).
 *
 * Return: 0, or -EINVAL (and errno set to EINVAL) when @len is larger than
 * %IUB_CMD_SIZE_MAX.
 */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((__warn_unused_result__))
#endif
static inline int iub_prep_cmd(struct io_uring_sqe *sqe, int fd, __u32 op,
			       const void *block, size_t len)
{
	if (len > IUB_CMD_SIZE_MAX) {
		iub_prep_block(sqe, -1, 0, NULL, 0);
		errno = EINVAL;
		return -EINVAL;
	}
	iub_prep_block(sqe, fd, op, block, len);
	return 0;
}

/** iub_prep_get_features() - IUB_IOC_GET_FEATURES into @out */
static inline void iub_prep_get_features(struct io_uring_sqe *sqe, int fd,
					 struct iub_features *out)
{
	struct iub_query q;

	memset(&q, 0, sizeof(q));
	q.data = (__u64)(uintptr_t)out;
	q.size = sizeof(*out);
	iub_prep_block(sqe, fd, IUB_IOC_GET_FEATURES, &q, sizeof(q));
}

/** iub_prep_nop() - IUB_IOC_NOP completing with @value */
static inline void iub_prep_nop(struct io_uring_sqe *sqe, int fd,
				__u32 flags, __u32 value)
{
	struct iub_nop n;

	memset(&n, 0, sizeof(n));
	n.flags = flags;
	n.value = value;
	iub_prep_block(sqe, fd, IUB_IOC_NOP, &n, sizeof(n));
}

/** iub_prep_transfer() - IUB_IOC_TRANSFER of a buffer range through a port */
static inline void iub_prep_transfer(struct io_uring_sqe *sqe, int fd,
				     __u16 handle, __u16 port, __u32 offset,
				     __u32 length, __u32 flags)
{
	struct iub_transfer t;

	memset(&t, 0, sizeof(t));
	t.handle = handle;
	t.port = port;
	t.flags = flags;
	t.offset = offset;
	t.length = length;
	iub_prep_block(sqe, fd, IUB_IOC_TRANSFER, &t, sizeof(t));
}

/** iub_prep_route() - IUB_IOC_ROUTE: fill through @from, empty through @to */
static inline void iub_prep_route(struct io_uring_sqe *sqe, int fd,
				  __u16 handle, __u16 from, __u16 to,
				  __u32 offset, __u32 length, __u16 flags)
{
	struct iub_route r;

	memset(&r, 0, sizeof(r));
	r.handle = handle;
	r.flags = flags;
	r.from = from;
	r.to = to;
	r.offset = offset;
	r.length = length;
	iub_prep_block(sqe, fd, IUB_IOC_ROUTE, &r, sizeof(r));
}

/**
 * iub_prep_stream() - IUB_IOC_STREAM of a stream and the ring after it
 * @sqe: the SQE
 * @fd: the open /dev/iio-usb-bridge
 * @s: the stream, followed in memory by its @s->nr_ranges ranges; read
 *	when io_uring issues the command (at io_uring_submit(), or later from
 *	io_uring's worker): keep it unchanged until the stream's CQE
 */
static inline void iub_prep_stream(struct io_uring_sqe *sqe, int fd,
				   const struct iub_stream *s)
{
	struct iub_stream_cmd c;

	memset(&c, 0, sizeof(c));
	c.stream = (__u64)(uintptr_t)s;
	c.size = sizeof(*s) + s->nr_ranges * sizeof(struct iub_stream_range);
	iub_prep_block(sqe, fd, IUB_IOC_STREAM, &c, sizeof(c));
}

#endif /* _IIO_USB_BRIDGE_URING_H */
