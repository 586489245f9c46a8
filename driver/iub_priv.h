/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iio-usb-bridge: private definitions shared by the files of the module.
 *
 * Where things live:
 *   iub_main.c   module init/exit, the misc device, open/release of a context
 *   iub_cmd.c    the command table: argument checks and one handler each,
 *                and the blocking ioctl entry point
 *   iub_uring.c  the IORING_OP_URING_CMD entry point, completion through
 *                task work, and cancellation
 *   iub_req.c    the life of one asynchronous command (a request): where it
 *                is counted, completed exactly once, cancelled and waited for
 *
 * A command enters through iub_ioctl() or iub_uring_cmd(); both copy its
 * argument block once and call the handler that iub_cmd_lookup() finds. The
 * handler answers at once, or creates a struct iub_req and returns
 * -EIOCBQUEUED; the request then ends in iub_req_complete(), from any
 * context, and its result reaches userspace from task context.
 */
#ifndef _IUB_PRIV_H
#define _IUB_PRIV_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <linux/iio_usb_bridge.h>

struct io_uring_cmd;
struct iub_req;

/**
 * struct iub_ctx - state of one open file of /dev/iio-usb-bridge
 * @inflight: requests created on this file and not yet freed; bounded by
 *	the max_inflight module parameter. Atomic, no lock.
 *
 * A context lives from open() to the last close of the file. Every request
 * pins the file (io_uring holds a file reference for each command, an ioctl
 * caller holds one for the duration of the call), so no request outlives
 * its context.
 */
struct iub_ctx {
	atomic_t inflight;
};

/**
 * union iub_cmd_arg - the argument block of a command, copied from userspace
 * @query: for %IUB_IOC_GET_FEATURES
 * @nop: for %IUB_IOC_NOP
 * @raw: the block as bytes, at most %IUB_CMD_SIZE_MAX
 */
union iub_cmd_arg {
	struct iub_query query;
	struct iub_nop nop;
	u8 raw[IUB_CMD_SIZE_MAX];
};

/**
 * struct iub_cmd - one command being dispatched
 * @ctx: the context of the file the command was issued on
 * @op: the command number (IUB_IOC_*)
 * @arg: kernel copy of the argument block; handlers read only this copy
 * @ioucmd: the io_uring command, or NULL for an ioctl
 * @issue_flags: io_uring issue flags (only with @ioucmd)
 * @req: the request created by the handler, if it returned -EIOCBQUEUED
 *
 * Lives on the stack of the entry point for the duration of the dispatch.
 */
struct iub_cmd {
	struct iub_ctx *ctx;
	unsigned int op;
	union iub_cmd_arg arg;
	struct io_uring_cmd *ioucmd;
	unsigned int issue_flags;
	struct iub_req *req;
};

/**
 * struct iub_req_ops - what a kind of request does on cancellation
 * @cancel: make the request end promptly; the request must then reach
 *	iub_req_complete() (with -ECANCELED if it did not finish first).
 *	Called at most once, in process context, never from the completion
 *	path. May be NULL for requests that always end on their own quickly.
 */
struct iub_req_ops {
	void (*cancel)(struct iub_req *req);
};

/* bits of iub_req.state */
#define IUB_REQ_COMPLETED	0	/* iub_req_complete() ran */
#define IUB_REQ_CANCELLED	1	/* iub_req_cancel() ran */

/**
 * struct iub_req - one asynchronous command
 * @ctx: the context it was issued on
 * @ops: cancellation behaviour of this kind of request
 * @ioucmd: the io_uring command to complete, or NULL when an ioctl caller
 *	waits on @done
 * @done: completed for an ioctl caller once @result is set
 * @result: the result, set once by iub_req_complete()
 * @state: %IUB_REQ_COMPLETED and %IUB_REQ_CANCELLED, each set once with
 *	test_and_set_bit(); they are what makes completion exactly-once
 * @work: for requests that complete from a worker (IUB_IOC_NOP with
 *	%IUB_NOP_ASYNC); a DMA callback would call iub_req_complete() directly
 * @nop_value: the value an IUB_IOC_NOP request completes with
 *
 * Freed by iub_req_free() after the result was delivered: in the task work
 * that posts the CQE, or by the ioctl caller after the wait.
 */
struct iub_req {
	struct iub_ctx *ctx;
	const struct iub_req_ops *ops;
	struct io_uring_cmd *ioucmd;
	struct completion done;
	int result;
	unsigned long state;
	struct work_struct work;
	u32 nop_value;
};

/* iub_main.c */
extern unsigned int iub_max_inflight;
extern struct workqueue_struct *iub_wq;

/**
 * struct iub_cmd_desc - one entry of the command table
 * @op: the full command number, so that a wrong size or direction in an
 *	otherwise known number is an unknown command
 * @handle: checks the argument block and executes the command; returns a
 *	result, a negative errno, or -EIOCBQUEUED after creating a request.
 *	Once a request exists, its result goes only through
 *	iub_req_complete(), never through the return value.
 */
struct iub_cmd_desc {
	unsigned int op;
	int (*handle)(struct iub_cmd *cmd);
};

/* iub_cmd.c */
const struct iub_cmd_desc *iub_cmd_lookup(unsigned int op);
long iub_ioctl(struct file *file, unsigned int op, unsigned long arg);

/* iub_uring.c */
int iub_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
void iub_uring_attach(struct iub_req *req, unsigned int issue_flags);
void iub_uring_complete(struct iub_req *req);

/* iub_req.c */
int iub_req_init(void);
void iub_req_exit(void);
struct iub_req *iub_req_alloc(struct iub_cmd *cmd,
			      const struct iub_req_ops *ops);
void iub_req_free(struct iub_req *req);
void iub_req_complete(struct iub_req *req, int result);
void iub_req_cancel(struct iub_req *req);
int iub_req_wait(struct iub_req *req);

#endif /* _IUB_PRIV_H */
