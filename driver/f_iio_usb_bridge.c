// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: the USB gadget function whose bulk endpoints are ports.
 *
 * configfs creates it on any UDC (functions/iio_usb_bridge.NAME): one
 * vendor-specific interface with in_eps bulk IN and out_eps bulk OUT
 * endpoints. While the function is bound to a gadget, each endpoint is a
 * port of the bridge ("NAME:in0", "NAME:out0", ...); transfers on it are
 * USB requests. When the host configures the function, the endpoints are
 * enabled and waiting transfers start; when the function is unbound, the
 * ports go away and their transfers end with -ESHUTDOWN.
 *
 * With protocol "libiio" the function has the shape libiio's USB backend
 * looks for: interface string "IIO", endpoint pairs IN, OUT, IN, OUT (pair
 * k is pipe k), and the three vendor requests on ep0 that open, close and
 * reset pipes. Each request, and the host's configuring and leaving, is an
 * event that IUB_IOC_PORT_EVENT hands to userspace; a closed pipe's
 * transfers end (-ECANCELED) before its event is handed on.
 *
 * Zero copy on every UDC: where the UDC does scatter-gather, a request
 * carries the buffer's scatterlist as already mapped for the UDC's DMA
 * device (sg_was_mapped); where it does not (dummy_hcd and other UDCs
 * that move data with the CPU), it carries a kernel mapping of the buffer
 * (dma_buf_vmap) and the UDC reads or writes the buffer itself.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/property.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/usb/composite.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "iub_priv.h"

#define IUB_USB_MAX_EPS		4	/* per direction */
#define IUB_USB_NAME_MAX	20	/* of the instance, for port names */
#define IUB_USB_OUT_ALIGN	1024	/* OUT lengths: whole packets at any speed */
#define IUB_USB_EVENTS		64	/* queued for IUB_IOC_PORT_EVENT */

/*
 * The longest DMA segment an SG port hands its UDC. A UDC turns each entry
 * of a request's scatterlist into one descriptor, whose length field is
 * narrower than the DMA device's max_seg_size says: dwc3 says UINT_MAX
 * where a TRB holds 24 bits, cdns3's TRB holds 17. 64 KiB fits all of
 * them, and is what the DMA API assumes of a device that says nothing.
 */
#define IUB_USB_MAX_SEG		SZ_64K

/* libiio's ep0 requests (bRequest; bmRequestType 0x41, wLength 0) */
#define IUB_LIBIIO_RESET_PIPES	0
#define IUB_LIBIIO_OPEN_PIPE	1
#define IUB_LIBIIO_CLOSE_PIPE	2

/* An event as IUB_IOC_PORT_EVENT returns it */
#define IUB_USB_EVENT(code, value)	((u32)(code) << 16 | (u16)(value))
/* In &iub_usb_events.raw: the host waits for the status stage of it */
#define IUB_USB_EVENT_STATUS		BIT(31)

/**
 * struct f_iub_opts - the configfs instance (functions/iio_usb_bridge.NAME)
 * @func_inst: the composite function instance
 * @lock: protects the fields below
 * @refcnt: functions allocated from this instance; attributes are
 *	read-only while nonzero
 * @in_eps: bulk IN endpoints, 0 to %IUB_USB_MAX_EPS
 * @out_eps: bulk OUT endpoints, 0 to %IUB_USB_MAX_EPS
 * @ss_burst: bMaxBurst of the SuperSpeed endpoint companions, 0 to 15
 * @libiio: protocol "libiio" rather than "bridge"
 * @name: the instance's name, the prefix of the port names
 */
struct f_iub_opts {
	struct usb_function_instance func_inst;
	struct mutex lock;	/* the fields below */
	int refcnt;
	u32 in_eps;
	u32 out_eps;
	u32 ss_burst;
	bool libiio;
	char name[IUB_USB_NAME_MAX + 1];
};

struct f_iub;

/**
 * struct iub_usb_events - the events of one bound function, and who waits
 * @ref: held by the function while it is bound and by each of its ports
 *	(waiting requests hold a port)
 * @lock: protects the fields below; taken in interrupt context (setup())
 * @dead: the function was unbound: no event comes any more, and waits end
 *	with -ESHUTDOWN
 * @raw: events that happened and that @work has not handled yet, oldest
 *	at @raw_head; @n_raw of them
 * @raw_head: see @raw
 * @n_raw: see @raw
 * @raw_lost: events dropped since @raw was full: they happened after those
 *	in @raw, so @work hands them on as one %IUB_EVENT_LOST after @raw;
 *	while nonzero new ones are dropped too
 * @queue: handled events no command has taken yet, oldest at @head
 * @head: see @queue
 * @n_queued: see @queue
 * @lost: events dropped since @queue was full (or handed on from
 *	@raw_lost with no command waiting); while nonzero new ones are dropped
 *	too, until %IUB_EVENT_LOST has been taken
 * @waiters: &struct iub_event_req.node of the commands waiting, oldest
 *	first; nonempty only while @queue is empty and nothing is lost
 * @status_owed: the host waits for the status stage of the request that
 *	is in @raw with %IUB_USB_EVENT_STATUS; cleared by disable() (a bus
 *	reset ended that control transfer: the status must not answer a
 *	later one)
 * @work: handles @raw in order: ends the transfers of closed pipes, sends
 *	the status stage they held back, then hands the event on. Unbinding
 *	flushes it, so @fi is valid in it
 * @fi: the function
 */
struct iub_usb_events {
	struct kref ref;
	spinlock_t lock;	/* the fields below */
	bool dead;
	u32 raw[IUB_USB_EVENTS];
	unsigned int raw_head;
	unsigned int n_raw;
	unsigned int raw_lost;
	u32 queue[IUB_USB_EVENTS];
	unsigned int head;
	unsigned int n_queued;
	unsigned int lost;
	struct list_head waiters;
	bool status_owed;
	struct work_struct work;
	struct f_iub *fi;
};

/**
 * struct iub_usb_port - a port on one bulk endpoint
 * @port: the bridge port (first member: freed through it)
 * @ep: the endpoint; NULL once the function is unbound. Protected by
 *	@port.lock
 * @online: the endpoint is enabled (the host configured us); protected
 *	by @port.lock
 * @sg: the UDC takes scatterlists; else requests carry a vmap'ed buffer
 * @free_reqs: requests not in use; protected by @port.lock
 * @queued: requests the UDC owns now; protected by @port.lock
 * @queuing: the request being passed to usb_ep_queue(), if any; written
 *	under @port.lock, read without it by the completion (which, on some
 *	UDCs, runs inside usb_ep_queue())
 * @idle: woken when @queued drops to zero
 * @ev: the function's events; held from creation to destruction
 */
