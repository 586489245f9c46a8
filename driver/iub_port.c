// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: the port registry.
 *
 * A port is a place data goes to or comes from: the DMA channel of an IIO
 * converter (iub_port_dma.c) or, later, a bulk endpoint of our USB gadget
 * function. Ports are global; an open file claims the ones it uses, and
 * only the claiming file can transfer through a port.
 */
#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "iub_priv.h"
#include "iub_trace.h"

/*
 * Serializes changes to the registry and to the owner of every port. The
 * xarray (id -> port) is also read under RCU alone, on the transfer path.
 */
DEFINE_MUTEX(iub_ports_lock);
static DEFINE_XARRAY_ALLOC(iub_ports);
static unsigned int iub_nr_ports;	/* protected by iub_ports_lock */

/*
 * The module of a port's code when it is not the bridge (the USB function):
 * the port holds it from iub_port_add() to iub_port_free(), so that a
 * transfer freed long after the port was unregistered (its CQE reaped
 * late) still finds the port's ops. The bridge's own ports are held by the
 * bridge's files instead: it can be unloaded once no file, buffer or fence
 * is left.
 */
static struct module *iub_port_foreign_module(struct iub_port *port)
{
	return port->ops->owner == THIS_MODULE ? NULL : port->ops->owner;
}

/**
 * iub_port_add() - register a port and give it an id
 * @port: a port whose name, kind, direction and ops are set
 *
 * Return: 0 or -errno.
 */
int iub_port_add(struct iub_port *port)
{
	struct module *owner = iub_port_foreign_module(port);
	int ret;

	if (owner && !try_module_get(owner))
		return -ENODEV;
	kref_init(&port->ref);
	spin_lock_init(&port->lock);
	mutex_init(&port->cancel_lock);
	INIT_LIST_HEAD(&port->pending);
	INIT_LIST_HEAD(&port->running);
	INIT_LIST_HEAD(&port->failed);
	INIT_WORK(&port->kick_work, iub_port_kick_work);
	port->fence_context = dma_fence_context_alloc(1);

	mutex_lock(&iub_ports_lock);
	ret = xa_alloc(&iub_ports, &port->id, port, XA_LIMIT(0, U16_MAX),
		       GFP_KERNEL);
	if (!ret)
		iub_nr_ports++;
	mutex_unlock(&iub_ports_lock);
	if (ret)
		module_put(owner);
	return ret;
}
EXPORT_SYMBOL_GPL(iub_port_add);

static void iub_port_free(struct kref *ref)
{
	struct iub_port *port = container_of(ref, struct iub_port, ref);
	struct module *owner = iub_port_foreign_module(port);

	WARN_ON(!list_empty(&port->pending) || !list_empty(&port->running));
	mutex_destroy(&port->cancel_lock);
	if (port->ops->destroy)
		port->ops->destroy(port);
	/* our code, not the owner's, runs this: safe after the last put */
	module_put(owner);
}

/**
 * iub_port_put() - drop a reference to a port
 * @port: the port
 *
 * Process context. The last reference frees the port (->destroy); the
 * kind must free it after an RCU grace period, lookups are lockless.
 */
void iub_port_put(struct iub_port *port)
{
	kref_put(&port->ref, iub_port_free);
}
EXPORT_SYMBOL_GPL(iub_port_put);

/**
 * iub_port_unregister() - take a port away
 * @port: a registered port
 * @error: what its transfers end with (-ESHUTDOWN when its hardware went)
 *
 * Process context. The port disappears from the registry, its claim is
 * dropped, every transfer on it ends with @error, and the registry's
 * reference goes; transfers not yet freed keep the port's memory until
 * they are.
 */
void iub_port_unregister(struct iub_port *port, int error)
{
	mutex_lock(&iub_ports_lock);
	xa_erase(&iub_ports, port->id);
	iub_nr_ports--;
	spin_lock_irq(&port->lock);
	port->present = false;
	WRITE_ONCE(port->owner, NULL);
	spin_unlock_irq(&port->lock);
	mutex_unlock(&iub_ports_lock);

	iub_xfer_end_port(port, error);
	flush_work(&port->kick_work);
	iub_port_put(port);
}
EXPORT_SYMBOL_GPL(iub_port_unregister);

/**
 * iub_ports_count() - number of registered ports
 *
 * Return: the number.
 */
