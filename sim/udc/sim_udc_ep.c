// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoints of the simulated scatter-gather UDC: the gadget API's endpoint
 * operations, the request queue and the data mover.
 *
 * Where a transfer starts: iub_sim_udc_queue() maps the request (unless the
 * gadget driver did) and queues the endpoint's work. Where it moves:
 * iub_sim_udc_ep_work() walks the request's DMA segments, reading (IN) or
 * writing (OUT) memory through the DMA addresses the way a bus master would,
 * paced by the endpoint's rate. Where it completes: iub_sim_udc_done(), in
 * queue order, from that work item.
 *
 * A real controller (dwc3, for instance) turns the mapped scatterlist into
 * transfer descriptors (TRBs), its DMA engine moves the data as the host
 * polls, and the completion comes from its event interrupt.
 */
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "../sim_compat.h"
#include "sim_udc.h"

/* The data mover holds an endpoint's lock for at most this many bytes... */
#define IUB_SIM_UDC_CHUNK	SZ_16K
/* ...and requeues itself after this many, so that other work gets the CPU. */
#define IUB_SIM_UDC_BATCH	SZ_1M
/* Pacing moves about 1 ms of data per step, within these bounds... */
#define IUB_SIM_UDC_STEP_MIN	4
#define IUB_SIM_UDC_STEP_MAX	SZ_64K
/* ...and after an idle period allows a burst of at most this many steps. */
#define IUB_SIM_UDC_BURST_STEPS	16

static const char * const iub_sim_udc_ep_names[IUB_SIM_UDC_NUM_EPS] = {
	"ep0",
	"ep1in", "ep1out", "ep2in", "ep2out",
	"ep3in", "ep3out", "ep4in", "ep4out",
};

/**
 * iub_sim_udc_ep_pace_reset_locked() - empty the pacing bucket
 * @ep: endpoint, its lock held
 */
void iub_sim_udc_ep_pace_reset_locked(struct iub_sim_udc_ep *ep)
	__must_hold(&ep->lock)
{
	lockdep_assert_held(&ep->lock);
	ep->pace_last = ktime_get();
	ep->pace_credit = 0;
}

/**
 * iub_sim_udc_ep_reset_stream_locked() - stream state back to the start
 * @ep: endpoint, its lock held
 *
 * The IN verifier synchronizes again on the next word; the OUT stream
 * starts again at word 0 of the seed.
 */
void iub_sim_udc_ep_reset_stream_locked(struct iub_sim_udc_ep *ep)
	__must_hold(&ep->lock)
{
	lockdep_assert_held(&ep->lock);
	iub_sim_stream_check_init(&ep->check);
	ep->carry_len = 0;
	ep->position = 0;
	iub_sim_udc_ep_pace_reset_locked(ep);
}

/*
 * Give a request back to its gadget driver, with the endpoint's lock
 * dropped around the callback and interrupts still off, as a controller's
 * interrupt handler does. The callback may queue the next request.
 */
static void iub_sim_udc_done(struct iub_sim_udc_ep *ep,
			     struct iub_sim_udc_req *sreq, int status)
	__must_hold(&ep->lock)
{
	struct usb_request *req = &sreq->req;

	lockdep_assert_held(&ep->lock);
	list_del_init(&sreq->queue);
	if (req->status == -EINPROGRESS)
		req->status = status;
	if (sreq->mapped) {
		usb_gadget_unmap_request_by_dev(ep->udc->dev, req, ep->is_in);
		/* for sg_was_mapped, the map call only set this: undo it */
		req->num_mapped_sgs = 0;
		sreq->mapped = false;
	}
	if (req->status)
		ep->stats.errors++;
	else
		ep->stats.requests++;

	spin_unlock(&ep->lock);
	usb_gadget_giveback_request(&ep->ep, req);
	spin_lock(&ep->lock);
}

