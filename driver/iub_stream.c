// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: streams.
 *
 * A stream is a ring of buffer ranges that the kernel routes from one port
 * to another over and over: each range is a route (iub_route.c), and when
 * a route has ended, the stream's worker routes its range again, behind
 * the others. So every range that is not being emptied is queued on the
 * port that fills: a converter never waits for userspace, and userspace
 * makes one submission and reaps one completion for the whole stream.
 *
 * While a stream runs, it holds both ports (&struct iub_port.stream):
 * other transfers, routes and streams on them fail with -EBUSY. It ends
 * when the byte count is reached, when a route fails (the others are then
 * cancelled), or when it is cancelled; its result is 0 or the first
 * error, and the bytes the second port moved go into the 32-byte CQE.
 */
#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iub_priv.h"
#include "iub_trace.h"

/**
 * struct iub_stream_slot - one range of a stream's ring
 * @s: the stream
 * @range: the range, as userspace gave it
 * @buf: the buffer its handle named at submission, referenced: a handle
 *	that names another buffer by the time the range is routed again
 *	(detached, another buffer attached) ends the stream with -ENOENT
 * @route: its route while one is in flight, else NULL; the route's own
 *	reference is the stream's from when the route ended until the
 *	worker puts it. Written by the worker; read by the route's done
 *	callback only through iub_route_owner()
 * @node: in &struct iub_stream_req.ended while its route has ended and
 *	the worker has not seen it yet; protected by &struct
 *	iub_stream_req.lock
 */
struct iub_stream_slot {
	struct iub_stream_req *s;
	struct iub_stream_range range;
	struct iub_buf *buf;
	struct iub_req *route;
	struct list_head node;
};

/**
 * struct iub_stream_req - the request of an IUB_IOC_STREAM
 * @req: the request (first member)
 * @from: the port that fills, referenced until the request is freed
 * @to: the port that empties, referenced likewise
 * @flags: %IUB_ROUTE_* flags of every route
 * @limit: bytes to give @from, 0 for no limit
 * @queued: bytes given to @from so far; worker only
 * @moved: bytes @to moved in the routes that ended; worker only
 * @active: routes in flight; worker only
 * @cancelled: the worker cancelled the routes in flight; worker only
 * @started: the worker has routed every range once; worker only
 * @finished: the worker ended the stream; worker only
 * @committed: the request is io_uring's (iub_req_commit() ran): before
 *	that, the worker does nothing, so that a PORT_CANCEL of another
 *	thread cannot complete it first. Set once with a release store
 * @lock: protects @ended, @error and @stopping; taken with interrupts
 *	off (a route ends from a DMA callback)
 * @ended: slots whose route ended, in the order they did
 * @error: the first error; the stream's result
 * @stopping: route nothing more and cancel what is in flight; set with
 *	@error
 * @draining: route nothing more, let what is in flight finish
 *	(%IUB_CANCEL_DRAIN); set once, read without the lock
 * @work: the worker: takes what ended, routes ranges again, cancels and
 *	ends the stream. On iub_issue_wq; it may sleep (buffer mappings, the
 *	reservation lock). Each queueing holds a reference to @req
 * @nr: slots in @slot
 * @slot: the ring
 *
 * Only the worker ends the stream, once nothing of it is in flight; it
 * first gives the ports back (clears &struct iub_port.stream).
 */
struct iub_stream_req {
	struct iub_req req;
	struct iub_port *from;
	struct iub_port *to;
	u16 flags;
	u64 limit;
	u64 queued;
	u64 moved;
	unsigned int active;
	bool cancelled;
	bool started;
	bool finished;
	bool committed;
	spinlock_t lock;		/* @ended, @error, @stopping */
	struct list_head ended;
	int error;
	bool stopping;
	bool draining;
	struct work_struct work;
	unsigned int nr;
	struct iub_stream_slot slot[] __counted_by(nr);
};

static struct iub_stream_req *to_stream(struct iub_req *req)
{
	return container_of(req, struct iub_stream_req, req);
}