struct iub_usb_port {
	struct iub_port port;
	struct iub_usb_events *ev;
	struct usb_ep *ep;
	bool online;
	bool sg;
	struct list_head free_reqs;
	unsigned int queued;
	struct usb_request *queuing;
	wait_queue_head_t idle;
};

/**
 * struct iub_usb_ep - one endpoint of a bound function
 * @fs: full-speed descriptor; usb_ep_autoconfig() picks the address
 * @hs: high-speed descriptor
 * @ss: SuperSpeed descriptor
 * @ss_comp: its companion
 * @ep: the UDC's endpoint
 * @up: the port on it
 * @in: a bulk IN endpoint
 * @index: its number among the endpoints of its direction (the pipe)
 */
struct iub_usb_ep {
	struct usb_endpoint_descriptor fs;
	struct usb_endpoint_descriptor hs;
	struct usb_endpoint_descriptor ss;
	struct usb_ss_ep_comp_descriptor ss_comp;
	struct usb_ep *ep;
	struct iub_usb_port *up;
	bool in;
	unsigned int index;
};

/**
 * struct f_iub - one function, from bind to free
 * @func: the composite function
 * @intf: its interface descriptor
 * @libiio: protocol "libiio": @eps are pairs IN, OUT (pipes) and ep0's
 *	vendor requests are events
 * @n_eps: endpoints in @eps: IN endpoints first, or pipes
 * @ev: its events, from bind to unbind
 * @ep0: the gadget's ep0
 * @status_req: the zero-length status stage of a request that waited
 *	for a pipe's transfers to end (libiio), from bind to unbind
 * @status_queued: @status_req is queued on @ep0; written by the events'
 *	worker and by its completion, read at unbind
 * @eps: the endpoints
 */
struct f_iub {
	struct usb_function func;
	struct usb_interface_descriptor intf;
	bool libiio;
	unsigned int n_eps;
	struct iub_usb_events *ev;
	struct usb_ep *ep0;
	struct usb_request *status_req;
	bool status_queued;
	struct iub_usb_ep eps[2 * IUB_USB_MAX_EPS];
};

/**
 * struct iub_usb_job - what one USB transfer needs to start
 * @segs: the range's DMA segments, shared (iub_xfer_segs(); SG UDCs)
 * @trim_sgt: the transfer's own copy of @segs' scatterlist, cut to its
 *	length when a route shortened it after it was prepared; @trim_sgt.sgl
 *	NULL otherwise
 * @vaddr: the range's kernel address (UDCs that copy with the CPU)
 * @req: the request, borrowed from the port while the transfer runs
 * @done_work: completes a request that the UDC gave back from inside
 *	usb_ep_queue(); the job lives until the request is given back. Runs
 *	on iub_usb_wq, which module exit drains
 * @dequeued: a cancel dequeued @req already; protected by the port's lock
 */
struct iub_usb_job {
	struct iub_segs *segs;
	struct sg_table trim_sgt;
	void *vaddr;
	struct usb_request *req;
	struct work_struct done_work;
	bool dequeued;
};

/*
 * Completions deferred out of usb_ep_queue() (iub_usb_done_work()), one at
 * a time in the order they came, so that a port's transfers end in order.
 * The module's own queue: a worker may still be returning into our code after
 * the transfer it completed released the last reference to the module,
 * and module exit waits for it by destroying the queue.
 */
static struct workqueue_struct *iub_usb_wq;

static struct usb_string iub_usb_strings[] = {
	[0].s = "iio-usb-bridge",
	{ }
};

static struct usb_gadget_strings iub_usb_stringtab = {
	.language = 0x0409,	/* en-us */
	.strings = iub_usb_strings,
};

static struct usb_gadget_strings *iub_usb_strings_tabs[] = {
	&iub_usb_stringtab,
	NULL,
};

/* libiio's USB backend keeps interfaces whose string is exactly "IIO" */
static struct usb_string iub_libiio_strings[] = {
	[0].s = "IIO",
	{ }
};

static struct usb_gadget_strings iub_libiio_stringtab = {
	.language = 0x0409,	/* en-us */
	.strings = iub_libiio_strings,
};

static struct usb_gadget_strings *iub_libiio_strings_tabs[] = {
	&iub_libiio_stringtab,
	NULL,
};

static struct f_iub *to_f_iub(struct usb_function *f)
{
	return container_of(f, struct f_iub, func);
}

static struct iub_usb_port *to_usb_port(struct iub_port *port)
{
	return container_of(port, struct iub_usb_port, port);
}

static void iub_usb_events_free(struct kref *ref)
{
	kfree(container_of(ref, struct iub_usb_events, ref));
}

/* ---- transfers ---- */

/* A request was given back: end its transfer. Any context. */
static void iub_usb_req_done(struct usb_request *req)
{
	struct iub_xfer *x = req->context;
	struct iub_usb_port *up = to_usb_port(x->port);
	unsigned long flags;
	int res;

	switch (req->status) {
	case 0:
		res = req->actual;	/* a short OUT packet ends it early */
		break;
	case -ECONNRESET:		/* dequeued by a cancel */
		res = -ECANCELED;
		break;
	default:			/* -ESHUTDOWN: disconnect, disable */
		res = req->status;
		break;
	}
	iub_xfer_done(x, res);

	/*
	 * Last: the port lives while requests are queued (unbinding waits for
	 * @queued to drop to zero under the lock), not a moment longer.
	 */
	spin_lock_irqsave(&up->port.lock, flags);
	if (!--up->queued)
		wake_up(&up->idle);
	spin_unlock_irqrestore(&up->port.lock, flags);
}

static void iub_usb_complete(struct usb_ep *ep, struct usb_request *req)
{
	struct iub_xfer *x = req->context;
	struct iub_usb_job *job = x->dma_priv;

	/*
	 * The gadget API forbids giving a request back from inside
	 * usb_ep_queue(), but dummy_hcd does it for short IN requests: we
	 * would take the port lock that iub_usb_start() holds, and the
	 * transfer is not running yet. Finish from a worker instead; @queued
	 * keeps the port, and the transfer keeps the job, alive until then.
	 */
	if (READ_ONCE(to_usb_port(x->port)->queuing) == req) {
		queue_work(iub_usb_wq, &job->done_work);
		return;
	}
	iub_usb_req_done(req);
}

