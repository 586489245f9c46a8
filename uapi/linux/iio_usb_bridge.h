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

/**
 * IUB_IOC_MAGIC - the ioctl type of every command: 0xBD, numbers 0x00-0x1F
 *
 * Free in Documentation/userspace-api/ioctl/ioctl-number.rst of Linux 6.12
 * and of later mainline, and used by no ioctl in the 6.12 tree.
 */
#define IUB_IOC_MAGIC		0xBD

/** IUB_CMD_SIZE_MAX - every argument block fits the 16 bytes of sqe->cmd */
#define IUB_CMD_SIZE_MAX	16

/**
 * struct iub_query - read a kernel structure into user memory
 * @data: user address of the output buffer
 * @size: size of the output buffer in bytes: for IUB_IOC_GET_FEATURES
 *	%IUB_FEATURES_SIZE_VER1 to %IUB_FEATURES_SIZE_MAX; for
 *	IUB_IOC_GET_PORTS a multiple of sizeof(struct iub_port_info), at most
 *	%IUB_PORTS_QUERY_MAX entries; other sizes fail with EINVAL
 * @flags: must be 0
 *
 * IUB_IOC_GET_FEATURES writes min(@size, its own size of the structure)
 * bytes and clears the rest of the buffer, so a program built against an
 * older or a newer header works with any kernel; its result is the number
 * of bytes of the structure it wrote.
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
/** IUB_FEAT_DMABUF - IUB_IOC_BUF_ATTACH and IUB_IOC_BUF_DETACH */
#define IUB_FEAT_DMABUF		_BITULL(2)
/** IUB_FEAT_CONVERTER_PORTS - ports on the DMA channels of IIO converters */
#define IUB_FEAT_CONVERTER_PORTS _BITULL(3)
/** IUB_FEAT_TRANSFER - IUB_IOC_TRANSFER and IUB_IOC_PORT_CANCEL */
#define IUB_FEAT_TRANSFER	_BITULL(4)
/** IUB_FEAT_CYCLIC - %IUB_XFER_CYCLIC on memory-to-device ports */
#define IUB_FEAT_CYCLIC		_BITULL(5)
/** IUB_FEAT_IMPLICIT_SYNC - transfers wait for and publish dma_resv fences */
#define IUB_FEAT_IMPLICIT_SYNC	_BITULL(6)
/** IUB_FEAT_USB_PORTS - ports on the bulk endpoints of our gadget function */
#define IUB_FEAT_USB_PORTS	_BITULL(7)
/** IUB_FEAT_ROUTE - IUB_IOC_ROUTE */
#define IUB_FEAT_ROUTE		_BITULL(8)
/** IUB_FEAT_PORT_EVENTS - IUB_IOC_PORT_EVENT on USB ports */
#define IUB_FEAT_PORT_EVENTS	_BITULL(9)
/** IUB_FEAT_STREAM - IUB_IOC_STREAM */
#define IUB_FEAT_STREAM		_BITULL(10)
/** IUB_FEAT_OVERRUNS - &struct iub_port_info.gaps and .gap_ns are counted */
#define IUB_FEAT_OVERRUNS	_BITULL(11)

/**
 * struct iub_features - what this kernel module offers
 * @uapi_version: %IUB_UAPI_VERSION of the module
 * @size: the module's sizeof(struct iub_features); later versions only
 *	append fields
 * @features: %IUB_FEAT_* bits
 * @max_inflight: commands that may be in flight at once on one open file;
 *	one more fails with EBUSY
 * @max_buffers: DMABUFs that may be attached at once to one open file;
 *	one more fails with ENOSPC
 * @nr_ports: ports the bridge has (IUB_IOC_GET_PORTS lists them)
 * @reserved0: zero
 */
struct iub_features {
	__u32 uapi_version;
	__u32 size;
	__u64 features;
	__u32 max_inflight;
	__u32 max_buffers;
	__u32 nr_ports;
	__u32 reserved0;
};