/**
 * iub_stream_stopping() - whether a stream routes nothing more
 * @s: the stream
 *
 * Any context; read without the stream's lock. A hint, except where a
 * stage of the stream is queued (iub_xfer_may_queue()): read there under
 * the port's lock, which a PORT_CANCEL takes to end the port's transfers
 * after it stopped the stream (iub_stream_end_port(), then
 * iub_xfer_end_port()), so a stage queued after that cancel sees the stop.
 *
 * Return: true once it was cancelled or failed.
 */
bool iub_stream_stopping(struct iub_stream_req *s)
{
	return READ_ONCE(s->stopping);
}

/*
 * Any context: let the worker run, holding the request for it. The caller
 * keeps the request alive across the call (a reference of its own, or a
 * route's slot listed under @s->lock), so that the decrement below never
 * drops the last reference.
 */
static void iub_stream_kick(struct iub_stream_req *s)
{
	iub_req_get(&s->req);
	if (!queue_work(iub_issue_wq, &s->work))
		refcount_dec(&s->req.ref);	/* queued already: it holds one */
}

/* Any context: end the stream with @error (the first one counts). */
static void iub_stream_stop(struct iub_stream_req *s, int error)
{
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	if (!s->error)
		s->error = error;
	WRITE_ONCE(s->stopping, true);
	spin_unlock_irqrestore(&s->lock, flags);
}

/* A route of the stream ended (any context): over to the worker. */
static void iub_stream_route_done(struct iub_req *route)
{
	struct iub_stream_slot *slot = iub_route_owner(route);
	struct iub_stream_req *s = slot->s;
	unsigned long flags;

	/*
	 * The route holds no reference to the stream: while its slot is not
	 * on @ended, the stream cannot end (the worker counts it active).
	 * So the slot is listed and the worker queued, with the worker's
	 * reference, in one step under the lock; not a byte of @s after it.
	 */
	spin_lock_irqsave(&s->lock, flags);
	list_add_tail(&slot->node, &s->ended);
	iub_stream_kick(s);	/* the listed slot holds @s for the call */
	spin_unlock_irqrestore(&s->lock, flags);
}

/* Worker: route @slot's range again, unless the stream is over. */
static void iub_stream_route(struct iub_stream_req *s,
			     struct iub_stream_slot *slot)
{
	struct iub_cmd cmd = {
		.ctx = s->req.ctx,
		.op = IUB_IOC_ROUTE,
		.stream = s,
	};
	struct iub_route rt = {
		.handle = slot->range.handle,
		.flags = s->flags,
		.from = s->from->id,
		.to = s->to->id,
		.offset = slot->range.offset,
		.length = slot->range.length,
	};
	struct iub_buf *buf;
	int ret;

	if (iub_stream_stopping(s) || READ_ONCE(s->draining))
		return;
	if (s->limit) {
		if (s->queued >= s->limit)
			return;
		rt.length = min_t(u64, rt.length, s->limit - s->queued);
	}
	buf = iub_buf_get(s->req.ctx, rt.handle);
	if (buf)
		iub_buf_put(buf);
	if (buf != slot->buf) {
		iub_stream_stop(s, -ENOENT);
		return;
	}
	ret = iub_route_start(&cmd, &rt, iub_stream_route_done, slot,
			      &slot->route);
	if (ret) {
		slot->route = NULL;
		/* a port that went away (unregistered: -ENODEV) is -ESHUTDOWN */
		if (!READ_ONCE(s->from->present) || !READ_ONCE(s->to->present))
			ret = -ESHUTDOWN;
		iub_stream_stop(s, ret);
		return;
	}
	s->queued += rt.length;
	s->active++;
}

/* Worker: the stream holds its ports no more. */
static void iub_stream_release_port(struct iub_stream_req *s,
				    struct iub_port *port)
{
	spin_lock_irq(&port->lock);
	if (port->stream == s) {
		port->stream = NULL;
		/* the idle time after a stream is no gap */
		iub_port_gap_forget(port);
	}
	spin_unlock_irq(&port->lock);
}