static void iub_usb_done_work(struct work_struct *work)
{
	struct iub_usb_job *job = container_of(work, struct iub_usb_job,
					       done_work);

	/* @job may be gone once this returns */
	iub_usb_req_done(job->req);
}

static int iub_usb_prepare(struct iub_xfer *x)
{
	struct iub_usb_port *up = to_usb_port(x->port);
	struct iub_usb_job *job;
	void *vaddr;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	INIT_WORK(&job->done_work, iub_usb_done_work);
	if (up->sg) {
		job->segs = iub_xfer_segs(x, true);
		if (IS_ERR(job->segs)) {
			ret = PTR_ERR(job->segs);
			goto err_free;
		}
	} else {
		vaddr = iub_buf_vmap(x->buf, false);
		if (IS_ERR(vaddr)) {
			ret = PTR_ERR(vaddr);
			goto err_free;
		}
		job->vaddr = vaddr + x->offset;
	}
	x->dma_priv = job;
	return 0;

err_free:
	kfree(job);
	return ret;
}

static int iub_usb_start(struct iub_xfer *x)
{
	struct iub_usb_port *up = to_usb_port(x->port);
	struct iub_usb_job *job = x->dma_priv;
	struct usb_request *req;
	int ret;

	lockdep_assert_held(&up->port.lock);
	if (!up->ep)
		return -ESHUTDOWN;
	if (!up->online)
		return -EAGAIN;		/* waits for the host */
	/* a route's second stage may have been shortened: its own copy */
	if (up->sg && x->length < job->segs->length && !job->trim_sgt.sgl &&
	    iub_segs_trim_sgt(job->segs, x->length, &job->trim_sgt))
		return -ENOMEM;

	req = list_first_entry_or_null(&up->free_reqs, struct usb_request,
				       list);
	if (req)
		list_del(&req->list);
	else
		req = usb_ep_alloc_request(up->ep, GFP_ATOMIC);
	if (!req)
		return -ENOMEM;

	if (up->sg) {
		/* the UDC only reads the shared table */
		struct sg_table *sgt = job->trim_sgt.sgl ? &job->trim_sgt :
							   &job->segs->sgt;

		req->buf = NULL;
		req->sg = sgt->sgl;
		req->num_sgs = sgt->nents;
		req->num_mapped_sgs = sgt->nents;
		req->sg_was_mapped = 1;
	} else {
		req->buf = job->vaddr;
		req->sg = NULL;
		req->num_sgs = 0;
		req->sg_was_mapped = 0;
	}
	req->length = x->length;
	req->zero = !!(x->flags & IUB_XFER_ZLP);
	req->complete = iub_usb_complete;
	req->context = x;
	job->req = req;

	up->queued++;
	WRITE_ONCE(up->queuing, req);
	ret = usb_ep_queue(up->ep, req, GFP_ATOMIC);
	WRITE_ONCE(up->queuing, NULL);
	if (ret) {
		up->queued--;
		job->req = NULL;
		list_add(&req->list, &up->free_reqs);
	}
	return ret;
}

static bool iub_usb_rearm(struct iub_xfer *x)
{
	return false;	/* USB ports have no cyclic transfers */
}

static bool iub_usb_idle(struct iub_usb_port *up)
{
	bool idle;

	spin_lock_irq(&up->port.lock);
	idle = !up->queued;
	spin_unlock_irq(&up->port.lock);
	return idle;
}

/*
 * The next request of a running transfer that the UDC holds and that this
 * cancel did not dequeue yet, with the endpoint to dequeue it from; NULL
 * when there is none (or the endpoint is gone: disabling it gave every
 * request back).
 */
static struct usb_request *iub_usb_to_dequeue(struct iub_usb_port *up,
					      struct usb_ep **ep)
{
	struct usb_request *req = NULL;
	struct iub_usb_job *job;
	struct iub_xfer *x;

	spin_lock_irq(&up->port.lock);
	*ep = up->ep;
	list_for_each_entry(x, &up->port.running, node) {
		job = x->dma_priv;
		if (*ep && job->req && !job->dequeued) {
			job->dequeued = true;
			req = job->req;
			break;
		}
	}
	spin_unlock_irq(&up->port.lock);
	return req;
}

static void iub_usb_cancel(struct iub_port *port)
{
	struct iub_usb_port *up = to_usb_port(port);
	struct usb_request *req;
	struct usb_ep *ep;

	/*
	 * Dequeue every request the UDC holds, one at a time: completions
	 * (-ECONNRESET) take the port lock, and some UDCs give back from
	 * inside usb_ep_dequeue(), so it is not held while dequeuing.
	 * Nothing starts meanwhile (&struct iub_port.cancelling).
	 */
	while ((req = iub_usb_to_dequeue(up, &ep)))
		usb_ep_dequeue(ep, req);
	/*
	 * Then wait until the UDC gave every one back, however long it takes
	 * (dwc3 gives back when its end-transfer command completes): a
	 * request it still owns must not be handed on, nor its scatterlist
	 * freed. The gadget API promises the give-back; say so if it is late.
	 */
	while (!wait_event_timeout(up->idle, iub_usb_idle(up), 5 * HZ))
		pr_warn("%s: still waiting for the UDC to give requests back\n",
			port->name);
}

static void iub_usb_finish(struct iub_xfer *x)
{
	struct iub_usb_port *up = to_usb_port(x->port);
	struct iub_usb_job *job = x->dma_priv;
	unsigned long flags;

	if (!job || !job->req)
		return;
	spin_lock_irqsave(&up->port.lock, flags);
	list_add(&job->req->list, &up->free_reqs);
	job->req = NULL;
	spin_unlock_irqrestore(&up->port.lock, flags);
}

static void iub_usb_release(struct iub_xfer *x)
{
	struct iub_usb_job *job = x->dma_priv;

	if (!job)
		return;
	if (job->trim_sgt.sgl)
		sg_free_table(&job->trim_sgt);
	iub_segs_put(job->segs);
	kfree(job);
}

