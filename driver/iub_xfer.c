// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: transfers.
 *
 * Where a transfer starts: iub_xfer_submit() checks it, takes its place in
 * the port's queue and in the buffer's dma_resv (implicit sync), and
 * iub_port_start_ready() hands it to the port's hardware once the fences it
 * waits for have signalled. Where it completes: the port's completion
 * (iub_xfer_done(), from the DMA or USB completion) signals our fence and
 * ends the request; iub_xfer_end_port() ends everything on a port early.
 *
 * Transfers on one port start, and end, in submission order. A transfer
 * whose fences are not signalled yet holds back the ones behind it.
 *
 * Locking: port->lock (irqsave) protects the port's queues and each
 * transfer's state. Fences are never signalled and fence callbacks never
 * added or removed under it: a fence callback takes port->lock, possibly of
 * another port, from inside the signalling fence's lock.
 */
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/preempt.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <kunit/visibility.h>

#include "iub_priv.h"
#include "iub_trace.h"

static struct iub_xfer *to_xfer(struct iub_req *req)
{
	return container_of(req, struct iub_xfer, req);
}

/*
 * Call @fn on each DMA segment of @len bytes from @offset of a mapping,
 * walking it by DMA entries (sg_dma_address/sg_dma_len), never by CPU
 * pages. Returns the bytes it could not find (the mapping is shorter).
 */
static u64 iub_map_walk(struct iub_buf_map *map, u64 offset, u64 len,
			void (*fn)(struct iub_buf_map *map, dma_addr_t addr,
				   u32 len, void *priv),
			void *priv)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(map->sgt, sg, i) {
		u64 seg = sg_dma_len(sg);

		if (!len)
			break;
		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		seg = min(seg - offset, len);
		fn(map, sg_dma_address(sg) + offset, seg, priv);
		offset = 0;
		len -= seg;
	}
	return len;
}

/*
 * The direction of a transfer's syncs: a writable mapping is
 * bidirectional (for its unmap, iub_buf_map_free()), but a transfer on it
 * only fills the range, and a DMA_FROM_DEVICE sync for the device copies
 * nothing into a bounce buffer that the device overwrites anyway.
 */
static enum dma_data_direction iub_xfer_sync_dir(struct iub_buf_map *map)
{
	return iub_map_writable(map->dir) ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
}

static void iub_sync_for_device(struct iub_buf_map *map, dma_addr_t addr,
				u32 len, void *priv)
{
	dma_sync_single_for_device(map->dev, addr, len, iub_xfer_sync_dir(map));
}

static void iub_sync_for_cpu(struct iub_buf_map *map, dma_addr_t addr,
			     u32 len, void *priv)
{
	dma_sync_single_for_cpu(map->dev, addr, len, iub_xfer_sync_dir(map));
}

/**
 * iub_xfer_sync() - hand a transfer's range to its device, or back
 * @x: the transfer, on a port that maps buffers (@x->map)
 * @len: bytes from the start of the range
 * @for_device: before the hardware gets the range; else after it ended
 *
 * Any context. Only the range, and nothing where the mapping needs no
 * syncing (cache-coherent, nothing bounced: dma_need_sync()), so that such
 * systems pay nothing. With bounce buffers this is where data moves
 * between the buffer and the bounce buffer; on a device that is not cache
 * coherent, where caches are cleaned or invalidated.
 */
static void iub_xfer_sync(struct iub_xfer *x, u32 len, bool for_device)
{
	if (!x->map || !x->map->need_sync || !len)
		return;
	iub_map_walk(x->map, x->offset, len, for_device ? iub_sync_for_device :
			   iub_sync_for_cpu, NULL);
}

/*
 * The device is done with the transfer's range: hand it back to the CPU,
 * before anyone learns that it ended. A transfer that filled the buffer
 * hands back the bytes it wrote, or the whole range if it failed (the
 * device may have written any of it).
 */
static void iub_xfer_sync_end(struct iub_xfer *x, int result)
{
	u32 len = x->length;

	if (!x->dev_owned)
		return;
	x->dev_owned = false;
	if (iub_map_writable(x->map->dir) && result >= 0)
		len = min_t(u32, result, len);
	iub_xfer_sync(x, len, false);
}

/*
 * End a transfer that is off the port's lists: count it, signal its fence,
 * complete its request. No lock held.
 */
static void iub_xfer_end(struct iub_xfer *x, int result)
{
	struct iub_port *port = x->port;
	unsigned long flags;

	spin_lock_irqsave(&port->lock, flags);
	if (result >= 0) {
		port->bytes += result;
		port->transfers++;
	} else {
		port->errors++;
	}
	spin_unlock_irqrestore(&port->lock, flags);

	iub_xfer_sync_end(x, result);
	trace_iub_xfer_complete(x, result,
				ktime_to_ns(ktime_sub(ktime_get(), x->t_submit)));
	if (port->ops->finish)
		port->ops->finish(x);
	/* a route learns the outcome before the next stage can start */
	if (x->route)
		iub_route_stage_end(x, result);
	if (x->fence)
		iub_fence_signal(x->fence, result < 0 ? result : 0);
	iub_req_complete(&x->req, result);
}

static void iub_xfer_end_list(struct list_head *list, int result)
{
	struct iub_xfer *x, *tmp;

	list_for_each_entry_safe(x, tmp, list, node) {
		list_del_init(&x->node);
		iub_xfer_end(x, result);
	}
}

/*
 * Start the transfers at the head of the pending queue that are ready.
 * Called with port->lock held; one whose start failed is moved to @failed,
 * to be ended by the caller once the lock is dropped and the transfers
 * started before it have ended. Nothing behind it starts before it has
 * ended: the port's fences and completions keep submission order.
 */
