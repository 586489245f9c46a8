// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: the life of a request.
 *
 * A request is created by a command handler, ends exactly once in
 * iub_req_complete() (from any context, including a DMA callback in hard
 * IRQ), and its result then reaches the submitter: through io_uring task work
 * (iub_uring_complete()) or by waking the ioctl caller. Cancellation asks the
 * request's owner to end it early; it never completes the request itself.
 */
#include <linux/errno.h>
#include <linux/err.h>
#include <linux/io_uring/cmd.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "iub_priv.h"

/**
 * iub_req_alloc() - create the request of an asynchronous command
 * @cmd: the command being dispatched
 * @ops: what cancelling and releasing this kind of request does
 * @size: size of the kind's structure, which starts with struct iub_req
 *
 * Counts the request against the per-file limit, unless it is part of a
 * stream (&struct iub_cmd.stream), whose request counted it when the
 * stream was submitted. The request is not yet visible to io_uring:
 * iub_req_commit() makes it so; until then it can still be thrown away
 * with iub_req_put().
 *
 * Return: the request, or ERR_PTR(-EBUSY) when the file has max_inflight
 * requests already, or ERR_PTR(-ENOMEM).
 */
struct iub_req *iub_req_alloc(struct iub_cmd *cmd,
			      const struct iub_req_ops *ops, size_t size)
{
	unsigned int charge = cmd->stream ? 0 : 1;
	struct iub_ctx *ctx = cmd->ctx;
	struct iub_req *req;

	if (charge && atomic_inc_return(&ctx->inflight) > iub_max_inflight) {
		atomic_dec(&ctx->inflight);
		return ERR_PTR(-EBUSY);
	}
	req = kzalloc(size, GFP_KERNEL);
	if (!req) {
		atomic_sub(charge, &ctx->inflight);
		return ERR_PTR(-ENOMEM);
	}
	iub_ctx_get(ctx);
	req->ctx = ctx;
	req->charge = charge;
	req->ops = ops;
	req->ioucmd = cmd->ioucmd;
	if (cmd->parent) {
		req->parent = cmd->parent;
		req->parent_done = iub_defer_inner_done;
	}
	init_completion(&req->done);
	refcount_set(&req->ref, 1);
	cmd->req = req;
	return req;
}

/**
 * iub_req_commit() - the request is going to run: make it the command's
 * @cmd: the command being dispatched
 * @req: its request, from iub_req_alloc() with the same @cmd
 *
 * For io_uring, links the request to its command and, if it can be
 * cancelled, marks the command cancelable: before anything can complete
 * it. From here on the request ends only through iub_req_complete().
 */
void iub_req_commit(struct iub_cmd *cmd, struct iub_req *req)
{
	if (req->ioucmd)
		iub_uring_attach(req, cmd->issue_flags);
}

/**
 * iub_req_put() - drop a reference to a request; the last one frees it
 * @req: the request
 *
 * The request's own reference goes once its result was delivered (task
 * work after the CQE, the ioctl caller after the wait, a route when it is
 * freed). A submitter that still uses the request after it became
 * visible holds another one (iub_req_get()), so that a completion racing
 * with the submission (io_uring issuing from io-wq while the task runs
 * the completion) cannot free it under the submitter. Process context.
 * The last reference may go after the file was closed (a worker's); the
 * request holds its context until then.
 */
void iub_req_put(struct iub_req *req)
{
	struct iub_ctx *ctx = req->ctx;

	if (!refcount_dec_and_test(&req->ref))
		return;
	if (req->ops->release)
		req->ops->release(req);
	atomic_sub(req->charge, &ctx->inflight);
	kfree(req);
	iub_ctx_put(ctx);
}

/**
 * iub_req_charge() - reserve more of the per-file budget for a request
 * @req: the request, from iub_req_alloc(), not yet committed
 * @n: requests to reserve: those the request will create as parts of it
 *	(a stream's routes and their stages), which then count nothing
 *
 * The reservation is held until @req is freed, so that a stream whose
 * routes fit when it was submitted never fails for want of requests,
 * however late a stage of an ended route is freed.
 *
 * Return: 0, or -EBUSY when the file's max_inflight requests would be
 * exceeded (nothing reserved).
 */