static void iub_sim_udc_nuke_locked(struct iub_sim_udc_ep *ep, int status)
	__must_hold(&ep->lock)
{
	struct iub_sim_udc_req *sreq;

	while ((sreq = list_first_entry_or_null(&ep->queue,
						struct iub_sim_udc_req, queue)))
		iub_sim_udc_done(ep, sreq, status);
}

/**
 * iub_sim_udc_ep_nuke() - complete every queued request of an endpoint
 * @ep: endpoint
 * @status: status of the requests (-ESHUTDOWN, -ECONNRESET)
 *
 * Context: any; takes the endpoint's lock.
 */
void iub_sim_udc_ep_nuke(struct iub_sim_udc_ep *ep, int status)
{
	unsigned long flags;

	spin_lock_irqsave(&ep->lock, flags);
	iub_sim_udc_nuke_locked(ep, status);
	spin_unlock_irqrestore(&ep->lock, flags);
}

/**
 * iub_sim_udc_ep_kick() - let the data mover look at the endpoint again
 * @ep: endpoint
 */
void iub_sim_udc_ep_kick(struct iub_sim_udc_ep *ep)
{
	queue_work(ep->udc->wq, &ep->work);
}

/* ---- the DMA side ------------------------------------------------------ */

/*
 * Set up the DMA walk of a request, mapping it first unless the gadget
 * driver already did. Returns 0 or a negative errno; *premapped tells
 * whether the driver had mapped it.
 */
static int iub_sim_udc_map(struct iub_sim_udc_ep *ep,
			   struct iub_sim_udc_req *sreq, bool *premapped)
{
	struct usb_request *req = &sreq->req;
	int ret;

	sreq->mapped = false;
	*premapped = false;
	sreq->sg = NULL;
	sreq->sg_left = 0;
	sreq->addr = 0;
	sreq->seg_left = 0;
	if (!req->length)
		return 0;

	if (req->sg_was_mapped) {
		/*
		 * The table was mapped against our device by the gadget
		 * driver (a DMABUF attachment, for instance): its DMA
		 * entries are valid as they are. The core helper only
		 * records how many there are, as for any SG controller.
		 */
		*premapped = true;
		ret = usb_gadget_map_request_by_dev(ep->udc->dev, req,
						    ep->is_in);
		if (ret)
			return ret;
		sreq->mapped = true;
	} else if (req->num_mapped_sgs || req->dma_mapped) {
		/* mapped by the gadget driver itself: use and leave it */
		*premapped = true;
	} else {
		/* what a real SG controller does: map, unmap at completion */
		ret = usb_gadget_map_request_by_dev(ep->udc->dev, req,
						    ep->is_in);
		if (ret)
			return ret;
		sreq->mapped = true;
	}

	if (req->num_sgs) {
		if (!req->num_mapped_sgs || !req->sg)
			return -EINVAL;
		sreq->sg = req->sg;
		sreq->sg_left = req->num_mapped_sgs - 1;
		sreq->addr = sg_dma_address(req->sg);
		sreq->seg_left = sg_dma_len(req->sg);
	} else {
		sreq->addr = req->dma;
		sreq->seg_left = req->length;
	}
	return 0;
}

/*
 * Next DMA segment of a scatterlist request. The walk counts DMA entries
 * (num_mapped_sgs, sg_dma_len): with an IOMMU they can be fewer than the
 * CPU entries, and a DMA length of 0 ends the mapped part of the table.
 */
static int iub_sim_udc_next_seg(struct iub_sim_udc_req *sreq)
{
	while (sreq->sg && sreq->sg_left) {
		sreq->sg = sg_next(sreq->sg);
		sreq->sg_left--;
		if (!sreq->sg || !sg_dma_len(sreq->sg))
			break;
		sreq->addr = sg_dma_address(sreq->sg);
		sreq->seg_left = sg_dma_len(sreq->sg);
		return 0;
	}
	return -EIO;
}

