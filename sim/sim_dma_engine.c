// SPDX-License-Identifier: GPL-2.0
/*
 * Channels of the simulated DMA controller: descriptor preparation, the
 * queues, the worker that moves the data with the CPU, completions,
 * termination and status.
 *
 * A descriptor goes prepared -> submitted -> issued -> active -> completed
 * and is freed after its callback ran. terminate_all moves everything to
 * the terminated list; those descriptors are freed once neither the worker
 * nor a callback can still use them (next worker run, device_synchronize or
 * free_chan_resources).
 *
 * The worker plays the hardware. A real controller would fetch its
 * descriptors from memory, move the data with its own bus master and raise
 * an interrupt; here a work item copies with the CPU, an hrtimer paces it,
 * and the interrupt handler's tasklet is a BH work item.
 */
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/highmem.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "sim_dma.h"

/* Most bytes the worker moves in one step: the residue's granularity. */
#define IUB_SIM_STEP		SZ_64K
/* Steps per worker run before it requeues itself and lets others run. */
#define IUB_SIM_WORK_BUDGET	16
/* The rate limiter moves at least 1 ms worth of data per step. */
#define IUB_SIM_STEPS_PER_SEC	1000
/*
 * Length of a rate window before it is rebased, in ms (default 10 s); a
 * test shortens it to rebase all the time. Read without a lock: a step
 * sees the old length or the new one.
 */
static uint window_ms = 10000;
module_param(window_ms, uint, 0644);
MODULE_PARM_DESC(window_ms,
		 "length of a rate window before it is rebased, 1 to 60000 ms (default 10000)");

static s64 iub_sim_window_ns(void)
{
	return (s64)clamp_t(uint, READ_ONCE(window_ms), 1, 60000) *
	       NSEC_PER_MSEC;
}

/*
 * A channel serves both directions, so either side of a slave config may
 * be the memory side: accept the device-side width (4 bytes) and the
 * memory-side one, which are the widths the capabilities announce.
 */
static bool iub_sim_width_ok(struct iub_sim_dma *sim,
			     enum dma_slave_buswidth w)
{
	return w == DMA_SLAVE_BUSWIDTH_UNDEFINED ||
	       w == DMA_SLAVE_BUSWIDTH_4_BYTES || w == sim->mem_width;
}

static void iub_sim_free_list(struct list_head *list)
{
	struct iub_sim_desc *desc, *tmp;

	list_for_each_entry_safe(desc, tmp, list, node) {
		list_del(&desc->node);
		kfree(desc);
	}
}

/**
 * iub_sim_kick_locked() - make the worker look at the channel
 * @c: channel, lock held
 */
void iub_sim_kick_locked(struct iub_sim_chan *c)
{
	lockdep_assert_held(&c->lock);
	queue_work(c->sim->wq, &c->work);
}

/**
 * iub_sim_reset_stream_locked() - restart the stream and the counters
 * @c: channel, lock held
 * @seed: new seed
 *
 * The next device-to-memory word is @seed (index 0), the memory-to-device
 * verifier synchronizes again on the next word it reads, and all counters
 * start from zero.
 */
void iub_sim_reset_stream_locked(struct iub_sim_chan *c, u32 seed)
{
	lockdep_assert_held(&c->lock);
	c->stream_gen++;
	c->seed = seed;
	c->index = 0;
	c->gap_pending = 0;
	c->rt_running = false;
	iub_sim_stream_check_init(&c->check);
	memset(&c->stats, 0, sizeof(c->stats));
}

/* ---- the real-time converter ---- */

/*
 * In real-time mode a device-to-memory channel plays a converter that does
 * not wait: from the first descriptor issued after it was turned on (or
 * after a stream reset or a terminate, which stop it) it produces @rate
 * bytes per second by its clock. A descriptor takes the samples produced
 * while it is issued; what the clock produced while none was issued is
 * dropped: counted in dropped_bytes, and skipped in the stream (the index
 * advances), so that a reader sees a jump of exactly that size. A real
 * converter has a FIFO of a few samples; this one has none.
 */
static bool iub_sim_rt(struct iub_sim_chan *c, struct iub_sim_desc *desc)
{
	lockdep_assert_held(&c->lock);
	return c->realtime && c->rate && desc->dir == DMA_DEV_TO_MEM;
}

/*
 * Bytes the running converter has produced by @t, not rounded. @t may be
 * before the window's start (a descriptor issued before the rebase): then
 * count back from it at the current rate, never to what the window began
 * with, which would count the samples produced since @t as lost.
 */
static u64 iub_sim_rt_bytes(struct iub_sim_chan *c, ktime_t t)
{
	s64 ns = ktime_to_ns(ktime_sub(t, c->rt_epoch));
	u64 back;

	lockdep_assert_held(&c->lock);
	if (ns >= 0)
		return c->rt_epoch_bytes + mul_u64_u64_div_u64(c->rate, ns,
							       NSEC_PER_SEC);
	back = mul_u64_u64_div_u64(c->rate, -ns, NSEC_PER_SEC);
	return c->rt_epoch_bytes > back ? c->rt_epoch_bytes - back : 0;
}