/** IUB_FEATURES_SIZE_VER1 - sizeof(struct iub_features) in version 1 */
#define IUB_FEATURES_SIZE_VER1	32
/** IUB_FEATURES_SIZE_MAX - largest output buffer IUB_IOC_GET_FEATURES takes */
#define IUB_FEATURES_SIZE_MAX	4096

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

/**
 * struct iub_buf_attach - import a DMABUF into the open file
 * @fd: the DMABUF's file descriptor; the bridge keeps its own reference,
 *	so @fd may be closed afterwards
 * @flags: must be 0
 * @reserved: must be 0
 *
 * The result is a handle (>= 0) naming the buffer in later commands of the
 * same open file only.
 */
struct iub_buf_attach {
	__s32 fd;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct iub_buf_detach - forget a handle
 * @handle: from IUB_IOC_BUF_ATTACH
 * @flags: must be 0
 * @reserved: must be 0
 *
 * Transfers in flight on the buffer complete normally; the bridge lets go
 * of the DMABUF when the last of them has ended.
 */
struct iub_buf_detach {
	__u32 handle;
	__u32 flags;
	__u64 reserved;
};

/* Kinds of port (struct iub_port_info.kind) */
#define IUB_PORT_CONVERTER	1	/* the DMA channel of an IIO converter */
#define IUB_PORT_USB		2	/* a bulk endpoint of our gadget function */

/* Directions (struct iub_port_info.direction) */
#define IUB_DIR_TO_MEM		1	/* ADC capture, USB bulk OUT */
#define IUB_DIR_FROM_MEM	2	/* DAC playback, USB bulk IN */

/* Port flags (struct iub_port_info.flags) */
/** IUB_PORT_F_CLAIMED - claimed by the open file that asked */
#define IUB_PORT_F_CLAIMED	_BITUL(0)
/** IUB_PORT_F_BUSY - claimed by another open file */
#define IUB_PORT_F_BUSY		_BITUL(1)
/** IUB_PORT_F_ABSENT - its device or channel is not there (now) */
#define IUB_PORT_F_ABSENT	_BITUL(2)
/** IUB_PORT_F_DMA_VEC - transfers use prep_peripheral_dma_vec */
#define IUB_PORT_F_DMA_VEC	_BITUL(3)
/** IUB_PORT_F_SLAVE_SG - transfers use prep_slave_sg */
#define IUB_PORT_F_SLAVE_SG	_BITUL(4)
/** IUB_PORT_F_CYCLIC - %IUB_XFER_CYCLIC is available */
#define IUB_PORT_F_CYCLIC	_BITUL(5)
/** IUB_PORT_F_USB_SG - the UDC takes the buffer's mapped scatterlist */
#define IUB_PORT_F_USB_SG	_BITUL(6)
/** IUB_PORT_F_USB_CPU - the UDC copies with the CPU from a kernel mapping */
#define IUB_PORT_F_USB_CPU	_BITUL(7)
/** IUB_PORT_F_ONLINE - USB: the host has configured the function */
#define IUB_PORT_F_ONLINE	_BITUL(8)

/** IUB_PORT_NAME_LEN - size of &struct iub_port_info.name */
#define IUB_PORT_NAME_LEN	32
/** IUB_PORTS_QUERY_MAX - most entries one IUB_IOC_GET_PORTS fills */
#define IUB_PORTS_QUERY_MAX	256

/**
 * struct iub_port_info - one port, as IUB_IOC_GET_PORTS lists it
 * @name: "device:channel" (e.g. "iub-sim-adc.0:rx"), NUL-terminated
 * @id: the port's number in IUB_IOC_PORT_CLAIM and IUB_IOC_TRANSFER
 * @kind: %IUB_PORT_CONVERTER or %IUB_PORT_USB
 * @direction: %IUB_DIR_TO_MEM or %IUB_DIR_FROM_MEM
 * @flags: %IUB_PORT_F_* flags
 * @align: offset and length of a transfer must be multiples of this
 * @max_transfer: largest length of one transfer in bytes
 * @bytes: bytes moved by completed transfers, since the module loaded
 * @transfers: transfers completed successfully
 * @errors: transfers that ended with an error (cancellations included)
 * @gaps: converter ports (%IUB_FEAT_OVERRUNS): times the hardware had
 *	nothing queued between a transfer's end and the start of the next
 *	one, since the module loaded; the time before the first transfer
 *	after a claim, a PORT_CANCEL or a release is not counted. 0 on USB
 *	ports
 * @gap_ns: the sum of those times in nanoseconds; for a converter that
 *	does not wait, gap_ns x its byte rate / 10^9 is an estimate of the
 *	bytes it lost (Documentation/uapi.rst, "Overruns")
 */
struct iub_port_info {
	char name[IUB_PORT_NAME_LEN];
	__u32 id;
	__u32 kind;
	__u32 direction;
	__u32 flags;
	__u32 align;
	__u32 max_transfer;
	__u64 bytes;
	__u64 transfers;
	__u64 errors;
	__u64 gaps;
	__u64 gap_ns;
};

/**
 * struct iub_port_claim - claim or release a port for the open file
 * @port: &struct iub_port_info.id
 * @flags: must be 0
 * @reserved: must be 0
 */
struct iub_port_claim {
	__u32 port;
	__u32 flags;
	__u64 reserved;
};

/* Flags of struct iub_transfer */
/**
 * IUB_XFER_CYCLIC - memory-to-device only: repeat the range until the port
 * is cancelled; the command then completes with ECANCELED. It waits for the
 * buffer's earlier writers but publishes no fence (it has no end).
 */
#define IUB_XFER_CYCLIC		_BITUL(0)
/** IUB_XFER_NO_SYNC - neither wait for nor publish dma_resv fences */
#define IUB_XFER_NO_SYNC	_BITUL(1)
/**
 * IUB_XFER_ZLP - USB bulk IN only: end with a zero-length packet when the
 * length is a multiple of the endpoint's maximum packet size
 */
#define IUB_XFER_ZLP		_BITUL(2)
#define IUB_XFER_FLAGS		(IUB_XFER_CYCLIC | IUB_XFER_NO_SYNC | IUB_XFER_ZLP)

/**
 * struct iub_transfer - move a range of a buffer through a port
 * @handle: buffer handle from IUB_IOC_BUF_ATTACH
 * @port: a port this open file has claimed
 * @flags: %IUB_XFER_* flags
 * @offset: byte offset in the buffer, a multiple of the port's align
 * @length: bytes, a multiple of the port's align, 1 to max_transfer
 *
 * The result is the number of bytes transferred. Transfers on one port
 * complete in the order they were submitted.
 */
struct iub_transfer {
	__u16 handle;
	__u16 port;
	__u32 flags;
	__u32 offset;
	__u32 length;
};

/* Flags of struct iub_route */
/** IUB_ROUTE_ZLP - %IUB_XFER_ZLP on the second stage (a USB bulk IN port) */
#define IUB_ROUTE_ZLP		_BITUL(0)
#define IUB_ROUTE_FLAGS		IUB_ROUTE_ZLP

/**
 * struct iub_route - fill a buffer range from one port, then empty it
 * through another, in the kernel
 * @handle: buffer handle from IUB_IOC_BUF_ATTACH
 * @flags: %IUB_ROUTE_* flags
 * @from: a claimed port that fills the buffer (%IUB_DIR_TO_MEM: converter
 *	capture, USB bulk OUT)
 * @to: a claimed port that then reads it (%IUB_DIR_FROM_MEM: USB bulk IN,
 *	DAC playback)
 * @offset: byte offset in the buffer, aligned for both ports
 * @length: bytes, aligned for both ports
 *
 * The second stage starts when the first completes (it waits on the first
 * stage's fence), with the bytes the first one moved (a short USB OUT
 * transfer shortens it). One completion at the end: the bytes the second
 * stage moved, or the errno of the stage that failed. On a ring created
 * with IORING_SETUP_CQE32, cqe->big_cqe[0] tells more: see
 * IUB_ROUTE_INFO_STAGE() and IUB_ROUTE_INFO_BYTES().
 */
struct iub_route {
	__u16 handle;
	__u16 flags;
	__u16 from;
	__u16 to;
	__u32 offset;
	__u32 length;
};

/** IUB_ROUTE_INFO_STAGE - 0: both stages succeeded; 1 or 2: that one failed */
#define IUB_ROUTE_INFO_STAGE(extra)	((__u32)((extra) >> 32))
/** IUB_ROUTE_INFO_BYTES - bytes the first stage moved */
#define IUB_ROUTE_INFO_BYTES(extra)	((__u32)(extra))

/** IUB_STREAM_RANGES_MAX - most ranges in the ring of one stream */
#define IUB_STREAM_RANGES_MAX	64

/**
 * struct iub_stream_range - one buffer range of a stream's ring
 * @handle: buffer handle from IUB_IOC_BUF_ATTACH
 * @reserved0: must be 0
 * @offset: byte offset in the buffer, aligned for both ports
 * @length: bytes, aligned for both ports, at most either's max_transfer
 * @reserved1: must be 0
 */
struct iub_stream_range {
	__u16 handle;
	__u16 reserved0;
	__u32 offset;
	__u32 length;
	__u32 reserved1;
};

/**
 * struct iub_stream - a stream: what IUB_IOC_STREAM's block points to
 * @from: a claimed port that fills the buffers (%IUB_DIR_TO_MEM)
 * @to: a claimed port that then empties them (%IUB_DIR_FROM_MEM)
 * @flags: %IUB_ROUTE_* flags, applied to every route of the stream
 * @nr_ranges: entries in @ranges, 1 to %IUB_STREAM_RANGES_MAX
 * @reserved0: must be 0
 * @bytes: end once @from has been given this many bytes to fill (aligned
 *	for both ports; the last range is shortened); 0: run until cancelled
 *
 * The ring follows the structure in memory: @nr_ranges struct
 * iub_stream_range, each routed from @from to @to, then routed again, in
 * this order, in the kernel. Copied when the command is issued.
 */
struct iub_stream {
	__u16 from;
	__u16 to;
	__u16 flags;
	__u16 nr_ranges;
	__u64 reserved0;
	__u64 bytes;
};

/**
 * struct iub_stream_cmd - the block of IUB_IOC_STREAM
 * @stream: user address of a struct iub_stream
 * @size: sizeof(struct iub_stream) plus nr_ranges times
 *	sizeof(struct iub_stream_range): the structure and the ring after it
 * @flags: must be 0
 */
struct iub_stream_cmd {
	__u64 stream;
	__u32 size;
	__u32 flags;
};

/* Flags of IUB_IOC_PORT_CANCEL (struct iub_port_claim.flags) */
/**
 * IUB_CANCEL_DRAIN - end the stream on the port gracefully: it routes
 * nothing more, its routes in flight finish, and it completes with 0.
 * Nothing is cancelled; the result is 1 if a stream ran on the port, else 0
 */
#define IUB_CANCEL_DRAIN	_BITUL(0)
#define IUB_CANCEL_FLAGS	IUB_CANCEL_DRAIN

/* Flags of IUB_IOC_PORT_EVENT (struct iub_port_claim.flags) */
/** IUB_EVENT_NOWAIT - fail with EAGAIN when no event is queued */
#define IUB_EVENT_NOWAIT	_BITUL(0)
#define IUB_EVENT_FLAGS		IUB_EVENT_NOWAIT

/*
 * Events of a USB gadget function, the result of IUB_IOC_PORT_EVENT: a code
 * (IUB_EVENT_CODE()) and a value (IUB_EVENT_VALUE()).
 */
/** IUB_EVENT_ONLINE - the host configured the function */
#define IUB_EVENT_ONLINE	1
/** IUB_EVENT_OFFLINE - the host reset, deconfigured or left */
#define IUB_EVENT_OFFLINE	2
/** IUB_EVENT_RESET_PIPES - libiio: RESET_PIPES; every pipe's transfers ended */
#define IUB_EVENT_RESET_PIPES	3
/** IUB_EVENT_OPEN_PIPE - libiio: OPEN_PIPE; value: the pipe */
#define IUB_EVENT_OPEN_PIPE	4
/** IUB_EVENT_CLOSE_PIPE - libiio: CLOSE_PIPE; value: the pipe, whose transfers ended */
#define IUB_EVENT_CLOSE_PIPE	5
/** IUB_EVENT_LOST - the queue overflowed; value: events dropped (at most 0xffff) */
#define IUB_EVENT_LOST		6
/** IUB_EVENT_CODE - the code of an event (IUB_EVENT_*) */
#define IUB_EVENT_CODE(res)	(((__u32)(res) >> 16) & 0xff)
/** IUB_EVENT_VALUE - the value of an event */
#define IUB_EVENT_VALUE(res)	((__u32)(res) & 0xffff)

/** IUB_IOC_GET_FEATURES - fill a struct iub_features; block: struct iub_query */
#define IUB_IOC_GET_FEATURES	_IOW(IUB_IOC_MAGIC, 0x00, struct iub_query)
/** IUB_IOC_NOP - do nothing, possibly asynchronously; block: struct iub_nop */
#define IUB_IOC_NOP		_IOW(IUB_IOC_MAGIC, 0x01, struct iub_nop)
/** IUB_IOC_BUF_ATTACH - import a DMABUF; result: handle */
#define IUB_IOC_BUF_ATTACH	_IOW(IUB_IOC_MAGIC, 0x02, struct iub_buf_attach)
/** IUB_IOC_BUF_DETACH - forget a handle */
#define IUB_IOC_BUF_DETACH	_IOW(IUB_IOC_MAGIC, 0x03, struct iub_buf_detach)
/**
 * IUB_IOC_GET_PORTS - fill an array of struct iub_port_info; block: struct
 * iub_query whose size is a multiple of sizeof(struct iub_port_info);
 * result: the number of ports (which may exceed what fit)
 */
#define IUB_IOC_GET_PORTS	_IOW(IUB_IOC_MAGIC, 0x04, struct iub_query)
/** IUB_IOC_PORT_CLAIM - make a port this open file's own */
#define IUB_IOC_PORT_CLAIM	_IOW(IUB_IOC_MAGIC, 0x05, struct iub_port_claim)
/** IUB_IOC_PORT_RELEASE - give a claimed, idle port back */
#define IUB_IOC_PORT_RELEASE	_IOW(IUB_IOC_MAGIC, 0x06, struct iub_port_claim)
/** IUB_IOC_PORT_CANCEL - end every transfer on a port; result: how many */
#define IUB_IOC_PORT_CANCEL	_IOW(IUB_IOC_MAGIC, 0x07, struct iub_port_claim)
/** IUB_IOC_TRANSFER - move data; result: bytes transferred */
#define IUB_IOC_TRANSFER	_IOW(IUB_IOC_MAGIC, 0x08, struct iub_transfer)
/** IUB_IOC_ROUTE - fill, then empty, a buffer range; result: bytes */
#define IUB_IOC_ROUTE		_IOW(IUB_IOC_MAGIC, 0x09, struct iub_route)
/**
 * IUB_IOC_PORT_EVENT - wait for the next event of the USB function a claimed
 * port belongs to; block: struct iub_port_claim with %IUB_EVENT_* flags;
 * result: the event
 */
#define IUB_IOC_PORT_EVENT	_IOW(IUB_IOC_MAGIC, 0x0A, struct iub_port_claim)
/**
 * IUB_IOC_STREAM - route a ring of buffer ranges from one port to another,
 * each again as soon as it was emptied, until cancelled or a byte count is
 * reached; block: struct iub_stream_cmd; result: 0 once the byte count
 * was reached, else the errno that ended it. On a ring created with
 * IORING_SETUP_CQE32, cqe->big_cqe[0] holds the bytes the @to port moved
 */
#define IUB_IOC_STREAM		_IOW(IUB_IOC_MAGIC, 0x0B, struct iub_stream_cmd)

#endif /* _UAPI_LINUX_IIO_USB_BRIDGE_H */
