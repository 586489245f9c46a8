/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iio-usb-bridge: the userspace API of /dev/iio-usb-bridge.
 *
 * Every command has one number, built with _IOW(), and one argument block of
 * at most 16 bytes. The same number and block are used in two ways:
 *
 *  - ioctl(fd, IUB_IOC_X, &block): blocking, for tools and scripts;
 *  - IORING_OP_URING_CMD with sqe->cmd_op = IUB_IOC_X and the block copied
 *    into the 16 command bytes of a plain 64-byte SQE (sqe->cmd); the result
 *    arrives in cqe->res.
 *
 * The result is the same on both paths: a non-negative value on success, or
 * a negative errno (ioctl() returns -1 and sets errno). Unknown commands fail
 * with ENOTTY; nonzero reserved fields and unknown flags with EINVAL.
 * Documentation/uapi.rst is the reference for every command and errno.
 */
#ifndef _UAPI_LINUX_IIO_USB_BRIDGE_H
#define _UAPI_LINUX_IIO_USB_BRIDGE_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/** IUB_UAPI_VERSION - version of this interface, reported by GET_FEATURES */
#define IUB_UAPI_VERSION	1

/** IUB_DEVICE_PATH - the device node */
#define IUB_DEVICE_PATH		"/dev/iio-usb-bridge"

#define IUB_IOC_MAGIC		0xBA

/** IUB_CMD_SIZE_MAX - every argument block fits the 16 bytes of sqe->cmd */
#define IUB_CMD_SIZE_MAX	16

/**
 * struct iub_query - read a kernel structure into user memory
 * @data: user address of the output buffer
 * @size: size of the output buffer in bytes; at least the first version of
 *	the structure queried (e.g. %IUB_FEATURES_SIZE_VER1), at most 4096
 * @flags: must be 0
 *
 * The kernel writes min(@size, its own size of the structure) bytes and
 * clears the rest of the buffer, so a program built against an older or a
 * newer header works with any kernel. The result of the command is the number
 * of bytes of the structure the kernel wrote.
 */
struct iub_query {
	__u64 data;
	__u32 size;
	__u32 flags;
};

/* Feature bits reported in struct iub_features.features */
/** IUB_FEAT_URING_CMD - every command is also accepted as IORING_OP_URING_CMD */
#define IUB_FEAT_URING_CMD	_BITULL(0)
/** IUB_FEAT_NOP - IUB_IOC_NOP with IUB_NOP_ASYNC and IUB_NOP_PARK */
#define IUB_FEAT_NOP		_BITULL(1)

/**
 * struct iub_features - what this kernel module offers
 * @uapi_version: %IUB_UAPI_VERSION of the module
 * @size: the module's sizeof(struct iub_features); later versions only
 *	append fields
 * @features: %IUB_FEAT_* bits
 * @max_inflight: commands that may be in flight at once on one open file;
 *	one more fails with EBUSY
 * @reserved0: zero
 */
struct iub_features {
	__u32 uapi_version;
	__u32 size;
	__u64 features;
	__u32 max_inflight;
	__u32 reserved0;
};

#define IUB_FEATURES_SIZE_VER1	24

/* Flags of struct iub_nop */
/** IUB_NOP_ASYNC - complete from a worker through io_uring task work */
#define IUB_NOP_ASYNC		_BITUL(0)
/** IUB_NOP_PARK - stay in flight until cancelled, then fail with ECANCELED */
#define IUB_NOP_PARK		_BITUL(1)
#define IUB_NOP_FLAGS		(IUB_NOP_ASYNC | IUB_NOP_PARK)

/**
 * struct iub_nop - a command that moves no data
 * @flags: %IUB_NOP_* flags; 0 completes at once
 * @value: the result of the command on success, at most INT32_MAX
 * @reserved: must be 0
 *
 * Measures the cost of a round trip and exercises asynchronous completion
 * and cancellation exactly as a transfer uses them.
 */
struct iub_nop {
	__u32 flags;
	__u32 value;
	__u64 reserved;
};

/** IUB_IOC_GET_FEATURES - fill a struct iub_features; block: struct iub_query */
#define IUB_IOC_GET_FEATURES	_IOW(IUB_IOC_MAGIC, 0x00, struct iub_query)
/** IUB_IOC_NOP - do nothing, possibly asynchronously; block: struct iub_nop */
#define IUB_IOC_NOP		_IOW(IUB_IOC_MAGIC, 0x01, struct iub_nop)

#endif /* _UAPI_LINUX_IIO_USB_BRIDGE_H */
