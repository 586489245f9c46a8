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
 * queue order, from that work item: at once, or after the endpoint's
 * give-back delay (iub_sim_udc_end_req() puts it on the retire list).
 * usb_ep_dequeue() gives a request back inside the call, or after the
 * dequeue delay, like a controller whose "end transfer" command completes
 * later.
 *
 * The controller holds the gadget driver to the gadget API: a request it
 * owns (from usb_ep_queue() until its completion callback) must not be
 * queued again, freed, changed, or have its scatterlist freed or rewritten.
 * iub_sim_udc_misuse() reports each violation with "BUG:" in the kernel
 * log and counts it (debugfs "misuse").
 *
 * A real controller (dwc3, for instance) turns the mapped scatterlist into
 * transfer descriptors (TRBs), its DMA engine moves the data as the host
 * polls, and the completion comes from its event interrupt.
 */
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/jhash.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

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
/* Misuse reports that come with a stack trace; the rest are one line. */
#define IUB_SIM_UDC_MISUSE_STACKS	4

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

static void iub_sim_udc_script_free_locked(struct iub_sim_udc_ep *ep)
	__must_hold(&ep->lock)
{
	struct iub_sim_udc_hxfer *hx, *tmp;

	list_for_each_entry_safe(hx, tmp, &ep->script, node) {
		list_del(&hx->node);
		kfree(hx);
	}
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
	iub_sim_udc_script_free_locked(ep);
	ep->scripted = false;
	ep->capture_n = 0;
	ep->cap_len = 0;
	ep->cap_rec = -1;
}

/**
 * iub_sim_udc_ep_inject() - the scripted host sends a bulk OUT transfer
 * @ep: an OUT endpoint
 * @hx: the transfer, kmalloc'ed; the endpoint owns it from here
 *
 * From now on the host sends only what is injected. Context: any.
 *
 * Return: 0, or -EINVAL for an IN endpoint (@hx is freed).
 */
int iub_sim_udc_ep_inject(struct iub_sim_udc_ep *ep,
			  struct iub_sim_udc_hxfer *hx)
{
	unsigned long flags;

	if (ep->is_in || !hx->len) {
		kfree(hx);
		return -EINVAL;
	}
	spin_lock_irqsave(&ep->lock, flags);
	list_add_tail(&hx->node, &ep->script);
	ep->scripted = true;
	spin_unlock_irqrestore(&ep->lock, flags);
	iub_sim_udc_ep_kick(ep);
	return 0;
}

/* ---- the gadget API's rules ---------------------------------------------- */

static const char * const iub_sim_udc_state_names[] = {
	[IUB_SIM_UDC_REQ_IDLE] = "idle",
	[IUB_SIM_UDC_REQ_QUEUED] = "queued",
	[IUB_SIM_UDC_REQ_DONE] = "ended, not given back yet",
	[IUB_SIM_UDC_REQ_DEQUEUED] = "dequeued, not given back yet",
};

/*
 * The gadget driver broke the gadget API. Say so where the test harness
 * looks ("BUG:" in the kernel log), with a stack trace the first few times,
 * and count it.
 */
static __printf(2, 3) void iub_sim_udc_misuse(struct iub_sim_udc_ep *ep,
					      const char *fmt, ...)
{
	int n = atomic_inc_return(&ep->udc->misuse);
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	dev_err(ep->udc->dev, "BUG: %s: gadget API misuse: %pV\n", ep->ep.name,
		&vaf);
	va_end(args);
	if (n <= IUB_SIM_UDC_MISUSE_STACKS)
		dump_stack();
}

/*
 * The scatterlist entries a snapshot covers: the first ones of the table,
 * up to its end, a chain link or IUB_SIM_UDC_SG_CHECK entries. Only the
 * entries of the first block: after a chain link, the table may already be
 * gone, and this must not follow a pointer out of freed memory.
 */
static unsigned int iub_sim_udc_sg_span(struct scatterlist *sg,
					unsigned int nents)
{
	unsigned int n = 0;

	nents = min_t(unsigned int, nents, IUB_SIM_UDC_SG_CHECK);
	while (n < nents && !sg_is_chain(&sg[n])) {
		if (sg_is_last(&sg[n++]))
			break;
	}
	return n;
}