/* The same in whole words: what a descriptor may have been given by @t. */
static u64 iub_sim_rt_produced(struct iub_sim_chan *c, ktime_t t)
{
	return round_down(iub_sim_rt_bytes(c, t), IUB_SIM_STREAM_WORD_SIZE);
}

/*
 * No descriptor was issued from where the converter's output has been
 * taken up to (@rt_pos) until @t: what it produced meanwhile is lost.
 */
static void iub_sim_rt_drop(struct iub_sim_chan *c, ktime_t t)
{
	u64 produced = iub_sim_rt_produced(c, t), lost;

	lockdep_assert_held(&c->lock);
	if (produced <= c->rt_pos)
		return;
	lost = produced - c->rt_pos;
	c->rt_pos = produced;
	c->index += lost / IUB_SIM_STREAM_WORD_SIZE;
	c->stats.dropped_bytes += lost;
}

/*
 * A descriptor starts on a real-time channel: the converter starts with
 * the first one (at the time it was issued), and a later one takes the
 * samples from the time it was issued, or from where the previous one
 * ended if it was issued before that.
 */
static void iub_sim_rt_start(struct iub_sim_chan *c, ktime_t issued_at)
{
	lockdep_assert_held(&c->lock);
	if (!c->rt_running) {
		c->rt_running = true;
		c->rt_epoch = issued_at;
		c->rt_epoch_bytes = 0;
		c->rt_pos = 0;
		return;
	}
	iub_sim_rt_drop(c, issued_at);
}

/**
 * iub_sim_rt_settle_locked() - count what a running real-time converter
 *	has dropped so far
 * @c: channel, lock held
 *
 * With nothing issued, the drop goes on until a descriptor comes; a reader
 * of the counters wants it up to now.
 */
void iub_sim_rt_settle_locked(struct iub_sim_chan *c)
{
	lockdep_assert_held(&c->lock);
	if (c->rt_running && !c->active && list_empty(&c->issued))
		iub_sim_rt_drop(c, ktime_get());
}

/**
 * iub_sim_set_rate_locked() - set the speed of a channel
 * @c: channel, lock held
 * @rate: bytes per second, 0 = as fast as possible; clamped to
 *	IUB_SIM_MAX_RATE
 *
 * A running real-time converter keeps what its clock produced so far and
 * goes on at the new rate; at rate 0 it stops.
 */
void iub_sim_set_rate_locked(struct iub_sim_chan *c, u64 rate)
{
	lockdep_assert_held(&c->lock);
	if (c->rt_running) {
		ktime_t now = ktime_get();

		c->rt_epoch_bytes = iub_sim_rt_bytes(c, now);
		c->rt_epoch = now;
	}
	c->rate = min_t(u64, rate, IUB_SIM_MAX_RATE);
	if (!c->rate)
		c->rt_running = false;
	c->paced = false;
	iub_sim_kick_locked(c);
}

/**
 * iub_sim_set_realtime_locked() - turn real-time mode on or off
 * @c: channel, lock held
 * @on: the new mode
 *
 * Either way the converter stops; in real-time mode the next descriptor
 * issued starts it again.
 */
void iub_sim_set_realtime_locked(struct iub_sim_chan *c, bool on)
{
	lockdep_assert_held(&c->lock);
	c->realtime = on;
	c->rt_running = false;
	iub_sim_kick_locked(c);
}

/* ---- descriptors ---- */

static dma_cookie_t iub_sim_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct iub_sim_desc *desc = container_of(tx, struct iub_sim_desc, tx);
	struct iub_sim_chan *c = to_iub_sim_chan(tx->chan);
	dma_cookie_t cookie;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	cookie = c->chan.cookie + 1;
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	c->chan.cookie = cookie;
	tx->cookie = cookie;
	list_move_tail(&desc->node, &c->submitted);
	spin_unlock_irqrestore(&c->lock, flags);

	return cookie;
}

/*
 * prep callbacks may run in atomic context, and the IIO DMA buffer calls
 * them inside a dma_fence signalling section: never sleep for memory.
 */
static struct iub_sim_desc *iub_sim_alloc_desc(struct iub_sim_chan *c,
					       size_t max_segs,
					       enum dma_transfer_direction dir,
					       unsigned long flags)
{
	struct iub_sim_desc *desc;

	if (dir != DMA_DEV_TO_MEM && dir != DMA_MEM_TO_DEV)
		return NULL;
	if (!max_segs || max_segs > UINT_MAX)
		return NULL;

	desc = kzalloc(struct_size(desc, segs, max_segs),
		       GFP_NOWAIT | __GFP_NOWARN);
	if (!desc)
		return NULL;

	desc->nsegs = max_segs;
	dma_async_tx_descriptor_init(&desc->tx, &c->chan);
	desc->tx.flags = flags;
	desc->tx.tx_submit = iub_sim_tx_submit;
	desc->dir = dir;
	INIT_LIST_HEAD(&desc->node);
	return desc;
}