static void iub_usb_destroy(struct iub_port *port)
{
	struct iub_usb_port *up = to_usb_port(port);

	kref_put(&up->ev->ref, iub_usb_events_free);
	kfree_rcu(up, port.rcu);
}

/* ---- events (IUB_IOC_PORT_EVENT) ---- */

/* The oldest event for a command, or -EAGAIN/-ESHUTDOWN. Lock held. */
static int iub_usb_event_take_locked(struct iub_usb_events *ev)
{
	u32 e;

	lockdep_assert_held(&ev->lock);
	if (ev->n_queued) {
		e = ev->queue[ev->head];
		ev->head = (ev->head + 1) % IUB_USB_EVENTS;
		ev->n_queued--;
		return e;
	}
	if (ev->lost) {
		e = IUB_USB_EVENT(IUB_EVENT_LOST, min(ev->lost, 0xffffU));
		ev->lost = 0;
		return e;
	}
	return ev->dead ? -ESHUTDOWN : -EAGAIN;
}

static int iub_usb_event_take(struct iub_port *port)
{
	struct iub_usb_events *ev = to_usb_port(port)->ev;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&ev->lock, flags);
	ret = iub_usb_event_take_locked(ev);
	spin_unlock_irqrestore(&ev->lock, flags);
	return ret;
}

static void iub_usb_event_wait(struct iub_port *port, struct iub_event_req *er)
{
	struct iub_usb_events *ev = to_usb_port(port)->ev;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&ev->lock, flags);
	ret = iub_usb_event_take_locked(ev);
	if (ret == -EAGAIN)
		list_add_tail(&er->node, &ev->waiters);
	spin_unlock_irqrestore(&ev->lock, flags);
	if (ret != -EAGAIN)
		iub_event_req_complete(er, ret);
}

static void iub_usb_event_cancel(struct iub_port *port,
				 struct iub_event_req *er)
{
	struct iub_usb_events *ev = to_usb_port(port)->ev;
	unsigned long flags;
	bool waiting;

	spin_lock_irqsave(&ev->lock, flags);
	waiting = !list_empty(&er->node);
	list_del_init(&er->node);
	spin_unlock_irqrestore(&ev->lock, flags);
	if (waiting)
		iub_event_req_complete(er, -ECANCELED);
}

/*
 * Hand a handled event to the oldest waiter, or queue it. @n_lost nonzero:
 * the event is %IUB_EVENT_LOST for that many dropped events.
 */
static void iub_usb_event_deliver(struct iub_usb_events *ev, u32 e,
				  unsigned int n_lost)
{
	struct iub_event_req *er;
	unsigned long flags;

	spin_lock_irqsave(&ev->lock, flags);
	er = list_first_entry_or_null(&ev->waiters, struct iub_event_req,
				      node);
	if (er) {
		list_del_init(&er->node);
	} else if (n_lost) {
		ev->lost += n_lost;	/* after what is queued */
	} else if (!ev->lost && ev->n_queued < IUB_USB_EVENTS) {
		ev->queue[(ev->head + ev->n_queued) % IUB_USB_EVENTS] = e;
		ev->n_queued++;
	} else {
		ev->lost++;
	}
	spin_unlock_irqrestore(&ev->lock, flags);
	if (er)
		iub_event_req_complete(er, e);
}

/*
 * Something happened (any context, interrupts off in setup() and set_alt()):
 * the worker handles it after every earlier event.
 */
static bool iub_usb_event_raise(struct iub_usb_events *ev, u32 code,
				u32 value, bool status)
{
	unsigned long flags;
	bool queued = false;

	spin_lock_irqsave(&ev->lock, flags);
	if (ev->dead) {
		/* unbinding: nobody can take it */
	} else {
		if (!ev->raw_lost && ev->n_raw < IUB_USB_EVENTS) {
			ev->raw[(ev->raw_head + ev->n_raw) % IUB_USB_EVENTS] =
				IUB_USB_EVENT(code, value) |
				(status ? IUB_USB_EVENT_STATUS : 0);
			ev->n_raw++;
			ev->status_owed |= status;
			queued = true;
		} else {
			ev->raw_lost++;
		}
		/* under the lock: iub_usb_events_stop() flushes after @dead */
		queue_work(system_wq, &ev->work);
	}
	spin_unlock_irqrestore(&ev->lock, flags);
	return queued;
}

static void iub_usb_status_done(struct usb_ep *ep, struct usb_request *req)
{
	struct f_iub *fi = req->context;

	WRITE_ONCE(fi->status_queued, false);
}

/*
 * The status stage the host waits for, now that the pipes' transfers
 * ended; not if a bus reset ended that control transfer meanwhile.
 */
static void iub_usb_send_status(struct iub_usb_events *ev)
{
	struct f_iub *fi = ev->fi;
	bool owed;

	spin_lock_irq(&ev->lock);
	owed = ev->status_owed;
	ev->status_owed = false;
	spin_unlock_irq(&ev->lock);
	if (!owed)
		return;
	fi->status_req->length = 0;
	fi->status_req->zero = 0;
	WRITE_ONCE(fi->status_queued, true);
	if (usb_ep_queue(fi->ep0, fi->status_req, GFP_KERNEL))
		WRITE_ONCE(fi->status_queued, false);	/* the host gave up */
}

/*
 * A pipe the host closed (or all of them, on reset) drops what was queued
 * for it: its replies must not reach the host's next user of the pipe.
 */
static void iub_usb_end_pipes(struct f_iub *fi, u32 e)
{
	u32 code = e >> 16;
	unsigned int i;

	if (code != IUB_EVENT_CLOSE_PIPE && code != IUB_EVENT_RESET_PIPES)
		return;
	for (i = 0; i < fi->n_eps; i++) {
		if (code == IUB_EVENT_CLOSE_PIPE &&
		    fi->eps[i].index != (e & 0xffff))
			continue;
		iub_xfer_end_port(&fi->eps[i].up->port, -ECANCELED);
	}
}

/*
 * On the system workqueue, not iub_usb_wq: ending a pipe's transfers waits
 * for the UDC's give-backs, which may need iub_usb_wq (iub_usb_done_work()).
 */