/* IN: check what the host received against the stream format. */
static void iub_sim_udc_consume(struct iub_sim_udc_ep *ep, const u8 *p,
				unsigned int n)
	__must_hold(&ep->lock)
{
	unsigned int take, words;

	if (!ep->verify)
		return;
	/* a word split across segments or requests */
	if (ep->carry_len) {
		take = min(n, IUB_SIM_STREAM_WORD_SIZE - ep->carry_len);
		memcpy(ep->carry + ep->carry_len, p, take);
		ep->carry_len += take;
		p += take;
		n -= take;
		if (ep->carry_len < IUB_SIM_STREAM_WORD_SIZE)
			return;
		iub_sim_stream_check_buf(&ep->check, ep->carry,
					 IUB_SIM_STREAM_WORD_SIZE);
		ep->carry_len = 0;
	}
	words = n / IUB_SIM_STREAM_WORD_SIZE;
	if (words)
		iub_sim_stream_check_buf(&ep->check, p,
					 words * IUB_SIM_STREAM_WORD_SIZE);
	ep->carry_len = n % IUB_SIM_STREAM_WORD_SIZE;
	memcpy(ep->carry, p + words * IUB_SIM_STREAM_WORD_SIZE, ep->carry_len);
}

/*
 * OUT: write what the host sends: byte p of the endpoint's stream is byte
 * p % 4 of the little-endian word seed + p / 4.
 */
static void iub_sim_udc_produce(struct iub_sim_udc_ep *ep, u8 *p,
				unsigned int n)
	__must_hold(&ep->lock)
{
	u8 w[IUB_SIM_STREAM_WORD_SIZE];
	u64 pos = ep->position;
	unsigned int off, take, words;
	const unsigned int ws = IUB_SIM_STREAM_WORD_SIZE;

	if (!ep->fill)
		return;
	off = pos % ws;
	if (off) {
		iub_sim_stream_put_le32(w, iub_sim_stream_word(ep->seed, pos / ws));
		take = min(n, ws - off);
		memcpy(p, w + off, take);
		p += take;
		n -= take;
		pos += take;
	}
	words = n / ws;
	if (words) {
		iub_sim_stream_fill(p, words,
				    iub_sim_stream_word(ep->seed, pos / ws));
		p += words * ws;
		n -= words * ws;
		pos += words * ws;
	}
	if (n) {
		iub_sim_stream_put_le32(w, iub_sim_stream_word(ep->seed, pos / ws));
		memcpy(p, w, n);
		pos += n;
	}
	ep->position = pos;
}

/*
 * Move up to @max bytes of a request, segment by segment, page by page.
 *
 * The "device" reaches memory through the DMA addresses only, as a bus
 * master would. On x86 without an IOMMU in the path, dma-direct made each
 * DMA address from the physical address (identity, or a swiotlb bounce
 * buffer, which is RAM too), so dma_to_phys() gives the physical address
 * back; the page is then reached through the kernel's mapping of it
 * (kmap_local_page(), which is phys_to_virt() on x86-64). x86 DMA is cache
 * coherent, so a CPU access is what a bus master's access would look like.
 * With an IOMMU the DMA address would be an IOVA and this would not work:
 * the fixture is for the test VM, which has none.
 *
 * Returns the bytes moved, or -EIO when the DMA segments end before the
 * request, -EFAULT when an address is not RAM.
 */