/*
 * Can the controller move @len (> 0) bytes at @addr as one segment? Like
 * axi-dmac: the address range must lie under the DMA mask (the device
 * cannot reach beyond it: that memory had to be bounced by whoever mapped
 * it), the address and the length must be multiples of the wider of the
 * two bus widths (the controller moves whole beats of it), and the segment
 * must not exceed the maximum segment size.
 *
 * Returns NULL if it can, else why not.
 */
static const char *iub_sim_seg_why(struct iub_sim_dma *sim, dma_addr_t addr,
				   size_t len)
{
	if (addr > sim->dma_mask || len - 1 > sim->dma_mask - addr)
		return "beyond the DMA mask";
	if (!IS_ALIGNED(addr, sim->align) || !IS_ALIGNED(len, sim->align))
		return "not a multiple of the bus width";
	if (len > sim->max_seg)
		return "longer than the maximum segment";
	return NULL;
}

/* Count and report a segment the controller cannot move; returns false. */
static bool iub_sim_refuse(struct iub_sim_chan *c,
			   enum dma_transfer_direction dir, dma_addr_t addr,
			   size_t len, const char *why)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	c->stats.refused++;
	spin_unlock_irqrestore(&c->lock, flags);
	dev_warn_ratelimited(c->sim->dev,
			     "chan%u: refused %s segment %pad+%zu: %s\n",
			     c->num, dir == DMA_DEV_TO_MEM ? "rx" : "tx",
			     &addr, len, why);
	return false;
}

/*
 * Append one piece of memory to a descriptor under construction; @used
 * counts the segments filled so far. Pieces that continue the previous
 * one are merged (after each was checked on its own).
 */
static bool iub_sim_add_seg(struct iub_sim_chan *c, struct iub_sim_desc *desc,
			    unsigned int *used, dma_addr_t addr, size_t len)
{
	struct iub_sim_seg *prev;
	const char *why;

	if (!len)
		return true;
	why = iub_sim_seg_why(c->sim, addr, len);
	if (why)
		return iub_sim_refuse(c, desc->dir, addr, len, why);
	/* dmaengine_result.residue is 32 bits wide. */
	if (len > U32_MAX - desc->total_len)
		return false;

	desc->total_len += len;
	if (*used) {
		prev = &desc->segs[*used - 1];
		if (prev->addr + prev->len == addr) {
			prev->len += len;
			return true;
		}
	}
	desc->segs[*used].addr = addr;
	desc->segs[*used].len = len;
	(*used)++;
	return true;
}

static struct dma_async_tx_descriptor *
iub_sim_finish_desc(struct iub_sim_chan *c, struct iub_sim_desc *desc,
		    unsigned int used)
{
	unsigned long flags;

	if (!used) {
		kfree(desc);
		return NULL;
	}
	desc->nsegs = used;

	spin_lock_irqsave(&c->lock, flags);
	list_add_tail(&desc->node, &c->prepared);
	spin_unlock_irqrestore(&c->lock, flags);

	return &desc->tx;
}

static struct dma_async_tx_descriptor *
iub_sim_prep_slave_sg(struct dma_chan *chan, struct scatterlist *sgl,
		      unsigned int sg_len, enum dma_transfer_direction dir,
		      unsigned long flags, void *context)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	struct iub_sim_desc *desc;
	struct scatterlist *sg;
	unsigned int i, used = 0;

	desc = iub_sim_alloc_desc(c, sg_len, dir, flags);
	if (!desc)
		return NULL;

	/* sg_len counts DMA-mapped entries: use the DMA address and length. */
	for_each_sg(sgl, sg, sg_len, i) {
		if (!iub_sim_add_seg(c, desc, &used, sg_dma_address(sg),
				     sg_dma_len(sg))) {
			kfree(desc);
			return NULL;
		}
	}
	return iub_sim_finish_desc(c, desc, used);
}

static struct dma_async_tx_descriptor *
iub_sim_prep_dma_vec(struct dma_chan *chan, const struct dma_vec *vecs,
		     size_t nents, enum dma_transfer_direction dir,
		     unsigned long flags)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	struct iub_sim_desc *desc;
	unsigned int used = 0;
	size_t i;

	desc = iub_sim_alloc_desc(c, nents, dir, flags);
	if (!desc)
		return NULL;

	for (i = 0; i < nents; i++) {
		if (!iub_sim_add_seg(c, desc, &used, vecs[i].addr,
				     vecs[i].len)) {
			kfree(desc);
			return NULL;
		}
	}
	return iub_sim_finish_desc(c, desc, used);
}

static struct dma_async_tx_descriptor *
iub_sim_prep_cyclic(struct dma_chan *chan, dma_addr_t buf_addr,
		    size_t buf_len, size_t period_len,
		    enum dma_transfer_direction dir, unsigned long flags)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	struct iub_sim_desc *desc;
	const char *why;

	/* dmaengine_result.residue is 32 bits wide. */
	if (!period_len || !buf_len || buf_len % period_len ||
	    buf_len > U32_MAX)
		return NULL;
	/*
	 * The hardware's descriptors are the periods: each is a segment. They
	 * all have the first one's length and alignment; the whole buffer
	 * must lie under the DMA mask.
	 */
	why = iub_sim_seg_why(c->sim, buf_addr, period_len);
	if (!why && buf_len - 1 > c->sim->dma_mask - buf_addr)
		why = "beyond the DMA mask";
	if (why) {
		iub_sim_refuse(c, dir, buf_addr, buf_len, why);
		return NULL;
	}

	desc = iub_sim_alloc_desc(c, 1, dir, flags);
	if (!desc)
		return NULL;
	desc->segs[0].addr = buf_addr;
	desc->segs[0].len = buf_len;
	desc->total_len = buf_len;
	desc->cyclic = true;
	desc->period_len = period_len;
	return iub_sim_finish_desc(c, desc, 1);
}