static void iub_usb_events_work(struct work_struct *work)
{
	struct iub_usb_events *ev = container_of(work, struct iub_usb_events,
						 work);
	unsigned int n_lost;
	bool status;
	u32 e;

	for (;;) {
		spin_lock_irq(&ev->lock);
		n_lost = 0;
		if (ev->n_raw) {
			e = ev->raw[ev->raw_head];
			ev->raw_head = (ev->raw_head + 1) % IUB_USB_EVENTS;
			ev->n_raw--;
		} else if (ev->raw_lost) {
			/* dropped after all of @raw: lost after them */
			n_lost = ev->raw_lost;
			ev->raw_lost = 0;
			e = IUB_USB_EVENT(IUB_EVENT_LOST, min(n_lost, 0xffffU));
		} else {
			spin_unlock_irq(&ev->lock);
			return;
		}
		spin_unlock_irq(&ev->lock);

		status = e & IUB_USB_EVENT_STATUS;
		e &= ~IUB_USB_EVENT_STATUS;
		if (!n_lost)
			iub_usb_end_pipes(ev->fi, e);
		if (status)
			iub_usb_send_status(ev);
		iub_usb_event_deliver(ev, e, n_lost);
	}
}

static struct iub_usb_events *iub_usb_events_create(struct f_iub *fi)
{
	struct iub_usb_events *ev;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return NULL;
	kref_init(&ev->ref);
	spin_lock_init(&ev->lock);
	INIT_LIST_HEAD(&ev->waiters);
	INIT_WORK(&ev->work, iub_usb_events_work);
	ev->fi = fi;
	return ev;
}

/* Unbinding: no more events; commands still waiting end (-ESHUTDOWN). */
static void iub_usb_events_stop(struct iub_usb_events *ev)
{
	struct iub_event_req *er;

	spin_lock_irq(&ev->lock);
	ev->dead = true;
	spin_unlock_irq(&ev->lock);
	flush_work(&ev->work);

	/*
	 * One at a time, each taken off under the lock: a cancel racing with
	 * us (iub_usb_event_cancel()) finds the request either still waiting
	 * or gone, never on a list of ours it would change without the lock.
	 */
	spin_lock_irq(&ev->lock);
	while ((er = list_first_entry_or_null(&ev->waiters,
					      struct iub_event_req, node))) {
		list_del_init(&er->node);
		spin_unlock_irq(&ev->lock);
		iub_event_req_complete(er, -ESHUTDOWN);
		spin_lock_irq(&ev->lock);
	}
	spin_unlock_irq(&ev->lock);
}

static const struct iub_port_ops iub_usb_port_ops = {
	.owner = THIS_MODULE,
	.prepare = iub_usb_prepare,
	.start = iub_usb_start,
	.rearm = iub_usb_rearm,
	.cancel = iub_usb_cancel,
	.finish = iub_usb_finish,
	.release = iub_usb_release,
	.destroy = iub_usb_destroy,
	.event_take = iub_usb_event_take,
	.event_wait = iub_usb_event_wait,
	.event_cancel = iub_usb_event_cancel,
	.start_in_worker = true,
};

/* ---- ports come and go with bind/unbind ---- */

/*
 * The device that performs the UDC's DMA, for which buffers are attached
 * and mapped, or NULL where it cannot be known (the port then takes the
 * CPU path). It is the gadget's parent, the controller's own device, on
 * most UDCs, but not on:
 *  - dwc3 whose glue sets "linux,sysdev_is_parent" (dwc3-pci, dwc3-haps):
 *    dwc3 maps its requests for dwc->sysdev, the core's parent;
 *  - chipidea: its core ("ci_hdrc") maps them for its glue device, again
 *    the core's parent.
 * A parent without a DMA mask does not do DMA itself and does not tell
 * which device does: never guess by walking further up.
 */
static struct device *iub_usb_dma_dev(struct usb_gadget *gadget)
{
	struct device *udc = gadget->dev.parent;
	struct device *dev = udc;

	if (!udc)
		return NULL;
	if (device_property_read_bool(udc, "linux,sysdev_is_parent") ||
	    (udc->driver && !strcmp(udc->driver->name, "ci_hdrc")))
		dev = udc->parent;
	return dev && dev->dma_mask ? dev : NULL;
}

static int iub_usb_port_create(struct f_iub *fi, struct iub_usb_ep *e,
			       struct usb_gadget *gadget, const char *inst)
{
	bool in = e->in;
	struct iub_usb_port *up;
	struct iub_port *port;
	int ret;

	up = kzalloc(sizeof(*up), GFP_KERNEL);
	if (!up)
		return -ENOMEM;
	port = &up->port;
	up->ep = e->ep;
	up->sg = gadget->sg_supported && iub_usb_dma_dev(gadget);
	INIT_LIST_HEAD(&up->free_reqs);
	init_waitqueue_head(&up->idle);

	snprintf(port->name, sizeof(port->name), "%s:%s%u", inst,
		 in ? "in" : "out", e->index);
	port->kind = IUB_PORT_USB;
	port->direction = in ? IUB_DIR_FROM_MEM : IUB_DIR_TO_MEM;
	port->ops = &iub_usb_port_ops;
	port->dma_dev = up->sg ? iub_usb_dma_dev(gadget) : NULL;
	port->align = in ? 1 : IUB_USB_OUT_ALIGN;
	port->max_transfer = rounddown(INT_MAX, IUB_USB_OUT_ALIGN);
	port->caps = up->sg ? IUB_PORT_F_USB_SG : IUB_PORT_F_USB_CPU;
	/* longer segments are split (iub_xfer_segs()); the CPU path has none */
	if (up->sg)
		port->max_seg = rounddown(min_t(unsigned int, IUB_USB_MAX_SEG,
						dma_get_max_seg_size(port->dma_dev)),
					  port->align) ?: port->align;
	port->present = true;

	up->ev = fi->ev;
	kref_get(&up->ev->ref);
	ret = iub_port_add(port);
	if (ret) {
		kref_put(&up->ev->ref, iub_usb_events_free);
		kfree(up);
		return ret;
	}
	e->up = up;
	return 0;
}

static void iub_usb_port_destroy(struct iub_usb_ep *e)
{
	struct iub_usb_port *up = e->up;
	struct usb_request *req, *tmp;
	struct usb_ep *ep;

	if (!up)
		return;
	spin_lock_irq(&up->port.lock);
	ep = up->ep;
	up->ep = NULL;		/* nothing starts any more */
	up->online = false;
	spin_unlock_irq(&up->port.lock);

	/* hold the port: its transfers end (-ESHUTDOWN), requests come back */
	kref_get(&up->port.ref);
	iub_port_unregister(&up->port, -ESHUTDOWN);
	list_for_each_entry_safe(req, tmp, &up->free_reqs, list) {
		list_del(&req->list);
		usb_ep_free_request(ep, req);
	}
	iub_port_put(&up->port);
	e->up = NULL;
}