static void iub_port_start_ready(struct iub_port *port,
				 struct list_head *failed)
{
	struct iub_xfer *x, *tmp;
	int ret;

	lockdep_assert_held(&port->lock);
	if (port->cancelling)
		return;
	list_for_each_entry_safe(x, tmp, &port->pending, node) {
		if (!list_empty(failed) || port->ending)
			break;	/* ended first, then the rest starts */
		if (x->state == IUB_XFER_ABORT) {
			x->state = IUB_XFER_ENDED;
			x->req.result = x->abort_error;
			list_move_tail(&x->node, failed);
			continue;
		}
		if (x->state != IUB_XFER_READY)
			break;
		/*
		 * A cyclic transfer holds the port until it is cancelled; one
		 * that the bridge repeats itself would let what starts behind
		 * it play between its passes, and end (signal) first.
		 */
		if (!list_empty(&port->running) &&
		    list_last_entry(&port->running, struct iub_xfer,
				    node)->flags & IUB_XFER_CYCLIC)
			break;
		if (!x->dev_owned && x->map) {
			iub_xfer_sync(x, x->length, true);
			x->dev_owned = true;
		}
		ret = port->ops->start(x);
		if (ret == -EAGAIN)
			break;	/* the port is not ready: iub_port_kick() later */
		trace_iub_xfer_start(x);
		if (ret) {
			x->state = IUB_XFER_ENDED;
			x->req.result = ret;	/* for the caller; not final */
			list_move_tail(&x->node, failed);
			continue;
		}
		iub_port_gap_close(port);
		x->state = IUB_XFER_RUNNING;
		list_move_tail(&x->node, &port->running);
	}
}

/**
 * iub_port_kick() - start what can start on a port
 * @port: the port
 *
 * Any context, no port lock held. Called when a transfer became ready,
 * when a port became able to take transfers (a USB port got configured),
 * and when the last started transfer ended while transfers whose start
 * failed wait to end behind it.
 */
void iub_port_kick(struct iub_port *port)
{
	struct iub_xfer *x, *tmp;
	unsigned long flags;
	LIST_HEAD(failed);

	spin_lock_irqsave(&port->lock, flags);
	for (;;) {
		/* the ones that failed earlier come first */
		list_splice_init(&port->failed, &failed);
		iub_port_start_ready(port, &failed);
		if (list_empty(&failed))
			break;
		if (!list_empty(&port->running)) {
			/* after those: the last one's end kicks again */
			list_splice_init(&failed, &port->failed);
			break;
		}
		port->ending++;
		spin_unlock_irqrestore(&port->lock, flags);
		list_for_each_entry_safe(x, tmp, &failed, node) {
			list_del_init(&x->node);
			iub_xfer_end(x, x->req.result);
		}
		spin_lock_irqsave(&port->lock, flags);
		port->ending--;
	}
	spin_unlock_irqrestore(&port->lock, flags);
}
EXPORT_SYMBOL_GPL(iub_port_kick);

/**
 * iub_port_kick_work() - iub_port_kick() from a worker
 * @work: &struct iub_port.kick_work
 */
void iub_port_kick_work(struct work_struct *work)
{
	iub_port_kick(container_of(work, struct iub_port, kick_work));
}

/*
 * The fence the transfer waited for has signalled: start it, with what is
 * ready behind it. Called from the fence callback (under the signalling
 * fence's lock, any context but hard interrupt) or from @wait_work. What
 * cannot start must end, and ending signals a fence, which must not happen
 * under another fence's lock: that part is left to the port's worker.
 */
static void iub_xfer_wait_over(struct iub_xfer *x)
{
	struct iub_port *port = x->port;
	unsigned long flags;
	bool defer = false;

	spin_lock_irqsave(&port->lock, flags);
	if (x->state == IUB_XFER_WAITING) {
		/*
		 * A transfer that empties the buffer waited for its writers:
		 * if one failed (the capture that was to fill it), the data is
		 * not there, and it ends with that error. One that fills the
		 * buffer only waited for earlier users to be done with it:
		 * their errors do not concern it.
		 */
		if (!x->abort_error && port->direction == IUB_DIR_FROM_MEM &&
		    READ_ONCE(x->wait->error) < 0)
			x->abort_error = READ_ONCE(x->wait->error);
		x->state = x->abort_error ? IUB_XFER_ABORT : IUB_XFER_READY;
		iub_port_start_ready(port, &port->failed);
		defer = !list_empty(&port->failed);
	}
	spin_unlock_irqrestore(&port->lock, flags);
	if (defer)
		queue_work(iub_wq, &port->kick_work);
}

static void iub_xfer_wait_work(struct work_struct *work)
{
	struct iub_xfer *x = container_of(work, struct iub_xfer, wait_work);

	iub_xfer_wait_over(x);
	iub_req_put(&x->req);
}

/*
 * Starting right from the callback saves a worker's latency per transfer
 * (the second stage of a route). Not in hard interrupt context, where the
 * port lock would nest inside locks that must never wait for it, and not
 * on ports whose start takes locks that are unsafe there (a UDC's): those
 * go through @wait_work, without touching the port lock here.
 */
static void iub_xfer_wait_done(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct iub_xfer *x = container_of(cb, struct iub_xfer, wait_cb);

	if (x->port->ops->start_in_worker || in_hardirq()) {
		iub_req_get(&x->req);
		queue_work(iub_wq, &x->wait_work);
		return;
	}
	iub_xfer_wait_over(x);
}

/**
 * iub_xfer_done() - a started transfer ended
 * @x: the transfer
 * @result: bytes transferred, or -errno
 *
 * Any context (the DMA or USB completion). Does nothing if a cancel took
 * the transfer off the port first.
 */