/* ---- the data mover ---- */

static void iub_sim_fill(__le32 *p, size_t words, u32 value)
{
	size_t i;

	for (i = 0; i < words; i++)
		p[i] = cpu_to_le32(value++);
}

/*
 * Move @len bytes at DMA address @addr, with the CPU.
 *
 * The consumer mapped the memory against our platform device, so @addr is
 * an address of that device. The simulated device sits on an x86 machine
 * without an IOMMU in its path: dma-direct made the DMA address from the
 * physical one (identity, or the bounce buffer if swiotlb had to bounce),
 * and dma_to_phys() undoes that. The CPU then reaches each page through
 * kmap_local_page(). x86 DMA is cache coherent, so this is what a bus
 * master would see; on a non-coherent machine a real device would bypass
 * the CPU caches instead, which the consumer's dma_sync_*() calls handle.
 * Memory without a struct page (a PCI BAR, say) fails the transfer.
 */
static int iub_sim_move(struct device *dev, enum dma_transfer_direction dir,
			dma_addr_t addr, size_t len, u32 seed, u64 *index,
			struct iub_sim_stream_check *check)
{
	while (len) {
		phys_addr_t phys = dma_to_phys(dev, addr);
		unsigned long pfn = PHYS_PFN(phys);
		size_t off = offset_in_page(phys);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		u8 *va;

		if (phys == (phys_addr_t)-1 || !pfn_valid(pfn))
			return -EFAULT;

		va = kmap_local_page(pfn_to_page(pfn));
		if (dir == DMA_DEV_TO_MEM) {
			iub_sim_fill((__le32 *)(va + off),
				     n / IUB_SIM_STREAM_WORD_SIZE,
				     iub_sim_stream_word(seed, *index));
			*index += n / IUB_SIM_STREAM_WORD_SIZE;
		} else {
			iub_sim_stream_check_buf(check, va + off, n);
		}
		kunmap_local(va);

		addr += n;
		len -= n;
	}
	return 0;
}

static void iub_sim_complete_desc(struct iub_sim_chan *c,
				  struct iub_sim_desc *desc,
				  enum dmaengine_tx_result result, u32 residue)
{
	lockdep_assert_held(&c->lock);

	desc->result = result;
	desc->residue = residue;
	c->chan.completed_cookie = desc->tx.cookie;
	if (result == DMA_TRANS_NOERROR) {
		c->stats.completed++;
	} else {
		c->error_cookie = desc->tx.cookie;
		c->stats.failed++;
	}
	if (c->active == desc)
		c->active = NULL;
	list_add_tail(&desc->node, &c->completed);
	queue_work(system_bh_wq, &c->complete_work);
}

/* Account @len bytes moved on the active descriptor. */
static void iub_sim_advance(struct iub_sim_chan *c, struct iub_sim_desc *desc,
			    size_t len)
{
	lockdep_assert_held(&c->lock);

	desc->done += len;
	desc->seg_off += len;
	if (desc->seg_off == desc->segs[desc->seg].len) {
		desc->seg++;
		desc->seg_off = 0;
	}

	if (!desc->cyclic) {
		if (desc->done == desc->end_len)
			iub_sim_complete_desc(c, desc, DMA_TRANS_NOERROR,
					      desc->total_len - desc->end_len);
		return;
	}

	if (desc->done % desc->period_len == 0) {
		c->cyclic_pending++;
		c->stats.completed++;
		desc->not_before = ktime_add_us(ktime_get(), c->delay_us);
		queue_work(system_bh_wq, &c->complete_work);
	}
	if (desc->done == desc->total_len) {
		desc->done = 0;
		desc->seg = 0;
		desc->seg_off = 0;
		/*
		 * A repeated playback buffer cannot continue the counter:
		 * every pass is verified on its own.
		 */
		if (desc->dir == DMA_MEM_TO_DEV)
			c->check.synced = 0;
	}
}

/* Bytes per pacing step: about 1 ms of data, at least one word. */
static size_t iub_sim_granule(struct iub_sim_chan *c)
{
	size_t granule;

	granule = clamp_t(u64, div_u64(c->rate, IUB_SIM_STEPS_PER_SEC),
			  IUB_SIM_STREAM_WORD_SIZE, IUB_SIM_STEP);
	return round_down(granule, IUB_SIM_STREAM_WORD_SIZE);
}

/*
 * iub_sim_step_len() of a running real-time converter: what its clock has
 * produced and the descriptor has not taken yet. The descriptor may fall
 * behind the clock (a late worker) without losing anything: it was there
 * to take the samples.
 */