unsigned int iub_ports_count(void)
{
	unsigned int n;

	mutex_lock(&iub_ports_lock);
	n = iub_nr_ports;
	mutex_unlock(&iub_ports_lock);
	return n;
}

static struct iub_port *iub_port_find(u32 id)
{
	lockdep_assert_held(&iub_ports_lock);
	return xa_load(&iub_ports, id);
}

static void iub_port_fill_info(struct iub_port *port, struct iub_ctx *ctx,
			       struct iub_port_info *info)
{
	unsigned long flags;

	lockdep_assert_held(&iub_ports_lock);
	memset(info, 0, sizeof(*info));
	strscpy(info->name, port->name, sizeof(info->name));
	info->id = port->id;
	info->kind = port->kind;
	info->direction = port->direction;
	info->align = port->align;
	info->max_transfer = port->max_transfer;
	if (port->owner == ctx)
		info->flags |= IUB_PORT_F_CLAIMED;
	else if (port->owner)
		info->flags |= IUB_PORT_F_BUSY;
	spin_lock_irqsave(&port->lock, flags);
	info->flags |= port->caps;
	if (!port->present)
		info->flags |= IUB_PORT_F_ABSENT;
	info->bytes = port->bytes;
	info->transfers = port->transfers;
	info->errors = port->errors;
	info->gaps = port->gaps;
	info->gap_ns = port->gap_ns;
	spin_unlock_irqrestore(&port->lock, flags);
}

/**
 * iub_ports_get_info() - IUB_IOC_GET_PORTS
 * @ctx: the asking file (for %IUB_PORT_F_CLAIMED)
 * @q: the query: room for whole struct iub_port_info entries
 *
 * Absent converter ports are looked for again first, so that a converter
 * loaded after the bridge shows up.
 *
 * Return: the number of ports, or -errno.
 */
int iub_ports_get_info(struct iub_ctx *ctx, const struct iub_query *q)
{
	struct iub_port_info __user *uinfo = u64_to_user_ptr(q->data);
	struct iub_port_info *info = NULL;
	struct iub_port *port;
	unsigned int room, n = 0;
	unsigned long id;
	int ret = 0;

	if (q->flags || q->size % sizeof(*info) ||
	    q->size / sizeof(*info) > IUB_PORTS_QUERY_MAX)
		return -EINVAL;
	room = q->size / sizeof(*info);
	if (room) {
		info = kvcalloc(room, sizeof(*info), GFP_KERNEL);
		if (!info)
			return -ENOMEM;
	}

	/*
	 * Filled under the lock, copied out after: a page of the user's
	 * buffer that takes long to fault in (userfaultfd, FUSE) must not
	 * hold up claims, unbinding and converter removal.
	 */
	mutex_lock(&iub_ports_lock);
	xa_for_each(&iub_ports, id, port) {
		if (!port->present && port->kind == IUB_PORT_CONVERTER)
			iub_port_dma_resolve(port);
		if (n < room)
			iub_port_fill_info(port, ctx, &info[n]);
		n++;
	}
	mutex_unlock(&iub_ports_lock);

	if (room && copy_to_user(uinfo, info, min(n, room) * sizeof(*info)))
		ret = -EFAULT;
	kvfree(info);
	return ret ? ret : n;
}

static void iub_port_premap(struct iub_ctx *ctx, struct iub_port *port);

/**
 * iub_port_claim() - IUB_IOC_PORT_CLAIM
 * @ctx: the claiming file
 * @id: the port
 *
 * Maps the file's buffers for the port (iub_buf_premap()).
 *
 * Return: 0; -ENODEV for no such port; -ENXIO if its device or channel is
 * absent; -EBUSY if another file holds it; -EALREADY if @ctx does.
 */
int iub_port_claim(struct iub_ctx *ctx, u32 id)
{
	struct iub_port *port;
	int ret = 0;

	mutex_lock(&iub_ports_lock);
	port = iub_port_find(id);
	if (!port) {
		ret = -ENODEV;
		goto out;
	}
	if (port->owner) {
		ret = port->owner == ctx ? -EALREADY : -EBUSY;
		goto out;
	}
	if (!port->present && port->kind == IUB_PORT_CONVERTER)
		iub_port_dma_resolve(port);
	if (!port->present) {
		ret = -ENXIO;
		goto out;
	}
	spin_lock_irq(&port->lock);
	WRITE_ONCE(port->owner, ctx);
	WRITE_ONCE(port->lost_owner, NULL);
	iub_port_gap_forget(port);
	spin_unlock_irq(&port->lock);
	kref_get(&port->ref);
	mutex_unlock(&iub_ports_lock);
	iub_port_premap(ctx, port);
	iub_port_put(port);
	return 0;
out:
	mutex_unlock(&iub_ports_lock);
	return ret;
}