static u32 iub_sim_udc_sg_hash(const struct scatterlist *sg, unsigned int n)
{
	return jhash(sg, n * sizeof(*sg), 0);
}

/* Remember what a request looks like now that the controller owns it. */
static void iub_sim_udc_snap_take(struct iub_sim_udc_req *sreq)
{
	struct usb_request *req = &sreq->req;
	struct iub_sim_udc_snap *s = &sreq->snap;

	s->buf = req->buf;
	s->sg = req->sg;
	s->complete = req->complete;
	s->context = req->context;
	s->length = req->length;
	s->num_sgs = req->num_sgs;
	s->num_mapped_sgs = req->num_mapped_sgs;
	s->sg_entries = req->sg && req->num_sgs ?
			iub_sim_udc_sg_span(req->sg, req->num_sgs) : 0;
	s->sg_hash = s->sg_entries ?
		     iub_sim_udc_sg_hash(req->sg, s->sg_entries) : 0;
}

/* What of a request changed since it was queued; NULL if nothing did. */
static const char *iub_sim_udc_snap_diff(struct iub_sim_udc_req *sreq)
{
	struct usb_request *req = &sreq->req;
	struct iub_sim_udc_snap *s = &sreq->snap;

	if (req->buf != s->buf)
		return "buf";
	if (req->sg != s->sg)
		return "sg";
	if (req->num_sgs != s->num_sgs)
		return "num_sgs";
	if (req->num_mapped_sgs != s->num_mapped_sgs)
		return "num_mapped_sgs";
	if (req->length != s->length)
		return "length";
	if (req->complete != s->complete)
		return "complete";
	if (req->context != s->context)
		return "context";
	if (s->sg_entries &&
	    iub_sim_udc_sg_hash(s->sg, s->sg_entries) != s->sg_hash)
		return "its scatterlist (rewritten, or freed)";
	return NULL;
}

/*
 * Whether a request of a data endpoint is as it was queued; reports the
 * first difference, once per request. @when: "at start", "at give-back".
 */
static bool iub_sim_udc_check_req(struct iub_sim_udc_ep *ep,
				  struct iub_sim_udc_req *sreq,
				  const char *when)
	__must_hold(&ep->lock)
{
	const char *what;

	if (!ep->num || sreq->bad)
		return !sreq->bad;
	what = iub_sim_udc_snap_diff(sreq);
	if (!what)
		return true;
	sreq->bad = true;
	iub_sim_udc_misuse(ep, "request %p: %s changed while owned (seen %s); not given back",
			   &sreq->req, what, when);
	return false;
}

/*
 * usb_ep_queue(): the controller takes the request, which must be one of
 * this endpoint's and must not be its already.
 */
static int iub_sim_udc_claim_locked(struct iub_sim_udc_ep *ep,
				    struct iub_sim_udc_req *sreq)
	__must_hold(&ep->lock)
{
	lockdep_assert_held(&ep->lock);
	if (sreq->ep != ep) {
		iub_sim_udc_misuse(ep, "request %p of %s queued on %s",
				   &sreq->req, sreq->ep->ep.name, ep->ep.name);
		return -EINVAL;
	}
	if (sreq->state != IUB_SIM_UDC_REQ_IDLE) {
		iub_sim_udc_misuse(ep, "request %p queued again while the controller owns it (%s)",
				   &sreq->req,
				   iub_sim_udc_state_names[sreq->state]);
		return -EBUSY;
	}
	sreq->state = IUB_SIM_UDC_REQ_QUEUED;
	sreq->bad = false;
	return 0;
}

/* ---- give-back ---------------------------------------------------------- */

/*
 * Give a request back to its gadget driver, with the endpoint's lock
 * dropped around the callback and interrupts still off, as a controller's
 * interrupt handler does. The callback may queue the next request.
 *
 * A request that changed while the controller owned it (reported) is not
 * given back: the driver has visibly taken it back already (reused it,
 * freed its scatterlist), and calling into it would only turn the report
 * into a use-after-free in the driver. A real controller would call it.
 */