static size_t iub_sim_rt_step_len(struct iub_sim_chan *c, size_t len,
				  ktime_t now, ktime_t *wait)
{
	u64 produced, want, due;
	s64 elapsed;

	lockdep_assert_held(&c->lock);
	/* turned on (or given a rate) in the middle of a descriptor */
	if (!c->rt_running)
		iub_sim_rt_start(c, now);
	elapsed = ktime_to_ns(ktime_sub(now, c->rt_epoch));
	if (elapsed > iub_sim_window_ns()) {
		/* keep the products of iub_sim_rt_bytes() small */
		c->rt_epoch_bytes = iub_sim_rt_bytes(c, now);
		c->rt_epoch = now;
		elapsed = 0;
	}
	produced = iub_sim_rt_produced(c, now);
	want = min_t(u64, len, iub_sim_granule(c));
	if (produced >= c->rt_pos + want)
		return min_t(u64, len, produced - c->rt_pos);

	due = mul_u64_u64_div_u64(c->rt_pos + want - c->rt_epoch_bytes,
				  NSEC_PER_SEC, c->rate) + 1;
	*wait = ns_to_ktime(max_t(s64, due - elapsed, 1));
	return 0;
}

/*
 * How many bytes the next step may move now. Returns 0 and sets @wait if
 * the rate limit or an injected delay says to come back later.
 */
static size_t iub_sim_step_len(struct iub_sim_chan *c,
			       struct iub_sim_desc *desc, ktime_t now,
			       ktime_t *wait)
{
	size_t len, boundary, want;
	u64 elapsed, allowed, due;

	lockdep_assert_held(&c->lock);

	len = desc->segs[desc->seg].len - desc->seg_off;
	if (desc->cyclic)
		boundary = desc->period_len - desc->done % desc->period_len;
	else
		boundary = desc->end_len - desc->done;
	len = min3(len, boundary, (size_t)IUB_SIM_STEP);

	/* The step that would complete the descriptor waits for the delay. */
	if (len == boundary && ktime_before(now, desc->not_before)) {
		*wait = ktime_sub(desc->not_before, now);
		return 0;
	}
	if (!c->rate)
		return len;
	if (iub_sim_rt(c, desc))
		return iub_sim_rt_step_len(c, len, now, wait);

	if (!c->paced) {
		c->paced = true;
		c->epoch = now;
		c->epoch_bytes = 0;
	}
	elapsed = ktime_to_ns(ktime_sub(now, c->epoch));
	if (elapsed > iub_sim_window_ns()) {
		/*
		 * Start a new window now and then, so that the products
		 * below stay far from 64-bit overflow. A busy channel loses
		 * at most the part of a step it had not used yet.
		 */
		c->epoch = now;
		c->epoch_bytes = 0;
		elapsed = 0;
	}
	allowed = mul_u64_u64_div_u64(c->rate, elapsed, NSEC_PER_SEC);
	want = min(len, iub_sim_granule(c));
	if (allowed >= c->epoch_bytes + want)
		return min_t(u64, len,
			     round_down(allowed - c->epoch_bytes,
					IUB_SIM_STREAM_WORD_SIZE));

	due = mul_u64_u64_div_u64(c->epoch_bytes + want, NSEC_PER_SEC,
				  c->rate) + 1;
	*wait = ns_to_ktime(due - elapsed);
	return 0;
}

/*
 * One step of the worker: start the next descriptor if needed, then move
 * one piece of data. Called and returns with the lock held, drops it while
 * touching memory. Returns false when there is nothing to do right now.
 */