/* ---- the composite function ---- */

/*
 * set_alt() and disable() run in atomic context, with interrupts disabled
 * by the composite layer's lock: the port lock is taken with irqsave there.
 */
static void iub_usb_disable_eps(struct f_iub *fi)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < fi->n_eps; i++) {
		struct iub_usb_port *up = fi->eps[i].up;

		spin_lock_irqsave(&up->port.lock, flags);
		up->online = false;
		up->port.caps &= ~IUB_PORT_F_ONLINE;
		spin_unlock_irqrestore(&up->port.lock, flags);
		/* requests still queued complete with -ESHUTDOWN */
		usb_ep_disable(fi->eps[i].ep);
	}
}

static int iub_usb_set_alt(struct usb_function *f, unsigned int intf,
			   unsigned int alt)
{
	struct usb_gadget *gadget = f->config->cdev->gadget;
	struct f_iub *fi = to_f_iub(f);
	unsigned long flags;
	unsigned int i;
	int ret;

	if (alt)
		return -EINVAL;
	iub_usb_disable_eps(fi);
	for (i = 0; i < fi->n_eps; i++) {
		struct usb_ep *ep = fi->eps[i].ep;

		ret = config_ep_by_speed(gadget, f, ep);
		if (!ret)
			ret = usb_ep_enable(ep);
		if (ret) {
			while (i--)
				usb_ep_disable(fi->eps[i].ep);
			return ret;
		}
	}
	for (i = 0; i < fi->n_eps; i++) {
		struct iub_usb_port *up = fi->eps[i].up;

		spin_lock_irqsave(&up->port.lock, flags);
		up->online = true;
		up->port.caps |= IUB_PORT_F_ONLINE;
		/*
		 * libiio: OUT lengths in packets of this link, since the host
		 * ends a transfer that fills whole packets without a ZLP
		 */
		if (fi->libiio && !fi->eps[i].in)
			WRITE_ONCE(up->port.align,
				   usb_endpoint_maxp(fi->eps[i].ep->desc));
		spin_unlock_irqrestore(&up->port.lock, flags);
		iub_port_kick(&up->port);	/* waiting transfers start */
	}
	iub_usb_event_raise(fi->ev, IUB_EVENT_ONLINE, 0, false);
	return 0;
}

static void iub_usb_disable(struct usb_function *f)
{
	struct f_iub *fi = to_f_iub(f);

	unsigned long flags;

	iub_usb_disable_eps(fi);
	/* a status stage held back is owed to a control transfer that ended */
	spin_lock_irqsave(&fi->ev->lock, flags);
	fi->ev->status_owed = false;
	spin_unlock_irqrestore(&fi->ev->lock, flags);
	iub_usb_event_raise(fi->ev, IUB_EVENT_OFFLINE, 0, false);
}

/*
 * libiio's requests to open, close and reset pipes, handled in order by the
 * events' worker. OPEN_PIPE is acknowledged at once; CLOSE_PIPE and
 * RESET_PIPES once the worker ended the pipes' transfers (the host waits
 * 1 s): a reply queued for the pipe's old user can then not reach its next
 * one, nor an old OUT request take the next user's command. Atomic context.
 */
