/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * iio-usb-bridge: inline helpers that fill an io_uring SQE with a bridge
 * command. Debian 12's liburing (2.3) has no io_uring_prep_uring_cmd(), so
 * applications include this header after <liburing.h>.
 *
 * Every bridge command fits a plain 64-byte SQE: no IORING_SETUP_SQE128.
 */
#ifndef _IIO_USB_BRIDGE_URING_H
#define _IIO_USB_BRIDGE_URING_H

#include <string.h>
#include <liburing.h>
#include <linux/iio_usb_bridge.h>

/**
 * iub_prep_cmd() - prepare an IORING_OP_URING_CMD SQE for a bridge command
 * @sqe: the SQE from io_uring_get_sqe()
 * @fd: the open /dev/iio-usb-bridge (or its registered index with
 *	IOSQE_FIXED_FILE set by the caller afterwards)
 * @op: an IUB_IOC_* command number
 * @block: the command's argument block
 * @len: its size, at most IUB_CMD_SIZE_MAX (16) bytes
 *
 * The rest of the SQE is cleared; set sqe->user_data afterwards.
 */
static inline void iub_prep_cmd(struct io_uring_sqe *sqe, int fd, __u32 op,
				const void *block, size_t len)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = op;
	memset(sqe->cmd, 0, IUB_CMD_SIZE_MAX);
	if (len > IUB_CMD_SIZE_MAX)
		len = IUB_CMD_SIZE_MAX;
	memcpy(sqe->cmd, block, len);
}

/** iub_prep_get_features() - IUB_IOC_GET_FEATURES into @out */
static inline void iub_prep_get_features(struct io_uring_sqe *sqe, int fd,
					 struct iub_features *out)
{
	struct iub_query q = {
		.data = (__u64)(unsigned long)out,
		.size = sizeof(*out),
	};

	iub_prep_cmd(sqe, fd, IUB_IOC_GET_FEATURES, &q, sizeof(q));
}

/** iub_prep_nop() - IUB_IOC_NOP completing with @value */
static inline void iub_prep_nop(struct io_uring_sqe *sqe, int fd,
				__u32 flags, __u32 value)
{
	struct iub_nop n = { .flags = flags, .value = value };

	iub_prep_cmd(sqe, fd, IUB_IOC_NOP, &n, sizeof(n));
}

/** iub_prep_transfer() - IUB_IOC_TRANSFER of a buffer range through a port */
static inline void iub_prep_transfer(struct io_uring_sqe *sqe, int fd,
				     __u16 handle, __u16 port, __u32 offset,
				     __u32 length, __u32 flags)
{
	struct iub_transfer t = {
		.handle = handle, .port = port, .flags = flags,
		.offset = offset, .length = length,
	};

	iub_prep_cmd(sqe, fd, IUB_IOC_TRANSFER, &t, sizeof(t));
}

/** iub_prep_route() - IUB_IOC_ROUTE: fill through @from, empty through @to */
static inline void iub_prep_route(struct io_uring_sqe *sqe, int fd,
				  __u16 handle, __u16 from, __u16 to,
				  __u32 offset, __u32 length, __u16 flags)
{
	struct iub_route r = {
		.handle = handle, .flags = flags, .from = from, .to = to,
		.offset = offset, .length = length,
	};

	iub_prep_cmd(sqe, fd, IUB_IOC_ROUTE, &r, sizeof(r));
}

#endif /* _IIO_USB_BRIDGE_URING_H */
