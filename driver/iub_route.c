// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: routes.
 *
 * A route is two transfers of the same buffer range, submitted as one
 * command: the first fills the buffer (converter capture, USB bulk OUT),
 * the second empties it (USB bulk IN, DAC playback). Both are queued on
 * their ports at once; the second waits, in the kernel, on the first one's
 * fence in the buffer's dma_resv (the same implicit synchronization any
 * two transfers get), so nothing returns to userspace in between. Before
 * that fence is signalled, the first stage's outcome is passed on: a
 * failure aborts the second stage, a short first stage shortens it. The
 * route completes once, when both stages have ended.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/slab.h>

#include <kunit/visibility.h>

#include "iub_priv.h"

/**
 * struct iub_route_req - the request of a route
 * @req: the route's own request, the one userspace sees complete
 * @stage: the two transfers; their requests complete into
 *	iub_route_stage_done() instead of reaching userspace
 * @ended: stages ended so far; the second to end completes the route
 * @owner: for a route of the kernel's own (a stream's), whatever its
 *	owner needs to find its state again (iub_route_owner()); NULL for
 *	IUB_IOC_ROUTE
 */
struct iub_route_req {
	struct iub_req req;
	struct iub_xfer *stage[2];
	atomic_t ended;
	void *owner;
};

static struct iub_route_req *to_route(struct iub_req *req)
{
	return container_of(req, struct iub_route_req, req);
}

/**
 * iub_route_pass_on() - what the first stage's outcome does to the second
 * @result: the first stage's result, bytes or -errno
 * @align: the second stage's port alignment
 * @length: the second stage's length; shortened to the bytes that arrived,
 *	rounded down to @align, when fewer arrived
 *
 * No state.
 *
 * Return: 0 when the second stage runs, -ECANCELED when the first failed,
 * -ENODATA when less than @align bytes arrived (the route then completes
 * with 0).
 */
VISIBLE_IF_KUNIT int iub_route_pass_on(int result, u32 align, u32 *length)
{
	u32 len;

	if (result < 0)
		return -ECANCELED;
	len = rounddown((u32)result, align);
	if (!len)
		return -ENODATA;
	if (len < *length)
		*length = len;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iub_route_pass_on);

/**
 * iub_route_outcome() - a route's result from the results of its stages
 * @r0: the first stage's result
 * @r1: the second stage's result
 * @info: set to the CQE's extra word: the failed stage (1, 2 or 0) in the
 *	upper 32 bits, the bytes of the first stage in the lower
 *
 * No state.
 *
 * Return: the route's result: the second stage's bytes, 0 when the first
 * moved too little to pass on, or the errno of the stage that failed.
 */
VISIBLE_IF_KUNIT int iub_route_outcome(int r0, int r1, u64 *info)
{
	u32 failed = 0;
	int res;

	if (r0 < 0) {
		res = r0;
		failed = 1;
	} else if (r1 == -ENODATA) {
		/* less than the second port's alignment arrived: nothing to pass */
		res = 0;
	} else if (r1 < 0) {
		res = r1;
		failed = 2;
	} else {
		res = r1;
	}
	*info = (u64)failed << 32 | (u32)max(r0, 0);
	return res;
}
EXPORT_SYMBOL_IF_KUNIT(iub_route_outcome);

/**
 * iub_route_stage_end() - pass a stage's outcome on, before its fence
 * @x: a transfer that is a stage of a route, ending
 * @result: its result
 *
 * Any context, no lock held; called before @x's fence is signalled, so the
 * second stage, which waits on that fence, has not started yet.
 */
void iub_route_stage_end(struct iub_xfer *x, int result)
{
	struct iub_xfer *next = x->route->stage[1];
	unsigned long flags;

	if (x != x->route->stage[0])
		return;
	spin_lock_irqsave(&next->port->lock, flags);
	next->abort_error = iub_route_pass_on(result, next->port->align,
					      &next->length);
	spin_unlock_irqrestore(&next->port->lock, flags);
}

/* A stage's request completed (any context): the second one ends the route. */
static void iub_route_stage_done(struct iub_req *sreq)
{
	struct iub_route_req *r = container_of(sreq, struct iub_xfer, req)->route;
	int res;

	if (atomic_inc_return(&r->ended) < 2)
		return;
	res = iub_route_outcome(r->stage[0]->req.result,
				r->stage[1]->req.result, &r->req.result2);
	iub_req_complete(&r->req, res);
}

static void iub_route_cancel(struct iub_req *req)
{
	struct iub_route_req *r = to_route(req);

	iub_xfer_cancel(r->stage[0]);
	iub_xfer_cancel(r->stage[1]);
}

static void iub_route_release(struct iub_req *req)
{
	struct iub_route_req *r = to_route(req);

	iub_req_put(&r->stage[0]->req);
	iub_req_put(&r->stage[1]->req);
}

static const struct iub_req_ops iub_route_ops = {
	.cancel = iub_route_cancel,
	.release = iub_route_release,
};

/*
 * Both ports must be claimed by this file (their -ENODEV, -EPERM or
 * -ESHUTDOWN first, @from's before @to's) and move data the way the route
 * needs: -EINVAL otherwise, whatever the state of the buffer, before a
 * stage's mapping could say -EBUSY (two writers) or the like.
 */
