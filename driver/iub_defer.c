// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: io_uring commands that must not wait where io_uring
 * issues them.
 *
 * io_uring issues a command inline, under the ring's lock, with
 * IO_URING_F_NONBLOCK. A transfer or route that would have to wait there
 * for a DMABUF's reservation lock, which another driver may hold for long
 * (to queue on the buffer, or to map it for a device the first time), says
 * -EAGAIN before anything of it exists. Handing -EAGAIN back to io_uring would
 * issue the command again from an io-wq worker, out of order with the
 * commands behind it: a later transfer could take the port, or the buffer,
 * first. Instead the command is deferred here: it completes later like any
 * other, but it is issued, in submission order, by a worker of the file
 * (iub_defer_work(), on iub_issue_wq), where waiting is fine. While a file has commands
 * waiting to be issued, its later io_uring commands are deferred behind
 * them, and its blocking ioctls wait for them first, so that every command
 * of a file is issued in the order it was submitted.
 *
 * A deferred command is a request of its own (struct iub_defer_req); the
 * worker runs the command's handler, whose request (the inner one) passes
 * its result on to it (iub_defer_inner_done()). Cancelling the deferred
 * request cancels the inner one, or, before it exists, makes the worker
 * end the command with -ECANCELED instead of issuing it.
 */
#include <linux/errno.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "iub_priv.h"

/**
 * struct iub_defer_req - an io_uring command issued later, in order
 * @req: the request io_uring's command completes with
 * @node: on &struct iub_ctx.defer_list until the worker takes it
 * @op: the command number
 * @arg: the kernel copy of its argument block
 * @inner: the request the command's handler created, once it exists; its
 *	own reference is ours until we are freed. Written under
 *	&struct iub_ctx.defer_lock
 */
struct iub_defer_req {
	struct iub_req req;
	struct list_head node;
	unsigned int op;
	union iub_cmd_arg arg;
	struct iub_req *inner;
};

static struct iub_defer_req *to_defer(struct iub_req *req)
{
	return container_of(req, struct iub_defer_req, req);
}

/**
 * iub_defer_inner_done() - the inner request of a deferred command ended
 * @inner: the request created by the command's handler in the worker
 *
 * Any context: the deferred request completes with the same result.
 */
void iub_defer_inner_done(struct iub_req *inner)
{
	struct iub_req *req = inner->parent;

	req->result2 = inner->result2;
	iub_req_complete(req, inner->result);
}

static void iub_defer_cancel(struct iub_req *req)
{
	struct iub_defer_req *d = to_defer(req);
	struct iub_ctx *ctx = req->ctx;
	struct iub_req *inner;

	/*
	 * Not issued yet: the worker sees IUB_REQ_CANCELLED and ends it. Being
	 * issued: the worker sees it once the inner request exists.
	 */
	spin_lock(&ctx->defer_lock);
	inner = d->inner;
	spin_unlock(&ctx->defer_lock);
	if (inner)
		iub_req_cancel(inner);
}

static void iub_defer_release(struct iub_req *req)
{
	struct iub_defer_req *d = to_defer(req);

	if (d->inner)
		iub_req_put(d->inner);
}

static const struct iub_req_ops iub_defer_ops = {
	.cancel = iub_defer_cancel,
	.release = iub_defer_release,
};

/* Issue one deferred command, waiting where it must. */
static void iub_defer_issue(struct iub_defer_req *d)
{
	const struct iub_cmd_desc *desc = iub_cmd_lookup(d->op);
	struct iub_ctx *ctx = d->req.ctx;
	struct iub_cmd cmd = {
		.ctx = ctx,
		.op = d->op,
		.arg = d->arg,
		.parent = &d->req,
	};
	int ret;

	if (test_bit(IUB_REQ_CANCELLED, &d->req.state)) {
		iub_req_complete(&d->req, -ECANCELED);
		return;
	}
	ret = desc->handle(&cmd);
	if (ret != -EIOCBQUEUED) {
		iub_req_complete(&d->req, ret);
		return;
	}
	spin_lock(&ctx->defer_lock);
	d->inner = cmd.req;
	spin_unlock(&ctx->defer_lock);
	/* a cancel that came while the handler ran did not see @inner */
	if (test_bit(IUB_REQ_CANCELLED, &d->req.state))
		iub_req_cancel(d->inner);
}