void iub_xfer_done(struct iub_xfer *x, int result)
{
	struct iub_port *port = x->port;
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&port->lock, flags);
	if (x->state != IUB_XFER_RUNNING) {
		spin_unlock_irqrestore(&port->lock, flags);
		return;
	}
	x->state = IUB_XFER_ENDED;
	list_del_init(&x->node);
	if (list_empty(&port->running))
		iub_port_gap_open(port);
	/* the hardware's answer to a cancel (a USB request dequeued) */
	if (port->cancelling && result < 0)
		port->cancel_ended++;
	kick = list_empty(&port->running) && !list_empty(&port->failed);
	spin_unlock_irqrestore(&port->lock, flags);
	iub_xfer_end(x, result);
	/*
	 * Those whose start failed end now. Safe after @x went: whatever
	 * takes the port away first waits for this completion (the DMA
	 * engine's terminate_sync, the UDC's give-back), then flushes the
	 * work.
	 */
	if (kick)
		queue_work(iub_wq, &port->kick_work);
}
EXPORT_SYMBOL_GPL(iub_xfer_done);

/**
 * iub_xfer_dma_period() - one period of a cyclic transfer was played
 * @x: the cyclic transfer; it goes on until the port is cancelled
 *
 * Any context. Counts the bytes and, where the hardware does not repeat
 * the range by itself, starts it again.
 */
void iub_xfer_dma_period(struct iub_xfer *x)
{
	struct iub_port *port = x->port;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&port->lock, flags);
	if (x->state != IUB_XFER_RUNNING) {
		spin_unlock_irqrestore(&port->lock, flags);
		return;
	}
	port->bytes += x->length;
	if (!port->cancelling && port->ops->rearm(x))
		ret = port->ops->start(x);
	if (ret) {
		x->state = IUB_XFER_ENDED;
		list_del_init(&x->node);
	}
	spin_unlock_irqrestore(&port->lock, flags);
	if (ret) {
		iub_xfer_end(x, ret);
		/* what waited behind it (see iub_xfer_done()) */
		queue_work(iub_wq, &port->kick_work);
	}
}

/**
 * iub_xfer_end_port() - end every transfer submitted on a port so far
 * @port: the port
 * @error: what they end with: -ECANCELED, or -ESHUTDOWN when the port's
 *	hardware goes away
 *
 * Process context. The hardware is stopped first; then the transfers end
 * in submission order, as their fences must signal: the started ones
 * (those the hardware did not finish before it stopped, and those it
 * gave back stopped), then those whose start failed, then those not
 * started yet. Transfers submitted while this runs start afterwards.
 *
 * Return: the number of transfers the cancel ended: with @error, with the
 * error the hardware gave those it stopped (a dequeued USB request's
 * -ECANCELED), or with their own (a failed start waiting behind them).
 */
int iub_xfer_end_port(struct iub_port *port, int error)
{
	struct iub_xfer *x, *tmp;
	LIST_HEAD(pending);
	LIST_HEAD(running);
	LIST_HEAD(failed);
	int n = 0;

	mutex_lock(&port->cancel_lock);
	spin_lock_irq(&port->lock);
	port->cancelling = true;
	port->cancel_ended = 0;
	iub_port_gap_forget(port);
	list_splice_init(&port->pending, &pending);
	list_for_each_entry(x, &pending, node) {
		x->state = IUB_XFER_ENDED;
		n++;
	}
	spin_unlock_irq(&port->lock);

	/* not started: forget their wait (a running callback sees ENDED) */
	list_for_each_entry(x, &pending, node) {
		if (x->wait)
			dma_fence_remove_callback(x->wait, &x->wait_cb);
	}

	port->ops->cancel(port);

	spin_lock_irq(&port->lock);
	list_splice_init(&port->running, &running);
	list_for_each_entry(x, &running, node) {
		x->state = IUB_XFER_ENDED;
		n++;
	}
	list_splice_init(&port->failed, &failed);
	n += list_count_nodes(&failed) + port->cancel_ended;
	spin_unlock_irq(&port->lock);
	iub_xfer_end_list(&running, error);
	list_for_each_entry_safe(x, tmp, &failed, node) {
		list_del_init(&x->node);
		iub_xfer_end(x, x->req.result);
	}
	iub_xfer_end_list(&pending, error);

	spin_lock_irq(&port->lock);
	port->cancelling = false;
	spin_unlock_irq(&port->lock);
	iub_port_kick(port);
	mutex_unlock(&port->cancel_lock);
	return n;
}
EXPORT_SYMBOL_GPL(iub_xfer_end_port);

/**
 * iub_xfer_cancel() - cancel a transfer: end its port's transfers
 * @x: the transfer
 *
 * Process context. Nothing happens if @x has ended already: by then its
 * port may belong to another file, whose transfers a late cancel must
 * not end.
 */
void iub_xfer_cancel(struct iub_xfer *x)
{
	struct iub_port *port = x->port;
	bool queued;

	spin_lock_irq(&port->lock);
	queued = x->state != IUB_XFER_ENDED && port->owner == x->req.ctx;
	spin_unlock_irq(&port->lock);
	if (queued)
		iub_xfer_end_port(port, -ECANCELED);
}

static void iub_xfer_req_cancel(struct iub_req *req)
{
	iub_xfer_cancel(to_xfer(req));
}

static void iub_xfer_req_release(struct iub_req *req)
{
	struct iub_xfer *x = to_xfer(req);

	if (x->wait)
		dma_fence_put(x->wait);
	if (x->fence)
		dma_fence_put(&x->fence->base);
	if (x->port->ops->release)
		x->port->ops->release(x);
	if (x->map)
		iub_buf_map_put(x->buf, x->map);
	iub_buf_put(x->buf);
	iub_port_put(x->port);
}