static void iub_sim_udc_done(struct iub_sim_udc_ep *ep,
			     struct iub_sim_udc_req *sreq, int status)
	__must_hold(&ep->lock)
{
	struct usb_request *req = &sreq->req;
	bool intact;

	lockdep_assert_held(&ep->lock);
	list_del_init(&sreq->queue);
	intact = iub_sim_udc_check_req(ep, sreq, "at give-back");
	if (sreq->state == IUB_SIM_UDC_REQ_DONE)
		ep->retire_done--;
	sreq->state = IUB_SIM_UDC_REQ_IDLE;
	if (!intact) {
		/* neither unmapped (the table may be gone) nor given back */
		sreq->mapped = false;
		ep->stats.errors++;
		return;
	}
	if (req->status == -EINPROGRESS)
		req->status = status;
	if (sreq->mapped) {
		usb_gadget_unmap_request_by_dev(ep->udc->dma_dev, req, ep->is_in);
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

/* Arm the retire timer for the first request due on the retire list. */
static void iub_sim_udc_retire_arm_locked(struct iub_sim_udc_ep *ep)
	__must_hold(&ep->lock)
{
	struct iub_sim_udc_req *sreq;
	ktime_t first = KTIME_MAX;

	list_for_each_entry(sreq, &ep->retire, queue) {
		if (ktime_before(sreq->deadline, first))
			first = sreq->deadline;
	}
	if (first != KTIME_MAX && !ep->shutdown)
		hrtimer_start(&ep->retire_timer, first, HRTIMER_MODE_ABS);
}

/* Put a request on the retire list, to be given back at @deadline. */
static void iub_sim_udc_retire_locked(struct iub_sim_udc_ep *ep,
				      struct iub_sim_udc_req *sreq,
				      enum iub_sim_udc_req_state state,
				      int status, ktime_t deadline)
	__must_hold(&ep->lock)
{
	list_move_tail(&sreq->queue, &ep->retire);
	sreq->state = state;
	sreq->status = status;
	sreq->deadline = deadline;
	if (state == IUB_SIM_UDC_REQ_DONE)
		ep->retire_done++;
	iub_sim_udc_retire_arm_locked(ep);
}

/*
 * Give back the requests on the retire list that are due, the ended ones
 * in the order they ended (their deadlines never decrease along the list).
 */
static void iub_sim_udc_retire_due_locked(struct iub_sim_udc_ep *ep)
	__must_hold(&ep->lock)
{
	struct iub_sim_udc_req *sreq;
	bool again;

	do {
		ktime_t now = ktime_get();

		again = false;
		list_for_each_entry(sreq, &ep->retire, queue) {
			if (ktime_after(sreq->deadline, now))
				continue;
			/* drops the lock: the list may change, start over */
			iub_sim_udc_done(ep, sreq, sreq->status);
			again = !ep->shutdown;
			break;
		}
	} while (again);
	iub_sim_udc_retire_arm_locked(ep);
}

/*
 * A request ended on the bus (status 0, or a DMA error): give it back now,
 * or after the give-back delay. Ended requests are given back in order, so
 * one waits as long as those that ended before it.
 */
static void iub_sim_udc_end_req(struct iub_sim_udc_ep *ep,
				struct iub_sim_udc_req *sreq, int status)
	__must_hold(&ep->lock)
{
	ktime_t t;

	ep->cap_rec = -1;	/* the request's record is complete */
	if (!ep->giveback_delay && !ep->retire_done) {
		iub_sim_udc_done(ep, sreq, status);
		return;
	}
	t = ktime_add(ktime_get(), ep->giveback_delay);
	if (ktime_before(t, ep->last_deadline))
		t = ep->last_deadline;
	ep->last_deadline = t;
	iub_sim_udc_retire_locked(ep, sreq, IUB_SIM_UDC_REQ_DONE, status, t);
}

static void iub_sim_udc_nuke_locked(struct iub_sim_udc_ep *ep, int status)
	__must_hold(&ep->lock)
{
	struct iub_sim_udc_req *sreq;

	ep->cap_rec = -1;	/* the record of a request given back ends */
	/* ended or dequeued before the rest: their status stays */
	while ((sreq = list_first_entry_or_null(&ep->retire,
						struct iub_sim_udc_req, queue)))
		iub_sim_udc_done(ep, sreq, sreq->status);
	while ((sreq = list_first_entry_or_null(&ep->queue,
						struct iub_sim_udc_req, queue)))
		iub_sim_udc_done(ep, sreq, status);
}

/**
 * iub_sim_udc_ep_nuke() - give back every request an endpoint owns
 * @ep: endpoint
 * @status: status of the queued requests (-ESHUTDOWN, -ECONNRESET); those
 *	that ended or were dequeued already keep theirs
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
		ret = usb_gadget_map_request_by_dev(ep->udc->dma_dev, req,
						    ep->is_in);
		if (ret)
			return ret;
		sreq->mapped = true;
	} else if (req->num_mapped_sgs || req->dma_mapped) {
		/* mapped by the gadget driver itself: use and leave it */
		*premapped = true;
	} else {
		/* what a real SG controller does: map, unmap at completion */
		ret = usb_gadget_map_request_by_dev(ep->udc->dma_dev, req,
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
 * Whether a scatterlist request has a DMA segment longer than the
 * controller's descriptor holds (module parameter max_seg): a real one
 * would truncate it (dwc3: 24 bits of length per TRB), this one refuses
 * the request.
 */
static bool iub_sim_udc_long_seg(struct iub_sim_udc *udc,
				 struct usb_request *req)
{
	struct scatterlist *sg;
	unsigned int i;

	if (!udc->max_seg || !req->num_sgs)
		return false;
	for_each_sg(req->sg, sg, req->num_mapped_sgs, i) {
		if (sg_dma_len(sg) > udc->max_seg)
			return true;
	}
	return false;
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

	if (ep->cap_rec >= 0) {
		/* room for the whole request was there when it started */
		memcpy(ep->cap_buf + ep->cap_len, p, n);
		ep->cap_len += n;
		*(u32 *)(ep->cap_buf + ep->cap_rec) += n;
		return;
	}
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

	if (ep->scripted) {
		/* within the first host transfer (see iub_sim_udc_ep_work()) */
		struct iub_sim_udc_hxfer *hx =
			list_first_entry(&ep->script, struct iub_sim_udc_hxfer,
					 node);

		memcpy(p, hx->data + hx->pos, n);
		hx->pos += n;
		if (hx->pos == hx->len) {
			list_del(&hx->node);
			kfree(hx);
		}
		return;
	}
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
		phys = dma_to_phys(ep->udc->dma_dev, sreq->addr);
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

/* A request on the retire list is due: the work gives it back. */
static enum hrtimer_restart iub_sim_udc_retire_timer(struct hrtimer *t)
{
	struct iub_sim_udc_ep *ep =
		container_of(t, struct iub_sim_udc_ep, retire_timer);

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
	ep->cap_rec = -1;	/* a dequeued request's record ends there */
	if (ep->is_in && ep->capture_n) {
		ep->capture_n--;
		ep->cap_rec = ep->cap_len;
		*(u32 *)(ep->cap_buf + ep->cap_len) = 0;
		ep->cap_len += sizeof(u32);
	}
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
	iub_sim_udc_end_req(ep, sreq, 0);
}

static bool iub_sim_udc_can_move(struct iub_sim_udc_ep *ep)
	__must_hold(&ep->lock)
{
	return !ep->shutdown && ep->enabled && !ep->halted && !ep->paused &&
	       READ_ONCE(ep->udc->connected);
}

/*
 * The data mover of a data endpoint: the "DMA engine" plus the "host", and
 * the "event interrupt" that gives back what is due on the retire list.
 */
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
	while (!ep->shutdown) {
		if (!list_empty(&ep->retire))
			iub_sim_udc_retire_due_locked(ep);
		if (!iub_sim_udc_can_move(ep))
			break;
		sreq = list_first_entry_or_null(&ep->queue,
						struct iub_sim_udc_req, queue);
		if (!sreq)
			break;
		/* a capture waits for room for the whole request */
		if (!sreq->started && ep->is_in && ep->capture_n &&
		    ep->cap_len + sizeof(u32) + sreq->req.length >
		    IUB_SIM_UDC_CAPTURE_BUF) {
			if (sreq->req.length + sizeof(u32) <=
			    IUB_SIM_UDC_CAPTURE_BUF)
				break;	/* the reader kicks us */
			iub_sim_udc_end_req(ep, sreq, -EOVERFLOW);
			continue;
		}
		if (!sreq->started) {
			/* the driver must not have touched it since queueing */
			if (!iub_sim_udc_check_req(ep, sreq, "at start")) {
				iub_sim_udc_end_req(ep, sreq, -EFAULT);
				continue;
			}
			iub_sim_udc_start_req(ep, sreq);
		}
		left = sreq->xfer_len - sreq->req.actual;
		if (left && !ep->is_in && ep->scripted) {
			struct iub_sim_udc_hxfer *hx;

			hx = list_first_entry_or_null(&ep->script,
						      struct iub_sim_udc_hxfer,
						      node);
			if (!hx)
				break;	/* the host sends nothing: inject kicks */
			if (left >= hx->len - hx->pos) {
				left = hx->len - hx->pos;
				/* a short packet ends the request with it */
				if (hx->len % ep->ep.maxpacket)
					sreq->xfer_len = sreq->req.actual + left;
			}
		}
		if (left) {
			budget = iub_sim_udc_budget(ep, left);
			if (!budget)
				break;	/* the timer brings us back */
			budget = min_t(u64, budget, left);
			ret = iub_sim_udc_move(ep, sreq,
					       min_t(u64, budget,
						     IUB_SIM_UDC_CHUNK));
			if (ret < 0) {
				dev_err_ratelimited(ep->udc->dev,
						    "%s: request of %u bytes: DMA error %d at byte %u\n",
						    ep->ep.name, sreq->req.length,
						    ret, sreq->req.actual);
				iub_sim_udc_end_req(ep, sreq, ret);
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
	ep->last_deadline = 0;
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
	sreq->ep = to_sim_ep(_ep);
	INIT_LIST_HEAD(&sreq->queue);
	return &sreq->req;
}

/*
 * Freeing a request the controller owns is a bug of the gadget driver:
 * report it and forget the request (its completion will not come), so that
 * the controller at least does not touch freed memory.
 */
static void iub_sim_udc_free_request(struct usb_ep *_ep,
				     struct usb_request *req)
{
	struct iub_sim_udc_req *sreq = to_sim_req(req);
	struct iub_sim_udc_ep *ep = sreq->ep;
	unsigned long flags;

	spin_lock_irqsave(&ep->lock, flags);
	if (sreq->state != IUB_SIM_UDC_REQ_IDLE) {
		iub_sim_udc_misuse(ep, "request %p freed while the controller owns it (%s)",
				   req, iub_sim_udc_state_names[sreq->state]);
		if (sreq->state == IUB_SIM_UDC_REQ_DONE)
			ep->retire_done--;
		list_del_init(&sreq->queue);
	}
	spin_unlock_irqrestore(&ep->lock, flags);
	kfree(sreq);
}

static int iub_sim_udc_ep0_queue(struct iub_sim_udc_ep *ep,
				 struct iub_sim_udc_req *sreq)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&ep->lock, flags);
	if (ep->shutdown) {
		spin_unlock_irqrestore(&ep->lock, flags);
		return -ESHUTDOWN;
	}
	ret = iub_sim_udc_claim_locked(ep, sreq);
	if (ret) {
		spin_unlock_irqrestore(&ep->lock, flags);
		return ret;
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
	if (!ep->num)
		return iub_sim_udc_ep0_queue(ep, sreq);

	/* ours from here on, unless it is ours already */
	spin_lock_irqsave(&ep->lock, flags);
	ret = iub_sim_udc_claim_locked(ep, sreq);
	spin_unlock_irqrestore(&ep->lock, flags);
	if (ret)
		return ret;

	ret = iub_sim_udc_map(ep, sreq, &premapped);
	if (ret) {
		spin_lock_irqsave(&ep->lock, flags);
		sreq->state = IUB_SIM_UDC_REQ_IDLE;
		spin_unlock_irqrestore(&ep->lock, flags);
		return ret;
	}
	if (iub_sim_udc_long_seg(ep->udc, req)) {
		if (sreq->mapped) {
			usb_gadget_unmap_request_by_dev(ep->udc->dma_dev, req,
							ep->is_in);
			req->num_mapped_sgs = 0;
			sreq->mapped = false;
		}
		spin_lock_irqsave(&ep->lock, flags);
		ep->stats.long_segs++;
		sreq->state = IUB_SIM_UDC_REQ_IDLE;
		spin_unlock_irqrestore(&ep->lock, flags);
		return -EINVAL;
	}

	spin_lock_irqsave(&ep->lock, flags);
	if (!ep->enabled || ep->shutdown) {
		sreq->state = IUB_SIM_UDC_REQ_IDLE;
		spin_unlock_irqrestore(&ep->lock, flags);
		if (sreq->mapped) {
			usb_gadget_unmap_request_by_dev(ep->udc->dma_dev, req,
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
	iub_sim_udc_snap_take(sreq);
	list_add_tail(&sreq->queue, &ep->queue);
	iub_sim_udc_ep_kick(ep);
	spin_unlock_irqrestore(&ep->lock, flags);
	return 0;
}

/*
 * Give a queued request back with -ECONNRESET: inside the call, or after
 * the endpoint's dequeue delay (the gadget API allows the completion to
 * come after usb_ep_dequeue() returned; dwc3 gives back once its "end
 * transfer" command completed). A request on its way back already (ended
 * or dequeued) stays on it: 0, as on dwc3.
 */
static int iub_sim_udc_dequeue(struct usb_ep *_ep, struct usb_request *req)
{
	struct iub_sim_udc_ep *ep = to_sim_ep(_ep);
	struct iub_sim_udc_req *sreq, *found = NULL;
	unsigned long flags;
	int ret = -EINVAL;
	ktime_t t;

	spin_lock_irqsave(&ep->lock, flags);
	/* never touch @req before knowing it is ours: it may be gone */
	list_for_each_entry(sreq, &ep->queue, queue) {
		if (&sreq->req == req) {
			found = sreq;
			break;
		}
	}
	if (found && found->started)
		ep->cap_rec = -1;	/* its record ends with what it moved */
	if (found && ep->dequeue_delay) {
		t = ktime_add(ktime_get(), ep->dequeue_delay);
		iub_sim_udc_retire_locked(ep, found, IUB_SIM_UDC_REQ_DEQUEUED,
					  -ECONNRESET, t);
		ret = 0;
	} else if (found) {
		iub_sim_udc_done(ep, found, -ECONNRESET);
		ret = 0;
	} else {
		list_for_each_entry(sreq, &ep->retire, queue) {
			if (&sreq->req == req) {
				ret = 0;
				break;
			}
		}
	}
	spin_unlock_irqrestore(&ep->lock, flags);
	return ret;
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
	INIT_LIST_HEAD(&ep->retire);
	ep->num = (i + 1) / 2;
	ep->is_in = i && (i % 2);
	ep->ep.name = iub_sim_udc_ep_names[i];
	ep->ep.ops = &iub_sim_udc_ep_ops;
	ep->verify = true;
	ep->fill = true;
	ep->rate = rate;
	ep->seed = iub_sim_stream_default_seed(ep->num);
	ep->short_next = -1;
	INIT_LIST_HEAD(&ep->script);
	ep->cap_rec = -1;
	iub_sim_stream_check_init(&ep->check);
	iub_sim_hrtimer_setup(&ep->timer, iub_sim_udc_timer, CLOCK_MONOTONIC,
			      HRTIMER_MODE_REL);
	iub_sim_hrtimer_setup(&ep->retire_timer, iub_sim_udc_retire_timer,
			      CLOCK_MONOTONIC, HRTIMER_MODE_ABS);

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
 * What synchronize_irq() is for a real controller: afterwards no data
 * moves and no completion callback of a data endpoint or ep0 runs, except
 * for requests that had already ended or been dequeued with a give-back or
 * dequeue delay: those are still given back when their time comes, or at
 * once when their endpoint is disabled (the gadget API's promise: nothing
 * is owned by the controller after usb_ep_disable()). Context: process.
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
	hrtimer_cancel(&ep->retire_timer);
	cancel_work_sync(&ep->work);
	iub_sim_udc_ep_nuke(ep, -ESHUTDOWN);
	spin_lock_irqsave(&ep->lock, flags);
	iub_sim_udc_script_free_locked(ep);
	spin_unlock_irqrestore(&ep->lock, flags);
	vfree(ep->cap_buf);
	ep->cap_buf = NULL;
}

/**
 * iub_sim_udc_ep_owned_locked() - requests an endpoint owns now
 * @ep: endpoint, its lock held
 *
 * Return: the queued requests plus those that ended or were dequeued and
 * wait for their give-back.
 */
unsigned int iub_sim_udc_ep_owned_locked(struct iub_sim_udc_ep *ep)
	__must_hold(&ep->lock)
{
	lockdep_assert_held(&ep->lock);
	return list_count_nodes(&ep->queue) + list_count_nodes(&ep->retire);
}