/* Map the file's buffers for a port it just claimed (iub_buf_premap()). */
static void iub_port_premap(struct iub_ctx *ctx, struct iub_port *port)
{
	unsigned long handle;
	struct iub_buf *buf;

	for (handle = 0;; handle++) {
		buf = iub_buf_get_next(ctx, &handle);
		if (!buf)
			break;
		iub_buf_premap(buf, port);
		iub_buf_put(buf);
	}
}

/**
 * iub_ports_premap() - map a buffer a file just attached for its ports
 * @ctx: the file
 * @buf: the buffer, referenced by the caller
 *
 * Process context; the registry's lock is not held while mapping.
 */
void iub_ports_premap(struct iub_ctx *ctx, struct iub_buf *buf)
{
	struct iub_port *port;
	unsigned long id;

	for (id = 0;; id++) {
		rcu_read_lock();
		port = xa_find(&iub_ports, &id, ULONG_MAX, XA_PRESENT);
		if (port && !kref_get_unless_zero(&port->ref))
			port = ERR_PTR(-EAGAIN);
		rcu_read_unlock();
		if (!port)
			break;
		if (IS_ERR(port))
			continue;
		if (READ_ONCE(port->owner) == ctx)
			iub_buf_premap(buf, port);
		iub_port_put(port);
	}
}

static bool iub_port_idle(struct iub_port *port)
{
	lockdep_assert_held(&port->lock);
	return list_empty(&port->pending) && list_empty(&port->running) &&
	       !port->stream;
}

/**
 * iub_port_release() - IUB_IOC_PORT_RELEASE
 * @ctx: the file that claimed the port
 * @id: the port
 *
 * Return: 0; -ENODEV for no such port; -EPERM if @ctx does not hold it;
 * -EBUSY while transfers or a stream are in flight on it.
 */
int iub_port_release(struct iub_ctx *ctx, u32 id)
{
	struct iub_port *port;
	int ret = 0;

	mutex_lock(&iub_ports_lock);
	port = iub_port_find(id);
	if (!port) {
		ret = -ENODEV;
		goto out;
	}
	if (port->owner != ctx) {
		ret = -EPERM;
		goto out;
	}
	spin_lock_irq(&port->lock);
	if (iub_port_idle(port)) {
		WRITE_ONCE(port->owner, NULL);
		iub_port_gap_forget(port);
	} else {
		ret = -EBUSY;
	}
	spin_unlock_irq(&port->lock);
out:
	mutex_unlock(&iub_ports_lock);
	return ret;
}

/**
 * iub_ports_release_ctx() - release every port a closing file holds
 * @ctx: the file; it has no request left, so its ports are idle
 */
void iub_ports_release_ctx(struct iub_ctx *ctx)
{
	struct iub_port *port;
	unsigned long id;

	mutex_lock(&iub_ports_lock);
	xa_for_each(&iub_ports, id, port) {
		if (port->lost_owner == ctx) {
			spin_lock_irq(&port->lock);
			WRITE_ONCE(port->lost_owner, NULL);
			spin_unlock_irq(&port->lock);
		}
		if (port->owner != ctx)
			continue;
		spin_lock_irq(&port->lock);
		WARN_ON(!iub_port_idle(port));
		WRITE_ONCE(port->owner, NULL);
		iub_port_gap_forget(port);
		spin_unlock_irq(&port->lock);
	}
	mutex_unlock(&iub_ports_lock);
}

/**
 * iub_port_get_claimed() - the port a transfer names, if the file holds it
 * @ctx: the file
 * @id: the port
 *
 * Lockless. The owner may change right after (release, unregistration):
 * a transfer queues itself only after checking it again under the port's
 * lock.
 *
 * Return: the port with a reference (iub_port_put()), ERR_PTR(-ENODEV) for
 * no such port, ERR_PTR(-EPERM) if @ctx has not claimed it,
 * ERR_PTR(-ESHUTDOWN) if the converter's removal took it from @ctx.
 */