static const struct iub_req_ops iub_xfer_req_ops = {
	.cancel = iub_xfer_req_cancel,
	.release = iub_xfer_req_release,
};

/*
 * Whether @x may go on its port's queue: the file still holds the port
 * (-EPERM, or -ESHUTDOWN if its converter's removal took it) and its
 * hardware is there (-ESHUTDOWN), no stream but its own holds the port
 * (-EBUSY), and its own stream, if any, has not stopped (-ECANCELED).
 * Under @port->lock.
 *
 * The last check makes a PORT_CANCEL of a stream final: it stops the
 * stream, then ends the port's transfers under this lock, while the
 * stream's worker may be routing a range again. A stage queued before
 * that is ended with the others; one queued after it sees the stop.
 */
static int iub_xfer_may_queue(struct iub_xfer *x)
{
	lockdep_assert_held(&x->port->lock);
	if (x->port->owner != x->req.ctx)
		return iub_port_not_ours(x->port, x->req.ctx);
	if (!x->port->present)
		return -ESHUTDOWN;
	if (x->port->stream && x->port->stream != x->stream)
		return -EBUSY;
	return x->stream && iub_stream_stopping(x->stream) ? -ECANCELED : 0;
}

/**
 * iub_xfer_lock_early() - lock a buffer's reservation before the request
 *	is committed, where waiting is not allowed
 * @cmd: the command
 * @resv: the reservation object, or NULL for a transfer without a fence
 * @locked: set when the lock was taken
 *
 * An io_uring command issued with %IO_URING_F_NONBLOCK (inline, under the
 * ring's lock) must not wait for a lock another driver may hold for long:
 * it only tries, and -EAGAIN defers the command to the file's worker
 * (iub_defer.c), where waiting is fine. Before the request is committed,
 * so that nothing of it is left behind. Other commands lock in
 * iub_xfer_lock_late().
 *
 * Return: 0 or -EAGAIN.
 */
int iub_xfer_lock_early(struct iub_cmd *cmd, struct dma_resv *resv,
			bool *locked)
{
	*locked = false;
	if (!resv || !cmd->nowait)
		return 0;
	if (!dma_resv_trylock(resv))
		return -EAGAIN;
	*locked = true;
	return 0;
}

/**
 * iub_xfer_lock_late() - lock a buffer's reservation to queue on it
 * @cmd: the command
 * @resv: the reservation object, or NULL
 * @locked: whether iub_xfer_lock_early() took it already
 * @req: the command's request, committed: a cancel of it ends the wait
 *
 * Process context. The blocking ioctl waits interruptibly (-EINTR);
 * io_uring commands issued from io-wq, and deferred ones issued by the
 * file's worker, wait until the lock is free or the command is cancelled
 * (-ECANCELED): io-wq workers see io_uring's own notifications as pending
 * signals, so a signal cannot tell.
 *
 * Return: 0, -EINTR or -ECANCELED.
 */
int iub_xfer_lock_late(struct iub_cmd *cmd, struct dma_resv *resv,
		       bool locked, struct iub_req *req)
{
	if (!resv || locked)
		return 0;
	if (!cmd->ioucmd && !cmd->parent && !cmd->stream)
		return dma_resv_lock_interruptible(resv, NULL);
	/*
	 * Another driver may hold the lock for long: a cancel (ring exit,
	 * the task's exit) must not wait for it. Only a contended lock is
	 * polled.
	 */
	while (!dma_resv_trylock(resv)) {
		if (test_bit(IUB_REQ_CANCELLED, &req->state) ||
		    (cmd->parent &&
		     test_bit(IUB_REQ_CANCELLED, &cmd->parent->state)) ||
		    (cmd->stream && iub_stream_stopping(cmd->stream)))
			return -ECANCELED;
		usleep_range(500, 1000);
	}
	return 0;
}

/*
 * Take the transfer's place in the buffer's dma_resv and in the port's
 * queue, in one step as seen from other submitters on the same buffer: the
 * fences to wait for are the ones published before ours. A device that
 * writes the buffer waits for every earlier reader and writer; a device
 * that reads it waits for earlier writers. Called with the reservation
 * lock held.
 */
static int iub_xfer_enqueue_synced(struct iub_xfer *x, struct iub_fence *fence)
{
	struct iub_port *port = x->port;
	struct dma_resv *resv = x->buf->dmabuf->resv;
	bool to_mem = port->direction == IUB_DIR_TO_MEM;
	struct dma_fence *wait = NULL;
	int ret;

	dma_resv_assert_held(resv);
	ret = dma_resv_reserve_fences(resv, 1);
	if (ret)
		return ret;
	ret = dma_resv_get_singleton(resv, to_mem ? DMA_RESV_USAGE_READ :
						    DMA_RESV_USAGE_WRITE,
				     &wait);
	if (ret)
		return ret;

	spin_lock_irq(&port->lock);
	ret = iub_xfer_may_queue(x);
	if (ret) {
		spin_unlock_irq(&port->lock);
		dma_fence_put(wait);
		return ret;
	}
	iub_fence_init(fence, port);
	x->fence = fence;
	x->wait = wait;
	/*
	 * No fence to wait for can also mean that the one we depend on has
	 * signalled already (signalled fences are not returned): a route's
	 * first stage that failed before this one was queued.
	 */
	if (wait)
		x->state = IUB_XFER_WAITING;
	else
		x->state = x->abort_error ? IUB_XFER_ABORT : IUB_XFER_READY;
	list_add_tail(&x->node, &port->pending);
	spin_unlock_irq(&port->lock);

	/*
	 * A fence must signal in finite time; a cyclic transfer ends only
	 * when it is cancelled, so it publishes none: it waits for the
	 * earlier writers, and nobody waits for it.
	 */
	if (!(x->flags & IUB_XFER_CYCLIC))
		dma_resv_add_fence(resv, &fence->base,
				   to_mem ? DMA_RESV_USAGE_WRITE :
					    DMA_RESV_USAGE_READ);
	return 0;
}