static int iub_route_check_ports(struct iub_ctx *ctx, u16 from, u16 to)
{
	struct iub_port *p0, *p1;
	int ret;

	p0 = iub_port_get_claimed(ctx, from);
	if (IS_ERR(p0))
		return PTR_ERR(p0);
	p1 = iub_port_get_claimed(ctx, to);
	if (IS_ERR(p1)) {
		ret = PTR_ERR(p1);
		goto out_put0;
	}
	ret = p0->direction == IUB_DIR_TO_MEM &&
	      p1->direction == IUB_DIR_FROM_MEM ? 0 : -EINVAL;
	iub_port_put(p1);
out_put0:
	iub_port_put(p0);
	return ret;
}

/**
 * iub_route_owner() - the owner a route of the kernel's own was started for
 * @req: the route's request, as its parent_done callback gets it
 *
 * Return: the @owner given to iub_route_start().
 */
void *iub_route_owner(struct iub_req *req)
{
	return to_route(req)->owner;
}

/**
 * iub_route_start() - check, build and queue a route
 * @cmd: the command: IUB_IOC_ROUTE's, or a stream's (&struct iub_cmd.stream)
 * @rt: the route
 * @done: for a route of the kernel's own: called instead of delivering the
 *	result (any context, as &struct iub_req.parent_done); NULL for
 *	IUB_IOC_ROUTE
 * @owner: what iub_route_owner() returns for it
 * @out: set to the route's request before anything can complete it; the
 *	request's own reference is the caller's once @done was called
 *
 * Process context. Both stages are checked and built before anything is
 * queued; a refusal then leaves nothing behind.
 *
 * Return: 0 once queued (the route ends through its request), or -errno
 * before the route was queued.
 */
int iub_route_start(struct iub_cmd *cmd, const struct iub_route *rt,
		    void (*done)(struct iub_req *req), void *owner,
		    struct iub_req **out)
{
	struct iub_cmd scmd = {
		.ctx = cmd->ctx,
		.op = cmd->op,
		.nowait = cmd->nowait,
		.stream = cmd->stream,
	};
	struct iub_transfer t = {
		.handle = rt->handle,
		.offset = rt->offset,
		.length = rt->length,
	};
	struct iub_route_req *r;
	struct iub_xfer *x0, *x1;
	struct dma_resv *resv;
	struct iub_req *req;
	int ret, ret0, ret1;
	bool locked;

	if (rt->flags & ~IUB_ROUTE_FLAGS)
		return -EINVAL;
	ret = iub_route_check_ports(cmd->ctx, rt->from, rt->to);
	if (ret)
		return ret;

	/* the stages are requests of the route, not of io_uring */
	t.port = rt->from;
	x0 = iub_xfer_create(&scmd, &t);
	if (IS_ERR(x0))
		return PTR_ERR(x0);
	t.port = rt->to;
	t.flags = rt->flags & IUB_ROUTE_ZLP ? IUB_XFER_ZLP : 0;
	x1 = iub_xfer_create(&scmd, &t);
	if (IS_ERR(x1)) {
		ret = PTR_ERR(x1);
		goto err_destroy_x0;
	}
	/* again: an id may name another port since the check above */
	if (x0->port->direction != IUB_DIR_TO_MEM ||
	    x1->port->direction != IUB_DIR_FROM_MEM) {
		ret = -EINVAL;
		goto err_destroy_x1;
	}

	/* both stages are on the same buffer: one reservation lock */
	resv = x0->buf->dmabuf->resv;
	ret = iub_xfer_lock_early(cmd, resv, &locked);
	if (ret)
		goto err_destroy_x1;
	req = iub_req_alloc(cmd, &iub_route_ops, sizeof(*r));
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto err_unlock;
	}
	r = to_route(req);
	r->stage[0] = x0;
	r->stage[1] = x1;
	r->owner = owner;
	if (done)
		req->parent_done = done;
	x0->route = r;
	x1->route = r;
	x0->req.parent_done = iub_route_stage_done;
	x1->req.parent_done = iub_route_stage_done;
	*out = req;
	iub_req_commit(cmd, req);
	/* the stages end the route, which may then be freed: hold it */
	iub_req_get(req);

	/* the first stage's fence goes into dma_resv first: the second waits */
	ret = iub_xfer_lock_late(cmd, resv, locked, req);
	ret0 = ret ? ret : iub_xfer_enqueue(x0);
	ret1 = ret0 ? -ECANCELED : iub_xfer_enqueue(x1);
	if (!ret)
		dma_resv_unlock(resv);
	if (ret0)
		iub_xfer_fail(x0, ret0);
	else
		iub_xfer_go(x0);
	if (ret1)
		iub_xfer_fail(x1, ret1);	/* the route ends after x0 */
	else
		iub_xfer_go(x1);
	iub_req_arm(req);
	iub_req_put(req);
	return 0;

err_unlock:
	if (locked)
		dma_resv_unlock(resv);
err_destroy_x1:
	iub_xfer_destroy(x1);
err_destroy_x0:
	iub_xfer_destroy(x0);
	return ret;
}

/**
 * iub_route_submit() - IUB_IOC_ROUTE
 * @cmd: the command
 *
 * Process context.
 *
 * Return: -EIOCBQUEUED, or -errno before the route was queued.
 */
int iub_route_submit(struct iub_cmd *cmd)
{
	struct iub_req *req;
	int ret;

	ret = iub_route_start(cmd, &cmd->arg.route, NULL, NULL, &req);
	return ret ? ret : -EIOCBQUEUED;
}