static bool iub_sim_step(struct iub_sim_chan *c)
	__must_hold(&c->lock)
{
	struct iub_sim_stream_check check;
	struct iub_sim_desc *desc;
	enum dma_transfer_direction dir;
	unsigned int gen;
	ktime_t now, wait;
	dma_addr_t addr;
	size_t len;
	u64 index;
	u32 seed;
	int err;

	desc = c->active;
	if (!desc) {
		desc = list_first_entry_or_null(&c->issued, struct iub_sim_desc,
						node);
		if (!desc) {
			/* Idle: the next transfer starts a new rate window. */
			c->paced = false;
			return false;
		}
		list_del_init(&desc->node);
		c->active = desc;
	}
	if (c->stall)
		return false;

	now = ktime_get();
	if (!desc->started) {
		desc->started = true;
		desc->not_before = ktime_add_us(now, c->delay_us);
		desc->end_len = desc->total_len;
		if (iub_sim_rt(c, desc))
			iub_sim_rt_start(c, desc->issued_at);
		if (c->fail_next) {
			/* Injected fault: fail before moving anything. */
			c->fail_next--;
			iub_sim_complete_desc(c, desc, c->fail_result,
					      desc->total_len);
			return true;
		}
		/*
		 * Injected early end of a capture (a source ending it with
		 * TLAST): a successful short transfer. A value not below the
		 * length is spent without effect.
		 */
		if (c->short_next && !desc->cyclic &&
		    desc->dir == DMA_DEV_TO_MEM) {
			if (c->short_next < desc->total_len)
				desc->end_len -= c->short_next;
			c->short_next = 0;
		}
	}

	len = iub_sim_step_len(c, desc, now, &wait);
	if (!len) {
		hrtimer_start(&c->timer, wait, HRTIMER_MODE_REL);
		return false;
	}

	if (desc->dir == DMA_DEV_TO_MEM && c->gap_pending) {
		c->index += c->gap_pending;
		c->gap_pending = 0;
	}
	addr = desc->segs[desc->seg].addr + desc->seg_off;
	dir = desc->dir;
	gen = c->stream_gen;
	seed = c->seed;
	index = c->index;
	check = c->check;

	spin_unlock_irq(&c->lock);
	err = iub_sim_move(c->sim->dev, dir, addr, len, seed, &index, &check);
	spin_lock_irq(&c->lock);

	if (c->paced)
		c->epoch_bytes += len;
	if (!err && gen == c->stream_gen) {
		c->index = index;
		c->check = check;
		if (c->rt_running && dir == DMA_DEV_TO_MEM)
			c->rt_pos += len;
		if (dir == DMA_DEV_TO_MEM)
			c->stats.produced_bytes += len;
		else
			c->stats.consumed_bytes += len;
	}

	/*
	 * terminate_all took it away while we were moving data: the words
	 * read are counted, but the verifier synchronizes again, as the
	 * terminate said (the write-back above undid that).
	 */
	if (c->active != desc) {
		c->check.synced = 0;
		return true;
	}

	if (err) {
		iub_sim_complete_desc(c, desc,
				      dir == DMA_DEV_TO_MEM ?
				      DMA_TRANS_WRITE_FAILED :
				      DMA_TRANS_READ_FAILED,
				      desc->total_len - desc->done);
		return true;
	}
	iub_sim_advance(c, desc, len);
	return true;
}

static void iub_sim_work(struct work_struct *work)
{
	struct iub_sim_chan *c = container_of(work, struct iub_sim_chan, work);
	unsigned int budget = IUB_SIM_WORK_BUDGET;
	LIST_HEAD(garbage);

	spin_lock_irq(&c->lock);
	for (;;) {
		/* Whatever was terminated before this point is ours to free. */
		list_splice_tail_init(&c->terminated, &garbage);
		if (!budget--) {
			queue_work(c->sim->wq, &c->work);
			break;
		}
		if (!iub_sim_step(c))
			break;
	}
	spin_unlock_irq(&c->lock);

	iub_sim_free_list(&garbage);
}

static enum hrtimer_restart iub_sim_timer_fn(struct hrtimer *timer)
{
	struct iub_sim_chan *c = container_of(timer, struct iub_sim_chan, timer);

	queue_work(c->sim->wq, &c->work);
	return HRTIMER_NORESTART;
}

/* ---- completions ---- */

static void iub_sim_invoke(dma_async_tx_callback cb,
			   dma_async_tx_callback_result cb_result, void *param,
			   const struct dmaengine_result *res)
{
	if (cb_result)
		cb_result(param, res);
	else if (cb)
		cb(param);
}

/*
 * Runs in BH context, where a real driver's tasklet would run the
 * callbacks, one channel at a time and in completion order.
 */
static void iub_sim_complete_work(struct work_struct *work)
{
	struct iub_sim_chan *c = container_of(work, struct iub_sim_chan,
					      complete_work);
	dma_async_tx_callback_result cb_result = NULL;
	dma_async_tx_callback cb = NULL;
	struct iub_sim_desc *desc, *tmp, *cyc;
	struct dmaengine_result res = { };
	unsigned int periods;
	void *param = NULL;
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&c->lock, flags);
	list_splice_tail_init(&c->completed, &done);
	periods = c->cyclic_pending;
	c->cyclic_pending = 0;
	cyc = c->active;
	if (!cyc || !cyc->cyclic)
		cyc = list_first_entry_or_null(&done, struct iub_sim_desc, node);
	if (periods && cyc && cyc->cyclic) {
		cb = cyc->tx.callback;
		cb_result = cyc->tx.callback_result;
		param = cyc->tx.callback_param;
		res.residue = cyc->total_len - cyc->done;
	} else {
		periods = 0;
	}
	spin_unlock_irqrestore(&c->lock, flags);

	res.result = DMA_TRANS_NOERROR;
	while (periods--)
		iub_sim_invoke(cb, cb_result, param, &res);

	list_for_each_entry_safe(desc, tmp, &done, node) {
		list_del(&desc->node);
		res.result = desc->result;
		res.residue = desc->residue;
		iub_sim_invoke(desc->tx.callback, desc->tx.callback_result,
			       desc->tx.callback_param, &res);
		kfree(desc);
	}
}

/* ---- dmaengine callbacks ---- */

static int iub_sim_alloc_chan_resources(struct dma_chan *chan)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	unsigned long flags;

	/* A new consumer starts a new stream with the channel's seed. */
	spin_lock_irqsave(&c->lock, flags);
	iub_sim_reset_stream_locked(c, c->seed);
	memset(&c->cfg, 0, sizeof(c->cfg));
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