static int iub_sim_udc_move(struct iub_sim_udc_ep *ep,
			    struct iub_sim_udc_req *sreq, unsigned int max)
	__must_hold(&ep->lock)
{
	struct usb_request *req = &sreq->req;
	unsigned int want = min(sreq->xfer_len - req->actual, max);
	unsigned int moved = 0, n, off;
	phys_addr_t phys;
	unsigned long pfn;
	u8 *va;

	while (moved < want) {
		if (!sreq->seg_left && iub_sim_udc_next_seg(sreq))
			return -EIO;
		phys = dma_to_phys(ep->udc->dev, sreq->addr);
		pfn = PHYS_PFN(phys);
		if (!pfn_valid(pfn))
			return -EFAULT;
		off = offset_in_page(phys);
		n = min3(want - moved, sreq->seg_left,
			 (unsigned int)PAGE_SIZE - off);
		va = kmap_local_page(pfn_to_page(pfn));
		if (ep->is_in)
			iub_sim_udc_consume(ep, va + off, n);
		else
			iub_sim_udc_produce(ep, va + off, n);
		kunmap_local(va);
		sreq->addr += n;
		sreq->seg_left -= n;
		moved += n;
	}
	req->actual += moved;
	ep->stats.bytes += moved;
	if (ep->rate)
		ep->pace_credit -= min_t(u64, ep->pace_credit,
					 (u64)moved * NSEC_PER_SEC);
	return moved;
}

/* ---- pacing and the data mover ---------------------------------------- */

/*
 * How many bytes the endpoint may move now: a token bucket filled at the
 * endpoint's rate, holding at most IUB_SIM_UDC_BURST_STEPS steps of about
 * 1 ms of data each, so an idle endpoint gets no long burst afterwards.
 * When less than a step (or what the request still needs) is there, the
 * timer is armed for when it will be, and 0 returned. At rate 0, no limit.
 */
static u64 iub_sim_udc_budget(struct iub_sim_udc_ep *ep, unsigned int need)
	__must_hold(&ep->lock)
{
	u64 step, cap, dt, avail, wait;
	ktime_t now;

	if (!ep->rate)
		return U64_MAX;
	step = clamp_t(u64, div_u64(ep->rate, 1000), IUB_SIM_UDC_STEP_MIN,
		       IUB_SIM_UDC_STEP_MAX);
	cap = step * IUB_SIM_UDC_BURST_STEPS * NSEC_PER_SEC;
	now = ktime_get();
	/* at most 1 s at a time: 1e9 * IUB_SIM_UDC_RATE_MAX fits in 64 bits */
	dt = min_t(u64, ktime_to_ns(ktime_sub(now, ep->pace_last)),
		   NSEC_PER_SEC);
	ep->pace_last = now;
	ep->pace_credit = min(ep->pace_credit + dt * ep->rate, cap);
	avail = div_u64(ep->pace_credit, NSEC_PER_SEC);
	step = min_t(u64, step, need);
	if (avail >= step)
		return avail;

	wait = div64_u64(step * NSEC_PER_SEC - ep->pace_credit + ep->rate - 1,
			 ep->rate);
	hrtimer_start(&ep->timer, ns_to_ktime(wait), HRTIMER_MODE_REL);
	return 0;
}

static enum hrtimer_restart iub_sim_udc_timer(struct hrtimer *t)
{
	struct iub_sim_udc_ep *ep = container_of(t, struct iub_sim_udc_ep, timer);

	if (!READ_ONCE(ep->shutdown))
		iub_sim_udc_ep_kick(ep);
	return HRTIMER_NORESTART;
}

/* A request begins to move: decide how much of it the host transfers. */
static void iub_sim_udc_start_req(struct iub_sim_udc_ep *ep,
				  struct iub_sim_udc_req *sreq)
	__must_hold(&ep->lock)
{
	sreq->started = true;
	sreq->xfer_len = sreq->req.length;
	if (!ep->is_in && ep->short_next >= 0) {
		/* the host ends this transfer with a short packet */
		sreq->xfer_len = min_t(u64, ep->short_next, sreq->req.length);
		ep->short_next = -1;
	}
}