struct iub_port *iub_port_get_claimed(struct iub_ctx *ctx, u32 id)
{
	struct iub_port *port;
	int ret;

	rcu_read_lock();
	port = xa_load(&iub_ports, id);
	if (!port || !kref_get_unless_zero(&port->ref)) {
		port = ERR_PTR(-ENODEV);
	} else if (READ_ONCE(port->owner) != ctx) {
		rcu_read_unlock();
		ret = iub_port_not_ours(port, ctx);
		iub_port_put(port);
		return ERR_PTR(ret);
	}
	rcu_read_unlock();
	return port;
}

/**
 * iub_port_not_ours() - the error for a file that does not hold a port
 * @port: the port
 * @ctx: the file
 *
 * Return: -ESHUTDOWN if @ctx held @port until its converter went away,
 * else -EPERM.
 */
int iub_port_not_ours(struct iub_port *port, struct iub_ctx *ctx)
{
	return READ_ONCE(port->lost_owner) == ctx ? -ESHUTDOWN : -EPERM;
}

/**
 * iub_port_cancel_cmd() - IUB_IOC_PORT_CANCEL
 * @ctx: the file that claimed the port
 * @id: the port
 *
 * @drain: %IUB_CANCEL_DRAIN: only end the port's stream gracefully (its
 *	routes in flight finish); waits for nothing, cancels nothing
 *
 * A stream on the port stops first (it routes nothing more), so that the
 * transfers ended here are its last.
 *
 * Return: the number of transfers that ended cancelled, plus one for a
 * stream that ran on the port (@drain: 1 for a stream, else 0), or
 * -ENODEV/-EPERM/-ESHUTDOWN.
 */
int iub_port_cancel_cmd(struct iub_ctx *ctx, u32 id, bool drain)
{
	struct iub_port *port = iub_port_get_claimed(ctx, id);
	int ret, stream;

	if (IS_ERR(port))
		return PTR_ERR(port);
	stream = iub_stream_end_port(port, !drain);
	ret = drain ? 0 : iub_xfer_end_port(port, -ECANCELED);
	iub_port_put(port);
	return ret < 0 ? ret : ret + stream;
}

/*
 * Gaps: a converter whose DMA has nothing queued does not wait (not every
 * one does, but a radio's ADC does): what it samples meanwhile is lost.
 * The bridge cannot see the converter's FIFO, and dmaengine reports no
 * overflow (axi-dmac has none to report); what it can see is the time its
 * port had nothing running while a stream was going on: from the
 * completion of a transfer that left nothing running behind it to the
 * start of the next one. Idle time that is not a stream's is not a gap:
 * before the first transfer after a claim, and after a cancel or a
 * release. Documentation/uapi.rst, "Overruns".
 */

/**
 * iub_port_gap_open() - the last running transfer of a port ended
 * @port: the port, @port->lock held
 *
 * Called from the transfer's completion, with @port->running empty. Not
 * during a cancel, which forgets the gap.
 */
void iub_port_gap_open(struct iub_port *port)
{
	lockdep_assert_held(&port->lock);
	if (port->kind == IUB_PORT_CONVERTER && !port->cancelling)
		port->gap_start = ktime_get();
}

/**
 * iub_port_gap_close() - a transfer started on a port: count the gap it ends
 * @port: the port, @port->lock held
 *
 * Called once the hardware took the transfer (its start succeeded).
 */
void iub_port_gap_close(struct iub_port *port)
{
	s64 ns;

	lockdep_assert_held(&port->lock);
	if (!port->gap_start)
		return;
	ns = ktime_to_ns(ktime_sub(ktime_get(), port->gap_start));
	port->gap_start = 0;
	port->gaps++;
	port->gap_ns += ns;
	trace_iub_port_gap(port, ns);
}

/**
 * iub_port_gap_forget() - the port's idle time from now on is no gap
 * @port: the port, @port->lock held
 *
 * At a claim, a release and a cancel: the open gap, if any, is not
 * counted.
 */
void iub_port_gap_forget(struct iub_port *port)
{
	lockdep_assert_held(&port->lock);
	port->gap_start = 0;
}