static int iub_xfer_enqueue_nosync(struct iub_xfer *x)
{
	struct iub_port *port = x->port;
	int ret;

	spin_lock_irq(&port->lock);
	ret = iub_xfer_may_queue(x);
	if (ret) {
		spin_unlock_irq(&port->lock);
		return ret;
	}
	x->state = IUB_XFER_READY;
	list_add_tail(&x->node, &port->pending);
	spin_unlock_irq(&port->lock);
	return 0;
}

/**
 * iub_xfer_enqueue() - put a created transfer on its port's queue
 * @x: from iub_xfer_create(), held by the caller
 *
 * Process context, with the buffer's reservation lock held if the
 * transfer has a fence (iub_xfer_lock_early() or iub_xfer_lock_late()).
 * Nothing starts yet: iub_xfer_go() does that once the lock is dropped.
 *
 * Return: 0, or -errno and the transfer was not queued (-EPERM: the port
 * was released meanwhile; -ESHUTDOWN: its hardware went away; -EBUSY: a
 * stream runs on it; -ECANCELED: its stream stopped); the caller then
 * ends it with iub_xfer_fail().
 */
int iub_xfer_enqueue(struct iub_xfer *x)
{
	struct iub_fence *fence = x->fence;
	int ret;

	if (!fence)
		return iub_xfer_enqueue_nosync(x);
	x->fence = NULL;	/* set again once initialized */
	ret = iub_xfer_enqueue_synced(x, fence);
	if (ret)
		x->fence = fence;
	return ret;
}

/**
 * iub_xfer_go() - let a queued transfer start once its fence signalled
 * @x: queued by iub_xfer_enqueue(), held by the caller
 *
 * Process context, no lock held.
 */
void iub_xfer_go(struct iub_xfer *x)
{
	struct iub_port *port = x->port;

	if (x->wait && dma_fence_add_callback(x->wait, &x->wait_cb,
					      iub_xfer_wait_done)) {
		iub_xfer_wait_over(x);	/* already signalled */
	} else if (x->wait) {
		bool ended;

		/* a cancel before the callback was added could not remove it */
		spin_lock_irq(&port->lock);
		ended = x->state == IUB_XFER_ENDED;
		spin_unlock_irq(&port->lock);
		if (ended)
			dma_fence_remove_callback(x->wait, &x->wait_cb);
	}
	iub_port_kick(port);
}

/**
 * iub_xfer_fail() - end a transfer that could not be queued
 * @x: the transfer, its request committed
 * @error: the errno it ends with
 */
void iub_xfer_fail(struct iub_xfer *x, int error)
{
	kfree(x->fence);	/* never initialized */
	x->fence = NULL;
	iub_req_complete(&x->req, error);
}

struct iub_seg_fill {
	struct dma_vec *v;
	unsigned int n;
	u32 max_seg;
	u32 align;
	bool misaligned;
};

static void iub_seg_add(struct iub_buf_map *map, dma_addr_t addr, u32 len,
			void *priv)
{
	struct iub_seg_fill *fill = priv;

	if (!IS_ALIGNED(addr, fill->align) || !IS_ALIGNED(len, fill->align))
		fill->misaligned = true;
	while (len) {
		u32 piece = fill->max_seg ? min(len, fill->max_seg) : len;

		if (fill->v) {
			fill->v[fill->n].addr = addr;
			fill->v[fill->n].len = piece;
		}
		fill->n++;
		addr += piece;
		len -= piece;
	}
}

/**
 * iub_xfer_segments() - the DMA segments of a transfer's range
 * @x: the transfer, with its buffer's mapping (@x->map)
 * @v: NULL to count, else an array of the counted size to fill
 *
 * Walks the mapping by DMA entries (sg_dma_address/sg_dma_len), never by
 * CPU pages, and splits entries longer than the port's @max_seg.
 *
 * Return: the number of segments; 0 if the mapping is shorter than the
 * range or a segment's address or length is not a multiple of the port's
 * alignment (the hardware could not move it).
 */
unsigned int iub_xfer_segments(struct iub_xfer *x, struct dma_vec *v)
{
	struct iub_seg_fill fill = {
		.v = v,
		.max_seg = x->port->max_seg,
		/* a DMA engine's alignment is the memory's too; USB's is not */
		.align = x->port->kind == IUB_PORT_CONVERTER ? x->port->align : 1,
	};

	if (iub_map_walk(x->map, x->offset, x->length, iub_seg_add, &fill) ||
	    fill.misaligned)
		return 0;
	return fill.n;
}
EXPORT_SYMBOL_GPL(iub_xfer_segments);

/* @sgt allocated with @n entries and filled from @v: DMA side only */
static int iub_vec_to_sgt(const struct dma_vec *v, unsigned int n,
			  struct sg_table *sgt, gfp_t gfp)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	ret = sg_alloc_table(sgt, n, gfp);
	if (ret)
		return ret;
	for_each_sgtable_sg(sgt, sg, i) {
		sg_dma_address(sg) = v[i].addr;
		sg_dma_len(sg) = v[i].len;
		sg->length = v[i].len;
	}
	return 0;
}

/**
 * iub_xfer_sgt() - a scatterlist of a transfer's range, DMA side only
 * @x: the transfer, with its buffer's mapping
 * @sgt: the table to allocate and fill (sg_free_table() frees it)
 *
 * For hardware that takes an already-mapped scatterlist (prep_slave_sg,
 * a USB request with sg_was_mapped): each entry has its DMA address and
 * length set and no page.
 *
 * Return: 0 or -errno.
 */