/* The request moved everything it will: count its ZLP and give it back. */
static void iub_sim_udc_finish_req(struct iub_sim_udc_ep *ep,
				   struct iub_sim_udc_req *sreq)
	__must_hold(&ep->lock)
{
	struct usb_request *req = &sreq->req;

	if (ep->is_in) {
		if (!req->length)
			ep->stats.zlps++;
		else if (req->zero && ep->ep.maxpacket &&
			 !(req->length % ep->ep.maxpacket))
			ep->stats.zlps++;	/* the extra packet req->zero asks for */
	} else if (!req->actual) {
		ep->stats.zlps++;
	}
	iub_sim_udc_done(ep, sreq, 0);
}

static bool iub_sim_udc_can_move(struct iub_sim_udc_ep *ep)
	__must_hold(&ep->lock)
{
	return !ep->shutdown && ep->enabled && !ep->halted && !ep->paused &&
	       READ_ONCE(ep->udc->connected);
}

/* The data mover of a data endpoint: the "DMA engine" plus the "host". */
static void iub_sim_udc_ep_work(struct work_struct *work)
{
	struct iub_sim_udc_ep *ep = container_of(work, struct iub_sim_udc_ep,
						 work);
	struct iub_sim_udc_req *sreq;
	unsigned long flags;
	unsigned int left;
	u64 budget, moved = 0;
	int ret;

	spin_lock_irqsave(&ep->lock, flags);
	while (iub_sim_udc_can_move(ep)) {
		sreq = list_first_entry_or_null(&ep->queue,
						struct iub_sim_udc_req, queue);
		if (!sreq)
			break;
		if (!sreq->started)
			iub_sim_udc_start_req(ep, sreq);
		left = sreq->xfer_len - sreq->req.actual;
		if (left) {
			budget = iub_sim_udc_budget(ep, left);
			if (!budget)
				break;	/* the timer brings us back */
			ret = iub_sim_udc_move(ep, sreq,
					       min_t(u64, budget,
						     IUB_SIM_UDC_CHUNK));
			if (ret < 0) {
				dev_err_ratelimited(ep->udc->dev,
						    "%s: request of %u bytes: DMA error %d at byte %u\n",
						    ep->ep.name, sreq->req.length,
						    ret, sreq->req.actual);
				iub_sim_udc_done(ep, sreq, ret);
				continue;
			}
			moved += ret;
		}
		if (sreq->req.actual == sreq->xfer_len)
			iub_sim_udc_finish_req(ep, sreq);
		if (moved >= IUB_SIM_UDC_BATCH) {
			iub_sim_udc_ep_kick(ep);
			break;
		}
		/* let interrupts and other work in between chunks */
		spin_unlock_irqrestore(&ep->lock, flags);
		cond_resched();
		spin_lock_irqsave(&ep->lock, flags);
	}
	spin_unlock_irqrestore(&ep->lock, flags);
}

/*
 * ep0: the simulated host's side of control transfers. A request queued on
 * ep0 is the data stage (host reads it, or gets the host's data) or the
 * status stage of the control transfer the host work started; a request
 * outside of one (a late status stage) is acknowledged.
 */
static void iub_sim_udc_ep0_work(struct work_struct *work)
{
	struct iub_sim_udc_ep *ep = container_of(work, struct iub_sim_udc_ep,
						 work);
	struct iub_sim_udc *udc = ep->udc;
	struct iub_sim_udc_ctrl *c = &udc->ctrl;
	struct iub_sim_udc_req *sreq;
	struct usb_request *req;
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&ep->lock, flags);
	while (!ep->shutdown &&
	       (sreq = list_first_entry_or_null(&ep->queue,
						struct iub_sim_udc_req, queue))) {
		req = &sreq->req;
		req->actual = 0;
		if (c->active && !c->done) {
			if (c->in) {
				n = min3(req->length, (unsigned int)c->wlength,
					 (unsigned int)IUB_SIM_UDC_CTRL_BUF);
				if (n && req->buf)
					memcpy(c->buf, req->buf, n);
				c->len = n;
				req->actual = n;
			} else if (c->wlength) {
				n = min3(req->length, (unsigned int)c->wlength,
					 c->len);
				if (n && req->buf)
					memcpy(req->buf, c->buf, n);
				req->actual = n;
			}
			c->done = true;
			wake_up(&udc->ep0_wait);
		}
		iub_sim_udc_done(ep, sreq, 0);
	}
	spin_unlock_irqrestore(&ep->lock, flags);
}