int iub_req_charge(struct iub_req *req, unsigned int n)
{
	struct iub_ctx *ctx = req->ctx;

	if (n > iub_max_inflight)
		return -EBUSY;
	if (atomic_add_return(n, &ctx->inflight) > iub_max_inflight) {
		atomic_sub(n, &ctx->inflight);
		return -EBUSY;
	}
	req->charge += n;
	return 0;
}

/**
 * iub_req_get() - hold a request while submitting it
 * @req: the request
 */
void iub_req_get(struct iub_req *req)
{
	refcount_inc(&req->ref);
}

/**
 * iub_req_complete() - end a request with its result
 * @req: the request
 * @result: bytes or value on success, negative errno on failure
 *
 * Any context. Only the first call for a request has an effect; later ones
 * (a cancel racing with a normal completion) are ignored. The request must
 * not be touched by the caller afterwards: it may already be freed.
 */
void iub_req_complete(struct iub_req *req, int result)
{
	if (test_and_set_bit(IUB_REQ_COMPLETED, &req->state))
		return;
	req->result = result;
	if (req->parent_done)
		req->parent_done(req);
	else if (req->ioucmd)
		iub_uring_complete(req);
	else
		complete(&req->done);
}

/* Run ->cancel once, unless the request ended already. */
static void iub_req_run_cancel(struct iub_req *req)
{
	if (test_bit(IUB_REQ_COMPLETED, &req->state))
		return;
	if (test_and_set_bit(IUB_REQ_CANCEL_RAN, &req->state))
		return;
	req->ops->cancel(req);
}

/**
 * iub_req_cancel() - ask a request to end early
 * @req: a request that was not yet freed
 *
 * Process context. The first call runs the request's ->cancel operation,
 * which makes it reach iub_req_complete() promptly; later calls, and calls
 * on a request that completed already, do nothing. A request that is not
 * armed yet (its submitter, maybe an io-wq worker, is still putting it on
 * its ports) is cancelled by iub_req_arm() instead, so that no cancel is
 * lost.
 */
void iub_req_cancel(struct iub_req *req)
{
	if (!req->ops->cancel)
		return;
	if (test_and_set_bit(IUB_REQ_CANCELLED, &req->state))
		return;
	/* pairs with the test_and_set_bit() in iub_req_arm() */
	if (test_bit(IUB_REQ_ARMED, &req->state))
		iub_req_run_cancel(req);
}

/**
 * iub_req_arm() - the request is where its ->cancel finds it
 * @req: a committed request, still held by its submitter
 *
 * Process context, called by the submitter once the request is queued on
 * its port(s), whatever the outcome. A cancel that came in before runs
 * now.
 */
void iub_req_arm(struct iub_req *req)
{
	if (!req->ops->cancel)
		return;
	if (test_and_set_bit(IUB_REQ_ARMED, &req->state))
		return;
	if (test_bit(IUB_REQ_CANCELLED, &req->state))
		iub_req_run_cancel(req);
}

/**
 * iub_req_wait() - wait for the request of a blocking ioctl
 * @req: the request, not linked to io_uring
 *
 * Waits interruptibly. A signal cancels the request, waits for it to end
 * and returns -EINTR unless the request finished on its own first.
 * io_uring's notification of task work (TIF_NOTIFY_SIGNAL) is no signal:
 * the caller keeps it out with iub_no_notify_signal_save() where the kernel
 * can, and it does not cancel the request here either.
 *
 * Return: the request's result, or -EINTR.
 */
int iub_req_wait(struct iub_req *req)
{
	if (wait_for_completion_interruptible(&req->done)) {
		/*
		 * Woken by io_uring's task-work notification, not by a signal
		 * (kernels without PF_NO_NOTIFY_SIGNAL): a completion of this
		 * thread's own io_uring commands must not end the transfer.
		 * Wait on; a fatal signal still ends the wait.
		 */
		if (!task_sigpending(current) &&
		    !wait_for_completion_killable(&req->done))
			return req->result;
		iub_req_cancel(req);
		wait_for_completion(&req->done);
		if (req->result == -ECANCELED)
			return -EINTR;
	}
	return req->result;
}