static void iub_stream_work(struct work_struct *work)
{
	struct iub_stream_req *s = container_of(work, struct iub_stream_req,
						work);
	struct iub_stream_slot *slot, *tmp;
	LIST_HEAD(ended);
	unsigned int i;
	int error;

	/* not before the submitter made the request io_uring's (release) */
	if (!smp_load_acquire(&s->committed))
		goto out;
	spin_lock_irq(&s->lock);
	list_splice_init(&s->ended, &ended);
	spin_unlock_irq(&s->lock);

	if (!s->started) {
		s->started = true;
		for (i = 0; i < s->nr; i++)
			iub_stream_route(s, &s->slot[i]);
	}
	/* every outcome first (an error is the stream's), then route again */
	list_for_each_entry(slot, &ended, node) {
		struct iub_req *route = slot->route;

		if (route->result < 0)
			iub_stream_stop(s, route->result);
		else
			s->moved += route->result;
		trace_iub_stream_route(s->to->id, route->result, s->moved);
		slot->route = NULL;
		s->active--;
		iub_req_put(route);
	}
	list_for_each_entry_safe(slot, tmp, &ended, node) {
		list_del_init(&slot->node);
		iub_stream_route(s, slot);
	}

	if (iub_stream_stopping(s) && !s->cancelled) {
		/* the routes still in flight end with ECANCELED */
		s->cancelled = true;
		for (i = 0; i < s->nr; i++) {
			if (s->slot[i].route)
				iub_req_cancel(s->slot[i].route);
		}
	}
	if (!s->active && !s->finished &&
	    (iub_stream_stopping(s) || READ_ONCE(s->draining) ||
	     (s->limit && s->queued >= s->limit))) {
		s->finished = true;
		iub_stream_release_port(s, s->from);
		iub_stream_release_port(s, s->to);
		spin_lock_irq(&s->lock);
		error = s->error;
		spin_unlock_irq(&s->lock);
		s->req.result2 = s->moved;
		trace_iub_stream_end(s->from->id, s->to->id, error, s->moved);
		iub_req_complete(&s->req, error);
	}
out:
	iub_req_put(&s->req);
}

/**
 * iub_stream_end_port() - end the stream running on a port
 * @port: the port (IUB_IOC_PORT_CANCEL)
 * @cancel: stop it, its routes in flight cancelled (the caller ends the
 *	port's transfers next), and end it with -ECANCELED; else let its
 *	routes in flight finish and end it with 0 (%IUB_CANCEL_DRAIN), unless
 *	something failed
 *
 * Process context.
 *
 * Return: 1 if a stream ran on the port, else 0.
 */
int iub_stream_end_port(struct iub_port *port, bool cancel)
{
	struct iub_stream_req *s;

	/*
	 * A stream gives its ports back before it completes, so one still
	 * on the port has its own reference to its request.
	 */
	spin_lock_irq(&port->lock);
	s = port->stream;
	if (s)
		iub_req_get(&s->req);
	spin_unlock_irq(&port->lock);
	if (!s)
		return 0;
	if (cancel)
		iub_stream_stop(s, -ECANCELED);
	else
		WRITE_ONCE(s->draining, true);
	iub_stream_kick(s);
	iub_req_put(&s->req);
	return 1;
}

/* The stream was cancelled (ring or task exit, a signal to the ioctl). */
static void iub_stream_cancel(struct iub_req *req)
{
	struct iub_stream_req *s = to_stream(req);

	iub_stream_stop(s, -ECANCELED);
	iub_stream_kick(s);
}

static void iub_stream_release(struct iub_req *req)
{
	struct iub_stream_req *s = to_stream(req);
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		if (s->slot[i].buf)
			iub_buf_put(s->slot[i].buf);
	}
	iub_port_put(s->from);
	iub_port_put(s->to);
}

static const struct iub_req_ops iub_stream_ops = {
	.cancel = iub_stream_cancel,
	.release = iub_stream_release,
};

/**
 * struct iub_stream_desc - a stream's description, as copied in
 * @s: the structure
 * @ranges: the ring that follows it
 */
struct iub_stream_desc {
	struct iub_stream s;
	struct iub_stream_range ranges[];
};