/* ---- usb_ep_ops -------------------------------------------------------- */

static int iub_sim_udc_ep_enable(struct usb_ep *_ep,
				 const struct usb_endpoint_descriptor *desc)
{
	struct iub_sim_udc_ep *ep = to_sim_ep(_ep);
	unsigned int maxp;
	unsigned long flags;

	if (!ep->num || !desc)
		return -EINVAL;
	if (!usb_endpoint_xfer_bulk(desc) && !usb_endpoint_xfer_int(desc))
		return -EINVAL;
	if (usb_endpoint_dir_in(desc) != ep->is_in)
		return -EINVAL;
	maxp = usb_endpoint_maxp(desc);
	if (!maxp || maxp > ep->ep.maxpacket_limit)
		return -ERANGE;
	if (!READ_ONCE(ep->udc->connected))
		return -ESHUTDOWN;

	spin_lock_irqsave(&ep->lock, flags);
	ep->ep.maxpacket = maxp;
	ep->enabled = true;
	ep->halted = false;
	ep->wedged = false;
	/* every enable starts the endpoint's stream and counters afresh */
	memset(&ep->stats, 0, sizeof(ep->stats));
	iub_sim_udc_ep_reset_stream_locked(ep);
	spin_unlock_irqrestore(&ep->lock, flags);
	return 0;
}

static int iub_sim_udc_ep_disable(struct usb_ep *_ep)
{
	struct iub_sim_udc_ep *ep = to_sim_ep(_ep);
	unsigned long flags;

	if (!ep->num)
		return -EINVAL;
	spin_lock_irqsave(&ep->lock, flags);
	ep->enabled = false;
	ep->halted = false;
	ep->wedged = false;
	iub_sim_udc_nuke_locked(ep, -ESHUTDOWN);
	spin_unlock_irqrestore(&ep->lock, flags);
	return 0;
}

static struct usb_request *iub_sim_udc_alloc_request(struct usb_ep *_ep,
						     gfp_t gfp)
{
	struct iub_sim_udc_req *sreq = kzalloc(sizeof(*sreq), gfp);

	if (!sreq)
		return NULL;
	INIT_LIST_HEAD(&sreq->queue);
	return &sreq->req;
}

static void iub_sim_udc_free_request(struct usb_ep *_ep,
				     struct usb_request *req)
{
	struct iub_sim_udc_req *sreq = to_sim_req(req);

	WARN_ON(!list_empty(&sreq->queue));
	kfree(sreq);
}

static int iub_sim_udc_ep0_queue(struct iub_sim_udc_ep *ep,
				 struct iub_sim_udc_req *sreq)
{
	unsigned long flags;

	spin_lock_irqsave(&ep->lock, flags);
	if (ep->shutdown) {
		spin_unlock_irqrestore(&ep->lock, flags);
		return -ESHUTDOWN;
	}
	sreq->req.status = -EINPROGRESS;
	sreq->req.actual = 0;
	list_add_tail(&sreq->queue, &ep->queue);
	iub_sim_udc_ep_kick(ep);
	spin_unlock_irqrestore(&ep->lock, flags);
	return 0;
}