static int iub_usb_setup(struct usb_function *f,
			 const struct usb_ctrlrequest *ctrl)
{
	struct usb_composite_dev *cdev = f->config->cdev;
	struct usb_request *req = cdev->req;
	struct f_iub *fi = to_f_iub(f);
	u16 value = le16_to_cpu(ctrl->wValue);
	bool delay;
	u32 code;

	if (!fi->libiio || ctrl->bRequestType !=
	    (USB_DIR_OUT | USB_TYPE_VENDOR | USB_RECIP_INTERFACE) ||
	    ctrl->wLength)
		return -EOPNOTSUPP;
	switch (ctrl->bRequest) {
	case IUB_LIBIIO_RESET_PIPES:
		code = IUB_EVENT_RESET_PIPES;
		value = 0;
		break;
	case IUB_LIBIIO_OPEN_PIPE:
		code = IUB_EVENT_OPEN_PIPE;
		break;
	case IUB_LIBIIO_CLOSE_PIPE:
		code = IUB_EVENT_CLOSE_PIPE;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (code != IUB_EVENT_RESET_PIPES && value >= fi->n_eps / 2)
		return -EINVAL;	/* no such pipe: stall */
	/* held back unless the last one is still queued on ep0 */
	delay = code != IUB_EVENT_OPEN_PIPE && !READ_ONCE(fi->status_queued);
	if (iub_usb_event_raise(fi->ev, code, value, delay) && delay)
		return USB_GADGET_DELAYED_STATUS;	/* the worker sends it */
	/* else now (an event dropped is counted as IUB_EVENT_LOST) */

	/* the status stage: a function answers its own requests */
	req->length = 0;
	req->zero = 0;
	return usb_ep_queue(cdev->gadget->ep0, req, GFP_ATOMIC);
}

static void iub_usb_init_ep(struct iub_usb_ep *e, bool in, u32 burst)
{
	u8 addr = in ? USB_DIR_IN : USB_DIR_OUT;

	e->fs = (struct usb_endpoint_descriptor) {
		.bLength = USB_DT_ENDPOINT_SIZE,
		.bDescriptorType = USB_DT_ENDPOINT,
		.bEndpointAddress = addr,
		.bmAttributes = USB_ENDPOINT_XFER_BULK,
		.wMaxPacketSize = cpu_to_le16(64),
	};
	e->hs = e->fs;
	e->hs.wMaxPacketSize = cpu_to_le16(512);
	e->ss = e->fs;
	e->ss.wMaxPacketSize = cpu_to_le16(1024);
	e->ss_comp = (struct usb_ss_ep_comp_descriptor) {
		.bLength = USB_DT_SS_EP_COMP_SIZE,
		.bDescriptorType = USB_DT_SS_ENDPOINT_COMP,
		.bMaxBurst = burst,
	};
}

static int iub_usb_bind(struct usb_configuration *c, struct usb_function *f)
{
	struct f_iub_opts *opts = container_of(f->fi, struct f_iub_opts,
					       func_inst);
	struct usb_composite_dev *cdev = c->cdev;
	struct usb_gadget *gadget = cdev->gadget;
	struct usb_descriptor_header **fs, **hs, **ss;
	struct f_iub *fi = to_f_iub(f);
	struct usb_string *us;
	unsigned int i, n_in;
	int id, ret;

	mutex_lock(&opts->lock);
	n_in = opts->in_eps;
	fi->libiio = opts->libiio;
	fi->n_eps = opts->in_eps + opts->out_eps;
	for (i = 0; i < fi->n_eps; i++) {
		struct iub_usb_ep *e = &fi->eps[i];

		/* IN endpoints first, or pipes: IN, OUT, IN, OUT */
		e->in = fi->libiio ? !(i & 1) : i < n_in;
		e->index = fi->libiio ? i / 2 : e->in ? i : i - n_in;
		iub_usb_init_ep(e, e->in, opts->ss_burst);
	}
	mutex_unlock(&opts->lock);

	us = usb_gstrings_attach(cdev, fi->libiio ? iub_libiio_strings_tabs :
				 iub_usb_strings_tabs, 1);
	if (IS_ERR(us))
		return PTR_ERR(us);
	id = usb_interface_id(c, f);
	if (id < 0)
		return id;
	fi->intf = (struct usb_interface_descriptor) {
		.bLength = USB_DT_INTERFACE_SIZE,
		.bDescriptorType = USB_DT_INTERFACE,
		.bInterfaceNumber = id,
		.bNumEndpoints = fi->n_eps,
		.bInterfaceClass = USB_CLASS_VENDOR_SPEC,
		.iInterface = us[0].id,
	};

	for (i = 0; i < fi->n_eps; i++) {
		struct iub_usb_ep *e = &fi->eps[i];

		e->ep = usb_ep_autoconfig(gadget, &e->fs);
		if (!e->ep) {
			dev_err(&gadget->dev, "%s: no endpoint for %s%u\n",
				f->name, e->in ? "in" : "out", e->index);
			return -ENODEV;
		}
		e->hs.bEndpointAddress = e->fs.bEndpointAddress;
		e->ss.bEndpointAddress = e->fs.bEndpointAddress;
	}

	/* descriptor lists: interface, then each endpoint (+ companion) */
	fs = kcalloc(3 * (2 + 2 * fi->n_eps), sizeof(*fs), GFP_KERNEL);
	if (!fs)
		return -ENOMEM;
	hs = fs + 2 + 2 * fi->n_eps;
	ss = hs + 2 + 2 * fi->n_eps;
	fs[0] = (struct usb_descriptor_header *)&fi->intf;
	hs[0] = fs[0];
	ss[0] = fs[0];
	for (i = 0; i < fi->n_eps; i++) {
		fs[1 + i] = (struct usb_descriptor_header *)&fi->eps[i].fs;
		hs[1 + i] = (struct usb_descriptor_header *)&fi->eps[i].hs;
		ss[1 + 2 * i] = (struct usb_descriptor_header *)&fi->eps[i].ss;
		ss[2 + 2 * i] =
			(struct usb_descriptor_header *)&fi->eps[i].ss_comp;
	}
	ret = usb_assign_descriptors(f, fs, hs, ss, ss);
	kfree(fs);
	if (ret)
		return ret;

	fi->ep0 = gadget->ep0;
	fi->status_req = usb_ep_alloc_request(fi->ep0, GFP_KERNEL);
	if (!fi->status_req) {
		ret = -ENOMEM;
		goto err_desc;
	}
	fi->status_req->complete = iub_usb_status_done;
	fi->status_req->context = fi;
	fi->ev = iub_usb_events_create(fi);
	if (!fi->ev) {
		ret = -ENOMEM;
		goto err_req;
	}
	for (i = 0; i < fi->n_eps; i++) {
		ret = iub_usb_port_create(fi, &fi->eps[i], gadget, opts->name);
		if (ret)
			goto err_ports;
	}
	return 0;

err_ports:
	while (i--)
		iub_usb_port_destroy(&fi->eps[i]);
	kref_put(&fi->ev->ref, iub_usb_events_free);
	fi->ev = NULL;
err_req:
	usb_ep_free_request(fi->ep0, fi->status_req);
err_desc:
	usb_free_all_descriptors(f);
	return ret;
}

static void iub_usb_unbind(struct usb_configuration *c,
			   struct usb_function *f)
{
	struct f_iub *fi = to_f_iub(f);
	unsigned int i;

	/* first: the events' worker uses the ports */
	iub_usb_events_stop(fi->ev);
	for (i = 0; i < fi->n_eps; i++)
		iub_usb_port_destroy(&fi->eps[i]);
	kref_put(&fi->ev->ref, iub_usb_events_free);
	fi->ev = NULL;
	/* a status stage no host took: the UDC gives it back dequeued */
	if (READ_ONCE(fi->status_queued))
		usb_ep_dequeue(fi->ep0, fi->status_req);
	usb_ep_free_request(fi->ep0, fi->status_req);
	usb_free_all_descriptors(f);
}

static void iub_usb_free_func(struct usb_function *f)
{
	struct f_iub_opts *opts = container_of(f->fi, struct f_iub_opts,
					       func_inst);

	mutex_lock(&opts->lock);
	opts->refcnt--;
	mutex_unlock(&opts->lock);
	kfree(to_f_iub(f));
}

static struct usb_function *iub_usb_alloc_func(struct usb_function_instance *i)
{
	struct f_iub_opts *opts = container_of(i, struct f_iub_opts,
					       func_inst);
	struct f_iub *fi;

	mutex_lock(&opts->lock);
	/* libiio: pipes, each a pair of endpoints */
	if ((!opts->in_eps && !opts->out_eps) ||
	    (opts->libiio && opts->in_eps != opts->out_eps)) {
		mutex_unlock(&opts->lock);
		return ERR_PTR(-EINVAL);
	}
	opts->refcnt++;
	mutex_unlock(&opts->lock);

	fi = kzalloc(sizeof(*fi), GFP_KERNEL);
	if (!fi) {
		mutex_lock(&opts->lock);
		opts->refcnt--;
		mutex_unlock(&opts->lock);
		return ERR_PTR(-ENOMEM);
	}
	fi->func.name = "iio_usb_bridge";
	fi->func.bind = iub_usb_bind;
	fi->func.unbind = iub_usb_unbind;
	fi->func.set_alt = iub_usb_set_alt;
	fi->func.disable = iub_usb_disable;
	fi->func.setup = iub_usb_setup;
	fi->func.free_func = iub_usb_free_func;
	return &fi->func;
}

/* ---- configfs attributes ---- */

static struct f_iub_opts *to_opts(struct config_item *item)
{
	return container_of(to_config_group(item), struct f_iub_opts,
			    func_inst.group);
}

static void iub_usb_attr_release(struct config_item *item)
{
	usb_put_function_instance(&to_opts(item)->func_inst);
}

static struct configfs_item_operations iub_usb_item_ops = {
	.release = iub_usb_attr_release,
};

static ssize_t iub_usb_show_u32(struct config_item *item, char *page,
				size_t offset)
{
	struct f_iub_opts *opts = to_opts(item);
	ssize_t ret;

	mutex_lock(&opts->lock);
	ret = sysfs_emit(page, "%u\n", *(u32 *)((char *)opts + offset));
	mutex_unlock(&opts->lock);
	return ret;
}

static ssize_t iub_usb_store_u32(struct config_item *item, const char *page,
				 size_t len, size_t offset, u32 max)
{
	struct f_iub_opts *opts = to_opts(item);
	u32 val;
	int ret;

	ret = kstrtou32(page, 0, &val);
	if (ret)
		return ret;
	if (val > max)
		return -EINVAL;
	mutex_lock(&opts->lock);
	if (opts->refcnt) {
		ret = -EBUSY;	/* bound: the descriptors are fixed */
	} else {
		*(u32 *)((char *)opts + offset) = val;
		ret = len;
	}
	mutex_unlock(&opts->lock);
	return ret;
}

#define IUB_USB_ATTR(_name, _max)					\
static ssize_t f_iub_opts_##_name##_show(struct config_item *item,	\
					 char *page)			\
{									\
	return iub_usb_show_u32(item, page,				\
				offsetof(struct f_iub_opts, _name));	\
}									\
static ssize_t f_iub_opts_##_name##_store(struct config_item *item,	\
					  const char *page, size_t len)	\
{									\
	return iub_usb_store_u32(item, page, len,			\
				 offsetof(struct f_iub_opts, _name),	\
				 _max);					\
}									\
CONFIGFS_ATTR(f_iub_opts_, _name)