/* Copy the description in: the structure, then with the ring after it. */
static struct iub_stream_desc *
iub_stream_copy_in(const struct iub_stream_cmd *c)
{
	void __user *u = u64_to_user_ptr(c->stream);
	struct iub_stream_desc *desc;
	struct iub_stream head;
	size_t size;

	if (c->flags || c->size < sizeof(head))
		return ERR_PTR(-EINVAL);
	if (copy_from_user(&head, u, sizeof(head)))
		return ERR_PTR(-EFAULT);
	if (!head.nr_ranges || head.nr_ranges > IUB_STREAM_RANGES_MAX)
		return ERR_PTR(-EINVAL);
	size = struct_size(desc, ranges, head.nr_ranges);
	if (c->size != size)
		return ERR_PTR(-EINVAL);
	desc = memdup_user(u, size);
	if (IS_ERR(desc))
		return desc;
	/* userspace may have changed it in between: the copy counts */
	if (desc->s.nr_ranges != head.nr_ranges) {
		kfree(desc);
		return ERR_PTR(-EINVAL);
	}
	return desc;
}

/*
 * Map @buf for @port now, as a transfer would when it is created: a buffer
 * that cannot be mapped (-EIO), or that another device fills (-EBUSY),
 * is refused before anything runs. -EAGAIN: it would have to wait.
 */
static int iub_stream_map(struct iub_buf *buf, struct iub_port *port,
			  bool nowait)
{
	struct iub_buf_map *map;
	void *vaddr;

	if (!port->dma_dev) {
		vaddr = iub_buf_vmap(buf, nowait);
		return IS_ERR(vaddr) ? PTR_ERR(vaddr) : 0;
	}
	map = iub_buf_map(buf, port->dma_dev, iub_port_map_dir(port),
			  IUB_MAP_USE | (nowait ? IUB_MAP_NOWAIT : 0));
	if (IS_ERR(map))
		return PTR_ERR(map);
	iub_buf_map_put(buf, map);
	return 0;
}

/*
 * Each range as a transfer through both ports: flags, alignment, size
 * (-EINVAL, -E2BIG), the handle (-ENOENT), the range inside the buffer,
 * the buffer's mappings (-EIO, -EBUSY; -EAGAIN with @nowait).
 */
static int iub_stream_check_range(struct iub_ctx *ctx,
				  const struct iub_stream *desc,
				  const struct iub_stream_range *r,
				  struct iub_port *from, struct iub_port *to,
				  bool nowait)
{
	struct iub_transfer t = {
		.handle = r->handle,
		.offset = r->offset,
		.length = r->length,
	};
	struct iub_buf *buf;
	int ret;

	ret = iub_xfer_check(&t, from);
	if (ret)
		return ret;
	t.flags = desc->flags & IUB_ROUTE_ZLP ? IUB_XFER_ZLP : 0;
	ret = iub_xfer_check(&t, to);
	if (ret)
		return ret;
	buf = iub_buf_get(ctx, r->handle);
	if (!buf)
		return -ENOENT;
	ret = (u64)r->offset + r->length > buf->size ? -EINVAL : 0;
	/* the mappings, as the ranges' routes would make them */
	if (!ret)
		ret = iub_stream_map(buf, from, nowait);
	if (!ret)
		ret = iub_stream_map(buf, to, nowait);
	iub_buf_put(buf);
	return ret;
}

/* @port becomes the stream's, unless it runs a stream already. */
static int iub_stream_take_port(struct iub_stream_req *s,
				struct iub_port *port)
{
	int ret = 0;

	spin_lock_irq(&port->lock);
	if (port->owner != s->req.ctx)
		ret = iub_port_not_ours(port, s->req.ctx);	/* released since */
	else if (!port->present)
		ret = -ESHUTDOWN;
	else if (port->stream)
		ret = -EBUSY;
	else
		port->stream = s;
	/* the idle time before a stream is no gap */
	if (!ret)
		iub_port_gap_forget(port);
	spin_unlock_irq(&port->lock);
	return ret;
}