static int iub_sim_udc_queue(struct usb_ep *_ep, struct usb_request *req,
			     gfp_t gfp)
{
	struct iub_sim_udc_ep *ep = to_sim_ep(_ep);
	struct iub_sim_udc_req *sreq = to_sim_req(req);
	unsigned long flags;
	bool premapped;
	int ret;

	if (!req->complete || (req->length && !req->buf && !req->num_sgs))
		return -EINVAL;
	if (!list_empty(&sreq->queue))
		return -EBUSY;
	if (!ep->num)
		return iub_sim_udc_ep0_queue(ep, sreq);

	ret = iub_sim_udc_map(ep, sreq, &premapped);
	if (ret)
		return ret;

	spin_lock_irqsave(&ep->lock, flags);
	if (!ep->enabled || ep->shutdown) {
		spin_unlock_irqrestore(&ep->lock, flags);
		if (sreq->mapped) {
			usb_gadget_unmap_request_by_dev(ep->udc->dev, req,
							ep->is_in);
			req->num_mapped_sgs = 0;
			sreq->mapped = false;
		}
		return -ESHUTDOWN;
	}
	req->status = -EINPROGRESS;
	req->actual = 0;
	sreq->started = false;
	if (req->num_sgs)
		ep->stats.sg_requests++;
	if (premapped)
		ep->stats.premapped++;
	list_add_tail(&sreq->queue, &ep->queue);
	iub_sim_udc_ep_kick(ep);
	spin_unlock_irqrestore(&ep->lock, flags);
	return 0;
}

static int iub_sim_udc_dequeue(struct usb_ep *_ep, struct usb_request *req)
{
	struct iub_sim_udc_ep *ep = to_sim_ep(_ep);
	struct iub_sim_udc_req *sreq, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&ep->lock, flags);
	/* never touch @req before knowing it is ours: it may be gone */
	list_for_each_entry(sreq, &ep->queue, queue) {
		if (&sreq->req == req) {
			found = sreq;
			break;
		}
	}
	if (found)
		iub_sim_udc_done(ep, found, -ECONNRESET);
	spin_unlock_irqrestore(&ep->lock, flags);
	return found ? 0 : -EINVAL;
}

/* ep0: a stall ends the control transfer in progress. */
static void iub_sim_udc_ep0_stall(struct iub_sim_udc_ep *ep)
{
	struct iub_sim_udc *udc = ep->udc;
	unsigned long flags;

	spin_lock_irqsave(&ep->lock, flags);
	if (udc->ctrl.active && !udc->ctrl.done) {
		udc->ctrl.stalled = true;
		udc->ctrl.done = true;
		wake_up(&udc->ep0_wait);
	}
	spin_unlock_irqrestore(&ep->lock, flags);
}

static int iub_sim_udc_set_halt(struct usb_ep *_ep, int value)
{
	struct iub_sim_udc_ep *ep = to_sim_ep(_ep);
	unsigned long flags;
	int ret = 0;

	if (!ep->num) {
		if (value)
			iub_sim_udc_ep0_stall(ep);
		return 0;
	}
	spin_lock_irqsave(&ep->lock, flags);
	if (!ep->enabled) {
		ret = -ESHUTDOWN;
	} else if (value && ep->is_in && !list_empty(&ep->queue)) {
		ret = -EAGAIN;	/* the gadget API's rule for IN endpoints */
	} else {
		ep->halted = value;
		if (!value)
			ep->wedged = false;
	}
	spin_unlock_irqrestore(&ep->lock, flags);
	if (!ret && !value)
		iub_sim_udc_ep_kick(ep);
	return ret;
}

static int iub_sim_udc_set_wedge(struct usb_ep *_ep)
{
	struct iub_sim_udc_ep *ep = to_sim_ep(_ep);
	unsigned long flags;

	if (!ep->num) {
		iub_sim_udc_ep0_stall(ep);
		return 0;
	}
	spin_lock_irqsave(&ep->lock, flags);
	ep->halted = true;
	ep->wedged = true;
	spin_unlock_irqrestore(&ep->lock, flags);
	return 0;
}