int iub_xfer_sgt(struct iub_xfer *x, struct sg_table *sgt)
{
	unsigned int n = iub_xfer_segments(x, NULL);
	struct dma_vec *v;
	int ret;

	if (!n)
		return -EINVAL;
	v = kmalloc_array(n, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	iub_xfer_segments(x, v);
	ret = iub_vec_to_sgt(v, n, sgt, GFP_KERNEL);
	kfree(v);
	return ret;
}
EXPORT_SYMBOL_GPL(iub_xfer_sgt);

static void iub_segs_free(struct iub_segs *segs)
{
	if (segs->sgt.sgl)
		sg_free_table(&segs->sgt);
	kfree(segs);
}

/**
 * iub_segs_put() - a transfer is done with a segment table
 * @segs: from iub_xfer_segs(), or NULL
 *
 * Any context.
 */
void iub_segs_put(struct iub_segs *segs)
{
	if (segs && refcount_dec_and_test(&segs->ref))
		iub_segs_free(segs);
}
EXPORT_SYMBOL_GPL(iub_segs_put);

/**
 * iub_segs_drop_cache() - free a mapping's cached segment tables
 * @map: the mapping, being freed: no transfer uses it any more, and it is
 *	off its buffer's list, so its cache is the caller's alone (no lock)
 *
 * Process context.
 */
void iub_segs_drop_cache(struct iub_buf_map *map)
{
	struct iub_segs *segs, *tmp;

	list_for_each_entry_safe(segs, tmp, &map->segs, node) {
		list_del(&segs->node);
		/* the transfers that used it held the mapping too */
		WARN_ON(refcount_read(&segs->ref) != 1);
		iub_segs_put(segs);
	}
	map->nr_segs = 0;
	map->seg_entries = 0;
}

/*
 * The cached table of @key's range and kind, referenced, moved to the
 * front; NULL if there is none. Under the buffer's maps_lock.
 */
static struct iub_segs *iub_segs_find(struct iub_buf_map *map,
				      const struct iub_segs *key, bool sgt)
{
	struct iub_segs *segs;

	list_for_each_entry(segs, &map->segs, node) {
		if (segs->offset != key->offset ||
		    segs->length != key->length ||
		    segs->max_seg != key->max_seg ||
		    segs->align != key->align || (sgt && !segs->sgt.sgl))
			continue;
		list_move(&segs->node, &map->segs);
		refcount_inc(&segs->ref);
		return segs;
	}
	return NULL;
}

/*
 * Whether @segs may join the cache of @map: at most %IUB_SEGS_CACHED
 * tables, and at most twice as many segments as the mapping has entries
 * (at least 64), so that varying ranges over a large buffer cannot pin
 * more than about two tables of the whole buffer. Under maps_lock.
 */
static bool iub_segs_fit(const struct iub_buf_map *map,
			 const struct iub_segs *segs)
{
	unsigned int max = max(2 * map->sgt->nents, 64U);

	return map->nr_segs < IUB_SEGS_CACHED &&
	       map->seg_entries + segs->nents <= max;
}

/* A new table of @x's range, referenced once: for the caller. */
static struct iub_segs *iub_segs_build(struct iub_xfer *x,
				       const struct iub_segs *key, bool sgt)
{
	unsigned int n = iub_xfer_segments(x, NULL);
	struct iub_segs *segs;

	if (!n)
		return ERR_PTR(-EINVAL);
	/* kept with the buffer: charged to the task that first moved it */
	segs = kzalloc(struct_size(segs, v, n), GFP_KERNEL_ACCOUNT);
	if (!segs)
		return ERR_PTR(-ENOMEM);
	segs->nents = n;
	iub_xfer_segments(x, segs->v);
	if (sgt && iub_vec_to_sgt(segs->v, n, &segs->sgt, GFP_KERNEL_ACCOUNT)) {
		kfree(segs);
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&segs->ref, 1);
	INIT_LIST_HEAD(&segs->node);
	segs->offset = key->offset;
	segs->length = key->length;
	segs->max_seg = key->max_seg;
	segs->align = key->align;
	return segs;
}

/**
 * iub_xfer_segs() - the DMA segments of a transfer's range, built once
 * @x: the transfer, with its buffer's mapping (@x->map)
 * @sgt: also as a DMA-side scatterlist (&struct iub_segs.sgt)
 *
 * Process context. The segments of iub_xfer_segments(), made the first
 * time a range is moved through a mapping and kept with the mapping
 * (&struct iub_buf_map.segs): a buffer that goes round a ring costs one
 * list lookup per transfer, not a walk of its mapping and allocations.
 * The least recently used table no transfer holds makes room for a new
 * one; when every cached table is in use, the new one is the transfer's
 * alone.
 *
 * Return: the table, referenced for @x (iub_segs_put()), or an ERR_PTR():
 * -EINVAL if the mapping does not cover the range or a segment breaks the
 * port's alignment, -ENOMEM.
 */
struct iub_segs *iub_xfer_segs(struct iub_xfer *x, bool sgt)
{
	struct iub_buf_map *map = x->map;
	struct iub_segs key = {
		.offset = x->offset,
		.length = x->length,
		.max_seg = x->port->max_seg,
		/* as iub_xfer_segments() checks it */
		.align = x->port->kind == IUB_PORT_CONVERTER ? x->port->align : 1,
	};
	struct iub_segs *segs, *other, *evict, *s;
	unsigned long flags;
	LIST_HEAD(evicted);

	spin_lock_irqsave(&x->buf->maps_lock, flags);
	segs = iub_segs_find(map, &key, sgt);
	spin_unlock_irqrestore(&x->buf->maps_lock, flags);
	if (segs)
		return segs;

	segs = iub_segs_build(x, &key, sgt);
	if (IS_ERR(segs))
		return segs;

	spin_lock_irqsave(&x->buf->maps_lock, flags);
	/* another transfer of the same range may have built it meanwhile */
	other = iub_segs_find(map, &key, sgt);
	while (!other && !iub_segs_fit(map, segs)) {
		evict = NULL;
		list_for_each_entry_reverse(s, &map->segs, node) {
			/* only the cache holds it: nobody can take it now */
			if (refcount_read(&s->ref) == 1) {
				evict = s;
				break;
			}
		}
		if (!evict)
			break;
		list_move(&evict->node, &evicted);
		map->nr_segs--;
		map->seg_entries -= evict->nents;
	}
	if (!other && iub_segs_fit(map, segs)) {
		refcount_inc(&segs->ref);	/* the cache's */
		list_add(&segs->node, &map->segs);
		map->nr_segs++;
		map->seg_entries += segs->nents;
	}
	spin_unlock_irqrestore(&x->buf->maps_lock, flags);

	list_for_each_entry_safe(s, evict, &evicted, node) {
		list_del(&s->node);
		iub_segs_put(s);
	}
	if (other) {
		iub_segs_put(segs);
		return other;
	}
	return segs;
}
EXPORT_SYMBOL_GPL(iub_xfer_segs);

/* How many of @segs' segments hold the first @len bytes. */
static unsigned int iub_segs_count(const struct iub_segs *segs, u32 len)
{
	unsigned int i;

	for (i = 0; i < segs->nents && len; i++)
		len -= min(len, segs->v[i].len);
	return i;
}

/*
 * The copies below are made where a transfer starts, under its port's
 * lock with interrupts off: only the segments kept are copied, and a
 * failure ends the transfer with -ENOMEM rather than dipping into the
 * atomic reserves or warning (a cut is a short capture or a short bulk
 * OUT transfer: usually a few segments).
 */
#define IUB_GFP_CUT	(GFP_ATOMIC | __GFP_NOWARN)

/**
 * iub_segs_trim_vec() - a copy of the first @len bytes of a segment table
 * @segs: the table, covering at least @len bytes
 * @len: the length the transfer was cut to, not 0
 * @n: set to the number of segments of the copy
 *
 * Any context (the start of a route's second stage, under its port's
 * lock). The shared table is left as it is.
 *
 * Return: the copy (kfree() it), or NULL without memory.
 */
struct dma_vec *iub_segs_trim_vec(const struct iub_segs *segs, u32 len,
				  unsigned int *n)
{
	unsigned int k = iub_segs_count(segs, len);
	struct dma_vec *v;

	v = kmalloc_array(k, sizeof(*v), IUB_GFP_CUT);
	if (!v)
		return NULL;
	memcpy(v, segs->v, k * sizeof(*v));
	*n = iub_vec_trim(v, k, len);
	return v;
}
EXPORT_SYMBOL_GPL(iub_segs_trim_vec);

/**
 * iub_segs_trim_sgt() - the same as a DMA-side scatterlist
 * @segs: the table, covering at least @len bytes
 * @len: the length the transfer was cut to, not 0
 * @sgt: the table to allocate and fill (sg_free_table() frees it); its
 *	@nents is the number of entries that hold the @len bytes
 *
 * Any context.
 *
 * Return: 0 or -ENOMEM.
 */
int iub_segs_trim_sgt(const struct iub_segs *segs, u32 len,
		      struct sg_table *sgt)
{
	unsigned int k = iub_segs_count(segs, len);
	int ret;

	ret = iub_vec_to_sgt(segs->v, k, sgt, IUB_GFP_CUT);
	if (!ret)
		sgt->nents = iub_sgt_trim(sgt, len);
	return ret;
}
EXPORT_SYMBOL_GPL(iub_segs_trim_sgt);

/**
 * iub_vec_trim() - shorten a segment vector to @len bytes
 * @v: the segments, of at least @len bytes in all
 * @n: their number
 * @len: the new total
 *
 * For a transfer whose length was cut after it was prepared (the second
 * stage of a route). The last segment kept is shortened in place.
 *
 * Return: the number of segments kept.
 */
unsigned int iub_vec_trim(struct dma_vec *v, unsigned int n, u32 len)
{
	unsigned int i;

	for (i = 0; i < n && len; i++) {
		if (v[i].len >= len) {
			v[i].len = len;
			return i + 1;
		}
		len -= v[i].len;
	}
	return i;
}

/**
 * iub_sgt_trim() - the same for a DMA-side scatterlist
 * @sgt: built by iub_xfer_sgt() or iub_segs_trim_sgt()
 * @len: the new total
 *
 * Return: the number of entries kept.
 */
unsigned int iub_sgt_trim(struct sg_table *sgt, u32 len)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (sg_dma_len(sg) >= len) {
			sg_dma_len(sg) = len;
			sg->length = len;
			sg_mark_end(sg);
			return i + 1;
		}
		len -= sg_dma_len(sg);
	}
	return sgt->nents;
}
EXPORT_SYMBOL_GPL(iub_sgt_trim);