/* Everything the stream names, checked in the documented order. */
static int iub_stream_check(struct iub_ctx *ctx,
			    const struct iub_stream_desc *d,
			    struct iub_port **from, struct iub_port **to,
			    bool nowait)
{
	const struct iub_stream *desc = &d->s;
	unsigned int i;
	int ret;

	if (desc->reserved0 || desc->flags & ~IUB_ROUTE_FLAGS)
		return -EINVAL;
	for (i = 0; i < desc->nr_ranges; i++) {
		if (d->ranges[i].reserved0 || d->ranges[i].reserved1)
			return -EINVAL;
	}
	*from = iub_port_get_claimed(ctx, desc->from);
	if (IS_ERR(*from))
		return PTR_ERR(*from);
	*to = iub_port_get_claimed(ctx, desc->to);
	if (IS_ERR(*to)) {
		ret = PTR_ERR(*to);
		goto err_put_from;
	}
	ret = -EINVAL;
	if ((*from)->direction != IUB_DIR_TO_MEM ||
	    (*to)->direction != IUB_DIR_FROM_MEM)
		goto err_put_to;
	if (!IS_ALIGNED(desc->bytes, (*from)->align) ||
	    !IS_ALIGNED(desc->bytes, (*to)->align))
		goto err_put_to;
	for (i = 0; i < desc->nr_ranges; i++) {
		ret = iub_stream_check_range(ctx, desc, &d->ranges[i],
					     *from, *to, nowait);
		if (ret)
			goto err_put_to;
	}
	return 0;

err_put_to:
	iub_port_put(*to);
err_put_from:
	iub_port_put(*from);
	return ret;
}

/**
 * iub_stream_submit() - IUB_IOC_STREAM
 * @cmd: the command
 *
 * Process context, in the submitter's (its memory holds the description).
 * Everything is checked before the request exists; the routes are then
 * queued by the stream's worker, after the file's io_uring commands that
 * were submitted before and still wait to be issued (iub_defer.c).
 *
 * Return: -EIOCBQUEUED, or -errno before the stream started (-EAGAIN: io_uring
 * issues it again from its worker, where it may wait for those commands).
 */
int iub_stream_submit(struct iub_cmd *cmd)
{
	struct iub_port *from, *to;
	struct iub_stream_desc *desc;
	struct iub_stream_req *s;
	struct iub_req *req;
	unsigned int i;
	int ret;

	desc = iub_stream_copy_in(&cmd->arg.stream);
	if (IS_ERR(desc))
		return PTR_ERR(desc);
	ret = iub_stream_check(cmd->ctx, desc, &from, &to, cmd->nowait);
	if (ret)
		goto out_free;

	/* after the commands submitted before it, which may still wait */
	if (iub_defer_pending(cmd->ctx)) {
		ret = cmd->nowait ? -EAGAIN : iub_defer_wait(cmd->ctx);
		if (ret)
			goto err_put;
	}
	req = iub_req_alloc(cmd, &iub_stream_ops,
			    struct_size(s, slot, desc->s.nr_ranges));
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto err_put;
	}
	s = to_stream(req);
	s->nr = desc->s.nr_ranges;
	s->from = from;			/* the request's references from here */
	s->to = to;
	s->flags = desc->s.flags;
	s->limit = desc->s.bytes;
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->ended);
	INIT_WORK(&s->work, iub_stream_work);
	for (i = 0; i < s->nr; i++) {
		s->slot[i].s = s;
		s->slot[i].range = desc->ranges[i];
		s->slot[i].buf = iub_buf_get(cmd->ctx, desc->ranges[i].handle);
		INIT_LIST_HEAD(&s->slot[i].node);
		if (!s->slot[i].buf)
			ret = -ENOENT;	/* detached since the check */
	}
	/* every route in flight at once: itself and its two stages */
	if (!ret)
		ret = iub_req_charge(req, 3 * s->nr);
	if (!ret)
		ret = iub_stream_take_port(s, from);
	if (!ret) {
		ret = iub_stream_take_port(s, to);
		if (ret)
			iub_stream_release_port(s, from);
	}
	if (ret) {
		iub_req_put(req);	/* puts the ports */
		goto out_free;
	}
	iub_req_commit(cmd, req);
	/* pairs with the acquire in iub_stream_work(): the commit is seen */
	smp_store_release(&s->committed, true);
	iub_req_get(req);
	iub_stream_kick(s);
	iub_req_arm(req);
	iub_req_put(req);
	kfree(desc);
	return -EIOCBQUEUED;

err_put:
	iub_port_put(from);
	iub_port_put(to);
out_free:
	kfree(desc);
	return ret;
}