static int iub_sim_terminate_all(struct dma_chan *chan)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	list_splice_tail_init(&c->completed, &c->terminated);
	if (c->active) {
		list_add_tail(&c->active->node, &c->terminated);
		c->active = NULL;
	}
	list_splice_tail_init(&c->issued, &c->terminated);
	list_splice_tail_init(&c->submitted, &c->terminated);
	c->cyclic_pending = 0;
	c->stall = false;
	c->paced = false;
	/*
	 * A real-time converter stops with its DMA (as an IIO buffer's
	 * disable stops both); the next descriptor starts it again. What it
	 * would have produced since the last descriptor ended is not counted:
	 * its consumer stopped reading.
	 */
	c->rt_running = false;
	/* The consumer cannot know where we stopped: resynchronize. */
	c->check.synced = 0;
	hrtimer_try_to_cancel(&c->timer);
	/* The worker frees what was terminated, if nobody synchronizes. */
	iub_sim_kick_locked(c);
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

static void __iub_sim_synchronize(struct iub_sim_chan *c)
{
	LIST_HEAD(garbage);

	/*
	 * After this no worker step touches a terminated descriptor's memory
	 * and no callback of one runs any more.
	 */
	hrtimer_cancel(&c->timer);
	flush_work(&c->work);
	flush_work(&c->complete_work);

	spin_lock_irq(&c->lock);
	list_splice_tail_init(&c->terminated, &garbage);
	spin_unlock_irq(&c->lock);
	iub_sim_free_list(&garbage);
}

/*
 * A consumer's synchronize. With sync_delay_ms set it drains slowly, and
 * the channel must stay the consumer's all along: a consumer that gives
 * it back (dma_release_channel()) from another thread meanwhile is
 * reported by iub_sim_free_chan_resources(). The dmaengine core's own
 * synchronize, on the way to freeing the channel (no client left), is not
 * a consumer's: no delay, not counted.
 */
static void iub_sim_synchronize(struct dma_chan *chan)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	u32 delay;

	if (!READ_ONCE(chan->client_count)) {
		__iub_sim_synchronize(c);
		return;
	}
	atomic_inc(&c->in_sync);
	spin_lock_irq(&c->lock);
	delay = c->sync_delay_ms;
	spin_unlock_irq(&c->lock);
	if (delay)
		msleep(delay);
	__iub_sim_synchronize(c);
	atomic_dec(&c->in_sync);
}

static void iub_sim_free_chan_resources(struct dma_chan *chan)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	LIST_HEAD(garbage);

	if (atomic_read(&c->in_sync))
		pr_err("BUG: %s chan%u: channel given back while a consumer is still in terminate_sync\n",
		       IUB_SIM_DRV_NAME, c->num);
	iub_sim_terminate_all(chan);
	__iub_sim_synchronize(c);

	/* Prepared but never submitted: the consumer let go of them. */
	spin_lock_irq(&c->lock);
	list_splice_tail_init(&c->prepared, &garbage);
	spin_unlock_irq(&c->lock);
	iub_sim_free_list(&garbage);
}

static int iub_sim_config(struct dma_chan *chan, struct dma_slave_config *cfg)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	unsigned long flags;

	if (!iub_sim_width_ok(c->sim, cfg->src_addr_width) ||
	    !iub_sim_width_ok(c->sim, cfg->dst_addr_width))
		return -EINVAL;

	spin_lock_irqsave(&c->lock, flags);
	c->cfg = *cfg;
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

static void iub_sim_issue_pending(struct dma_chan *chan)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	if (!list_empty(&c->submitted)) {
		ktime_t now = ktime_get();
		struct iub_sim_desc *desc;

		list_for_each_entry(desc, &c->submitted, node)
			desc->issued_at = now;
		list_splice_tail_init(&c->submitted, &c->issued);
		iub_sim_kick_locked(c);
	}
	spin_unlock_irqrestore(&c->lock, flags);
}

static struct iub_sim_desc *iub_sim_find_desc(struct iub_sim_chan *c,
					      dma_cookie_t cookie)
{
	struct iub_sim_desc *desc;

	lockdep_assert_held(&c->lock);

	if (c->active && c->active->tx.cookie == cookie)
		return c->active;
	list_for_each_entry(desc, &c->issued, node)
		if (desc->tx.cookie == cookie)
			return desc;
	list_for_each_entry(desc, &c->submitted, node)
		if (desc->tx.cookie == cookie)
			return desc;
	return NULL;
}

static enum dma_status iub_sim_tx_status(struct dma_chan *chan,
					 dma_cookie_t cookie,
					 struct dma_tx_state *txstate)
{
	struct iub_sim_chan *c = to_iub_sim_chan(chan);
	struct iub_sim_desc *desc;
	enum dma_status status;
	unsigned long flags;
	u32 residue = 0;

	spin_lock_irqsave(&c->lock, flags);
	status = dma_async_is_complete(cookie, chan->completed_cookie,
				       chan->cookie);
	if (status == DMA_COMPLETE) {
		if (cookie == c->error_cookie)
			status = DMA_ERROR;
	} else {
		desc = iub_sim_find_desc(c, cookie);
		if (!desc) {
			/* Issued after the last completion, then terminated. */
			status = DMA_ERROR;
		} else {
			residue = desc->total_len;
			if (desc == c->active)
				residue -= desc->done;
		}
	}
	dma_set_tx_state(txstate, chan->completed_cookie, chan->cookie,
			 residue);
	spin_unlock_irqrestore(&c->lock, flags);