/**
 * iub_xfer_check() - the checks of a transfer against its port
 * @t: the transfer as userspace gave it
 * @port: the port it names
 *
 * No state: the flags, the alignment and the size limit of the port. The
 * range against the buffer's size is checked once the buffer is known.
 *
 * Return: 0, -EINVAL or -E2BIG.
 */
int iub_xfer_check(const struct iub_transfer *t, const struct iub_port *port)
{
	if (t->flags & ~IUB_XFER_FLAGS)
		return -EINVAL;
	if ((t->flags & IUB_XFER_CYCLIC) && !(port->caps & IUB_PORT_F_CYCLIC))
		return -EINVAL;
	if ((t->flags & IUB_XFER_ZLP) &&
	    (port->kind != IUB_PORT_USB || port->direction != IUB_DIR_FROM_MEM))
		return -EINVAL;
	if (!t->length || !IS_ALIGNED(t->offset, port->align) ||
	    !IS_ALIGNED(t->length, port->align))
		return -EINVAL;
	if (t->length > port->max_transfer)
		return -E2BIG;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iub_xfer_check);

/**
 * iub_xfer_create() - check a transfer and build it, not queued yet
 * @cmd: the command it belongs to (its file, its io_uring command if the
 *	transfer is the command's own request)
 * @t: what to transfer
 *
 * Process context. Everything that can be refused is refused here. A
 * command that must not wait (&struct iub_cmd.nowait) gets -EAGAIN where
 * the buffer's first mapping for the port would have to wait for its
 * reservation lock.
 *
 * Return: the transfer, or an ERR_PTR().
 */