/**
 * iub_defer_work() - issue a file's deferred commands, in order
 * @work: &struct iub_ctx.defer_work; its context is referenced for us
 */
void iub_defer_work(struct work_struct *work)
{
	struct iub_ctx *ctx = container_of(work, struct iub_ctx, defer_work);
	struct iub_defer_req *d;
	bool idle;

	for (;;) {
		spin_lock(&ctx->defer_lock);
		d = list_first_entry_or_null(&ctx->defer_list,
					     struct iub_defer_req, node);
		if (d)
			list_del_init(&d->node);
		spin_unlock(&ctx->defer_lock);
		if (!d)
			break;

		/* its CQE may come before we are done with it: hold it */
		iub_req_get(&d->req);
		iub_defer_issue(d);
		iub_req_put(&d->req);

		spin_lock(&ctx->defer_lock);
		WRITE_ONCE(ctx->deferred, ctx->deferred - 1);
		idle = !ctx->deferred;
		spin_unlock(&ctx->defer_lock);
		if (idle)
			wake_up_all(&ctx->defer_idle);
	}
	iub_ctx_put(ctx);
}

/**
 * iub_defer_pending() - whether a file has commands not issued yet
 * @ctx: the file
 *
 * Return: true while a deferred command waits to be issued; a later
 * command of the file must then be deferred behind it, or wait for it.
 */
bool iub_defer_pending(struct iub_ctx *ctx)
{
	return READ_ONCE(ctx->deferred);
}

/**
 * iub_defer_wait() - wait until a file's deferred commands were issued
 * @ctx: the file
 *
 * For the blocking ioctl, so that it comes after the io_uring commands
 * submitted before it. Process context. The wait is as long as another
 * driver holds a buffer's reservation lock; only a fatal signal ends it,
 * so that no command gets an errno its table does not list.
 *
 * Return: 0, or -EINTR if the caller is being killed.
 */
int iub_defer_wait(struct iub_ctx *ctx)
{
	if (wait_event_killable(ctx->defer_idle, !iub_defer_pending(ctx)))
		return -EINTR;
	return 0;
}

/**
 * iub_defer() - issue an io_uring command later, in order
 * @cmd: the command, its argument block copied, nothing of it created yet
 *
 * Issue context of io_uring.
 *
 * Return: -EIOCBQUEUED, or -EBUSY/-ENOMEM when the request cannot be
 * created.
 */
int iub_defer(struct iub_cmd *cmd)
{
	struct iub_ctx *ctx = cmd->ctx;
	struct iub_defer_req *d;
	struct iub_req *req;

	req = iub_req_alloc(cmd, &iub_defer_ops, sizeof(*d));
	if (IS_ERR(req))
		return PTR_ERR(req);
	d = to_defer(req);
	d->op = cmd->op;
	d->arg = cmd->arg;
	INIT_LIST_HEAD(&d->node);
	iub_req_commit(cmd, req);
	/* armed now: until the worker takes it, cancelling it is a flag */
	iub_req_arm(req);

	spin_lock(&ctx->defer_lock);
	WRITE_ONCE(ctx->deferred, ctx->deferred + 1);
	list_add_tail(&d->node, &ctx->defer_list);
	spin_unlock(&ctx->defer_lock);
	iub_ctx_get(ctx);
	if (!queue_work(iub_issue_wq, &ctx->defer_work))
		iub_ctx_put(ctx);	/* queued already, with its reference */
	return -EIOCBQUEUED;
}