	return status;
}

/**
 * iub_sim_dma_init_ops() - fill in the dmaengine callbacks and capabilities
 * @sim: the provider, with its constraints set
 */
void iub_sim_dma_init_ops(struct iub_sim_dma *sim)
{
	struct dma_device *dd = &sim->ddev;

	dma_cap_set(DMA_SLAVE, dd->cap_mask);
	dma_cap_set(DMA_CYCLIC, dd->cap_mask);
	/* Channels only go to consumers that ask for them by name. */
	dma_cap_set(DMA_PRIVATE, dd->cap_mask);

	dd->directions = BIT(DMA_DEV_TO_MEM) | BIT(DMA_MEM_TO_DEV);
	/*
	 * The device side is 4 bytes wide, the memory side mem_width: the
	 * source of a DEV_TO_MEM transfer is the device, its destination
	 * memory, and the other way round for MEM_TO_DEV. The capabilities
	 * are per dma_device and every channel does both directions, so each
	 * mask holds both widths; consumers that align to the widest width
	 * (axi-dmac needs the wider of source and destination) get mem_width.
	 */
	dd->src_addr_widths = BIT(DMA_SLAVE_BUSWIDTH_4_BYTES) |
			      BIT(sim->mem_width);
	dd->dst_addr_widths = dd->src_addr_widths;
	dd->residue_granularity = DMA_RESIDUE_GRANULARITY_BURST;
	dd->max_sg_burst = 0;
	dd->descriptor_reuse = false;

	dd->device_alloc_chan_resources = iub_sim_alloc_chan_resources;
	dd->device_free_chan_resources = iub_sim_free_chan_resources;
	dd->device_prep_slave_sg = iub_sim_prep_slave_sg;
	dd->device_prep_peripheral_dma_vec = iub_sim_prep_dma_vec;
	dd->device_prep_dma_cyclic = iub_sim_prep_cyclic;
	dd->device_config = iub_sim_config;
	dd->device_terminate_all = iub_sim_terminate_all;
	dd->device_synchronize = iub_sim_synchronize;
	dd->device_tx_status = iub_sim_tx_status;
	dd->device_issue_pending = iub_sim_issue_pending;
}

/**
 * iub_sim_chan_init() - set up a channel before the device is registered
 * @sim: the provider
 * @c: the channel
 * @index: its number
 */
void iub_sim_chan_init(struct iub_sim_dma *sim, struct iub_sim_chan *c,
		       unsigned int index)
{
	c->sim = sim;
	c->num = index;
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->prepared);
	INIT_LIST_HEAD(&c->submitted);
	INIT_LIST_HEAD(&c->issued);
	INIT_LIST_HEAD(&c->completed);
	INIT_LIST_HEAD(&c->terminated);
	atomic_set(&c->in_sync, 0);
	INIT_WORK(&c->work, iub_sim_work);
	INIT_WORK(&c->complete_work, iub_sim_complete_work);
	iub_sim_hrtimer_setup(&c->timer, iub_sim_timer_fn, CLOCK_MONOTONIC,
			      HRTIMER_MODE_REL);

	c->seed = iub_sim_stream_default_seed(index);
	iub_sim_stream_check_init(&c->check);
	c->stats.seed = c->seed;
	c->fail_result = DMA_TRANS_ABORTED;

	c->chan.device = &sim->ddev;
	c->chan.cookie = DMA_MIN_COOKIE;
	c->chan.completed_cookie = DMA_MIN_COOKIE;
	list_add_tail(&c->chan.device_node, &sim->ddev.channels);
}

/**
 * iub_sim_chan_fini() - stop a channel for good and free its descriptors
 * @c: the channel
 *
 * Only called on removal, when no consumer holds the channel any more
 * (each one pins the module), so this is terminate_sync in all but name:
 * it makes sure no timer, worker or callback runs after the memory is gone.
 */
void iub_sim_chan_fini(struct iub_sim_chan *c)
{
	LIST_HEAD(garbage);

	/* Leave the worker nothing to do, so that it arms no timer. */
	spin_lock_irq(&c->lock);
	if (c->active) {
		list_add_tail(&c->active->node, &garbage);
		c->active = NULL;
	}
	list_splice_tail_init(&c->prepared, &garbage);
	list_splice_tail_init(&c->submitted, &garbage);
	list_splice_tail_init(&c->issued, &garbage);
	list_splice_tail_init(&c->completed, &garbage);
	list_splice_tail_init(&c->terminated, &garbage);
	c->cyclic_pending = 0;
	spin_unlock_irq(&c->lock);

	hrtimer_cancel(&c->timer);
	cancel_work_sync(&c->work);
	/* A step that was running when we emptied the lists may have armed it. */
	hrtimer_cancel(&c->timer);
	cancel_work_sync(&c->work);
	cancel_work_sync(&c->complete_work);
	iub_sim_free_list(&garbage);
}