static const struct usb_ep_ops iub_sim_udc_ep_ops = {
	.enable = iub_sim_udc_ep_enable,
	.disable = iub_sim_udc_ep_disable,
	.alloc_request = iub_sim_udc_alloc_request,
	.free_request = iub_sim_udc_free_request,
	.queue = iub_sim_udc_queue,
	.dequeue = iub_sim_udc_dequeue,
	.set_halt = iub_sim_udc_set_halt,
	.set_wedge = iub_sim_udc_set_wedge,
};

/**
 * iub_sim_udc_ep_init() - set up one endpoint
 * @udc: controller
 * @i: index: 0 is ep0, then ep1in, ep1out, ep2in, ...
 * @rate: initial rate in bytes per second (0: as fast as possible)
 *
 * Data endpoints go on the gadget's ep_list, in index order, for
 * usb_ep_autoconfig(); their numbers come from their names.
 */
void iub_sim_udc_ep_init(struct iub_sim_udc *udc, unsigned int i, u64 rate)
{
	struct iub_sim_udc_ep *ep = &udc->ep[i];

	ep->udc = udc;
	spin_lock_init(&ep->lock);
	INIT_LIST_HEAD(&ep->queue);
	ep->num = (i + 1) / 2;
	ep->is_in = i && (i % 2);
	ep->ep.name = iub_sim_udc_ep_names[i];
	ep->ep.ops = &iub_sim_udc_ep_ops;
	ep->verify = true;
	ep->fill = true;
	ep->rate = rate;
	ep->seed = iub_sim_stream_default_seed(ep->num);
	ep->short_next = -1;
	iub_sim_stream_check_init(&ep->check);
	iub_sim_hrtimer_setup(&ep->timer, iub_sim_udc_timer, CLOCK_MONOTONIC,
			      HRTIMER_MODE_REL);

	if (!i) {
		ep->ep.caps.type_control = true;
		ep->ep.caps.dir_in = true;
		ep->ep.caps.dir_out = true;
		usb_ep_set_maxpacket_limit(&ep->ep, IUB_SIM_UDC_EP0_MAXPACKET);
		INIT_WORK(&ep->work, iub_sim_udc_ep0_work);
		return;
	}
	ep->ep.caps.type_bulk = true;
	ep->ep.caps.type_int = true;
	ep->ep.caps.dir_in = ep->is_in;
	ep->ep.caps.dir_out = !ep->is_in;
	usb_ep_set_maxpacket_limit(&ep->ep, IUB_SIM_UDC_MAXPACKET);
	INIT_WORK(&ep->work, iub_sim_udc_ep_work);
	list_add_tail(&ep->ep.ep_list, &udc->gadget.ep_list);
}

/**
 * iub_sim_udc_quiesce() - wait until no data mover gives anything back
 * @udc: controller, with &iub_sim_udc.connected cleared, so that the
 *	movers complete nothing more
 *
 * What synchronize_irq() is for a real controller: afterwards no
 * completion callback of a data endpoint or ep0 runs. Context: process.
 */
void iub_sim_udc_quiesce(struct iub_sim_udc *udc)
{
	unsigned int i;

	for (i = 0; i < IUB_SIM_UDC_NUM_EPS; i++)
		flush_work(&udc->ep[i].work);
}

/**
 * iub_sim_udc_ep_shutdown() - stop an endpoint for good
 * @ep: endpoint
 *
 * Nothing re-arms its work or timer afterwards; queued requests complete
 * with -ESHUTDOWN. Context: process, may sleep.
 */
void iub_sim_udc_ep_shutdown(struct iub_sim_udc_ep *ep)
{
	unsigned long flags;

	spin_lock_irqsave(&ep->lock, flags);
	ep->shutdown = true;
	ep->enabled = false;
	spin_unlock_irqrestore(&ep->lock, flags);
	hrtimer_cancel(&ep->timer);
	cancel_work_sync(&ep->work);
	iub_sim_udc_ep_nuke(ep, -ESHUTDOWN);
}