IUB_USB_ATTR(in_eps, IUB_USB_MAX_EPS);
IUB_USB_ATTR(out_eps, IUB_USB_MAX_EPS);
IUB_USB_ATTR(ss_burst, 15);

static ssize_t f_iub_opts_protocol_show(struct config_item *item, char *page)
{
	struct f_iub_opts *opts = to_opts(item);
	ssize_t ret;

	mutex_lock(&opts->lock);
	ret = sysfs_emit(page, "%s\n", opts->libiio ? "libiio" : "bridge");
	mutex_unlock(&opts->lock);
	return ret;
}

static ssize_t f_iub_opts_protocol_store(struct config_item *item,
					 const char *page, size_t len)
{
	struct f_iub_opts *opts = to_opts(item);
	bool libiio;
	ssize_t ret;

	if (sysfs_streq(page, "libiio"))
		libiio = true;
	else if (sysfs_streq(page, "bridge"))
		libiio = false;
	else
		return -EINVAL;
	mutex_lock(&opts->lock);
	if (opts->refcnt) {
		ret = -EBUSY;
	} else {
		opts->libiio = libiio;
		ret = len;
	}
	mutex_unlock(&opts->lock);
	return ret;
}

CONFIGFS_ATTR(f_iub_opts_, protocol);

static struct configfs_attribute *iub_usb_attrs[] = {
	&f_iub_opts_attr_in_eps,
	&f_iub_opts_attr_out_eps,
	&f_iub_opts_attr_ss_burst,
	&f_iub_opts_attr_protocol,
	NULL,
};

static const struct config_item_type iub_usb_func_type = {
	.ct_item_ops = &iub_usb_item_ops,
	.ct_attrs = iub_usb_attrs,
	.ct_owner = THIS_MODULE,
};

static int iub_usb_set_inst_name(struct usb_function_instance *fi,
				 const char *name)
{
	struct f_iub_opts *opts = container_of(fi, struct f_iub_opts,
					       func_inst);

	if (strlen(name) > IUB_USB_NAME_MAX)
		return -ENAMETOOLONG;
	strscpy(opts->name, name, sizeof(opts->name));
	return 0;
}

static void iub_usb_free_inst(struct usb_function_instance *fi)
{
	struct f_iub_opts *opts = container_of(fi, struct f_iub_opts,
					       func_inst);

	mutex_destroy(&opts->lock);
	kfree(opts);
}

static struct usb_function_instance *iub_usb_alloc_inst(void)
{
	struct f_iub_opts *opts;

	opts = kzalloc(sizeof(*opts), GFP_KERNEL);
	if (!opts)
		return ERR_PTR(-ENOMEM);
	mutex_init(&opts->lock);
	opts->in_eps = 1;
	opts->out_eps = 1;
	opts->ss_burst = 15;
	opts->func_inst.set_inst_name = iub_usb_set_inst_name;
	opts->func_inst.free_func_inst = iub_usb_free_inst;
	config_group_init_type_name(&opts->func_inst.group, "",
				    &iub_usb_func_type);
	return &opts->func_inst;
}

DECLARE_USB_FUNCTION(iio_usb_bridge, iub_usb_alloc_inst, iub_usb_alloc_func);

static int __init iub_usb_init(void)
{
	int ret;

	iub_usb_wq = alloc_ordered_workqueue("iub-usb", WQ_MEM_RECLAIM);
	if (!iub_usb_wq)
		return -ENOMEM;
	ret = usb_function_register(&iio_usb_bridgeusb_func);
	if (ret)
		destroy_workqueue(iub_usb_wq);
	return ret;
}

static void __exit iub_usb_exit(void)
{
	usb_function_unregister(&iio_usb_bridgeusb_func);
	/* workers that released the last port may still be returning */
	destroy_workqueue(iub_usb_wq);
}

module_init(iub_usb_init);
module_exit(iub_usb_exit);

MODULE_DESCRIPTION("iio-usb-bridge USB function: bulk endpoints as bridge ports");
MODULE_AUTHOR("iio-usb-bridge developers");
MODULE_LICENSE("GPL");