struct iub_xfer *iub_xfer_create(struct iub_cmd *cmd,
				 const struct iub_transfer *t)
{
	struct iub_fence *fence = NULL;
	struct iub_buf_map *map = NULL;
	struct iub_port *port;
	struct iub_buf *buf;
	struct iub_xfer *x;
	struct iub_req *req;
	int ret;

	port = iub_port_get_claimed(cmd->ctx, t->port);
	if (IS_ERR(port))
		return ERR_CAST(port);
	ret = iub_xfer_check(t, port);
	if (ret)
		goto err_put_port;
	/* checked again where it is queued; refused early where it can be */
	if (READ_ONCE(port->stream) && READ_ONCE(port->stream) != cmd->stream) {
		ret = -EBUSY;
		goto err_put_port;
	}
	buf = iub_buf_get(cmd->ctx, t->handle);
	if (!buf) {
		ret = -ENOENT;
		goto err_put_port;
	}
	if ((u64)t->offset + t->length > buf->size) {
		ret = -EINVAL;
		goto err_put_buf;
	}
	if (port->dma_dev) {
		map = iub_buf_map(buf, port->dma_dev, iub_port_map_dir(port),
				  IUB_MAP_USE |
				  (cmd->nowait ? IUB_MAP_NOWAIT : 0));
		if (IS_ERR(map)) {
			ret = PTR_ERR(map);
			goto err_put_buf;
		}
	} else {
		/* made here, where we may have to say -EAGAIN, not in ->prepare */
		void *vaddr = iub_buf_vmap(buf, cmd->nowait);

		if (IS_ERR(vaddr)) {
			ret = PTR_ERR(vaddr);
			goto err_put_buf;
		}
	}
	if (!(t->flags & IUB_XFER_NO_SYNC)) {
		fence = iub_fence_alloc();
		if (!fence) {
			ret = -ENOMEM;
			goto err_put_map;
		}
	}

	req = iub_req_alloc(cmd, &iub_xfer_req_ops, sizeof(*x));
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto err_free_fence;
	}
	x = to_xfer(req);
	x->port = port;
	x->buf = buf;
	x->map = map;
	x->offset = t->offset;
	x->length = t->length;
	x->flags = t->flags;
	x->stream = cmd->stream;
	x->fence = fence;	/* not initialized before it is queued */
	x->t_submit = ktime_get();
	INIT_LIST_HEAD(&x->node);
	INIT_WORK(&x->wait_work, iub_xfer_wait_work);
	/* a cancel may remove the callback before it is added: keep it sane */
	INIT_LIST_HEAD(&x->wait_cb.node);
	ret = port->ops->prepare(x);
	if (ret) {
		iub_xfer_destroy(x);
		return ERR_PTR(ret);
	}
	trace_iub_xfer_submit(x, t->handle);
	return x;

err_free_fence:
	kfree(fence);
err_put_map:
	if (map)
		iub_buf_map_put(buf, map);
err_put_buf:
	iub_buf_put(buf);
err_put_port:
	iub_port_put(port);
	return ERR_PTR(ret);
}

/**
 * iub_xfer_destroy() - free a transfer that was never queued
 * @x: from iub_xfer_create()
 */
void iub_xfer_destroy(struct iub_xfer *x)
{
	kfree(x->fence);	/* never initialized: not a live fence yet */
	x->fence = NULL;
	iub_req_put(&x->req);
}

/**
 * iub_xfer_submit() - IUB_IOC_TRANSFER
 * @cmd: the command
 *
 * Process context. Everything that can be refused is refused before the
 * request exists; after that the result goes through iub_req_complete().
 *
 * Return: -EIOCBQUEUED, or -errno before the transfer was queued (-EAGAIN
 * for an io_uring issue that must not wait).
 */
int iub_xfer_submit(struct iub_cmd *cmd)
{
	struct iub_xfer *x = iub_xfer_create(cmd, &cmd->arg.xfer);
	struct dma_resv *resv;
	bool locked;
	int ret;

	if (IS_ERR(x))
		return PTR_ERR(x);
	resv = x->fence ? x->buf->dmabuf->resv : NULL;
	ret = iub_xfer_lock_early(cmd, resv, &locked);
	if (ret) {
		iub_xfer_destroy(x);
		return ret;
	}
	iub_req_commit(cmd, &x->req);
	/* once queued, @x may end and be freed at any time: hold it */
	iub_req_get(&x->req);
	ret = iub_xfer_lock_late(cmd, resv, locked, &x->req);
	if (!ret) {
		ret = iub_xfer_enqueue(x);
		if (resv)
			dma_resv_unlock(resv);
	}
	if (ret)
		iub_xfer_fail(x, ret);
	else
		iub_xfer_go(x);
	iub_req_arm(&x->req);
	iub_req_put(&x->req);
	return -EIOCBQUEUED;
}
