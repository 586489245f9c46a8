// SPDX-License-Identifier: GPL-2.0
/*
 * TEST FIXTURE, not part of the product: a dmaengine consumer that
 * exercises the simulated DMA provider directly.
 *
 * Loading it registers the platform device "iub-sim-dmatest", which the
 * provider's map gives every channel under the name "chan<n>". Writing a
 * test name to /sys/kernel/debug/iub-sim-dmatest/run runs that test
 * synchronously ("dac NAME" and "adc NAME" take a converter's device name):
 * the write succeeds if it passed and fails with EIO if not;
 * /sys/kernel/debug/iub-sim-dmatest/log then tells what happened. The
 * user-space driver of these tests is tests/vm/sim-dmatest.c.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device/bus.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "../iub_sim_dma.h"
#include "../iub_sim_stream.h"

static char *chan_a = "chan6";
module_param(chan_a, charp, 0444);
MODULE_PARM_DESC(chan_a, "first channel the tests use (default: chan6)");

static char *chan_b = "chan7";
module_param(chan_b, charp, 0444);
MODULE_PARM_DESC(chan_b, "second channel the tests use (default: chan7)");

#define DT_MAX_XFERS	64
#define DT_TIMEOUT	(10 * HZ)
#define DT_POISON	0xdeadbeefu
#define DT_LOG_SIZE	SZ_16K

/**
 * struct dt_xfer - one transfer of a test and what its callback saw
 * @ctx: the test
 * @cookie: cookie returned by dmaengine_submit()
 * @res: result passed to the callback
 * @seq: order in which the callback ran, from 0
 * @calls: how many times the callback ran
 * @in_bh: the callback ran in softirq context
 */
struct dt_xfer {
	struct dt_ctx *ctx;
	dma_cookie_t cookie;
	struct dmaengine_result res;
	int seq;
	atomic_t calls;
	bool in_bh;
};

/**
 * struct dt_ctx - state of the running test
 * @chan: the channel under test
 * @dma_dev: the device to map memory against (the provider's)
 * @ncb: callbacks seen
 * @expected: callbacks after which @all completes
 * @all: completed when @expected callbacks ran
 * @terminate_at: a cyclic callback terminates the channel at this count
 * @xfers: per-transfer records
 */
struct dt_ctx {
	struct dma_chan *chan;
	struct device *dma_dev;
	atomic_t ncb;
	int expected;
	struct completion all;
	int terminate_at;
	struct dt_xfer xfers[DT_MAX_XFERS];
};

static struct platform_device *dt_pdev;
static struct dentry *dt_debugfs;
static DEFINE_MUTEX(dt_lock);	/* one test at a time; protects dt_log */
static char *dt_log;
static size_t dt_log_len;

static __printf(1, 2) void dt_logf(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	dt_log_len += vscnprintf(dt_log + dt_log_len, DT_LOG_SIZE - dt_log_len,
				 fmt, args);
	va_end(args);
}

#define DT_CHECK(cond, fmt, ...)						\
	do {									\
		if (!(cond)) {							\
			dt_logf("FAIL %s:%d: %s: " fmt "\n", __func__,		\
				__LINE__, #cond, ##__VA_ARGS__);		\
			ret = -EIO;						\
			goto out;						\
		}								\
	} while (0)

static void dt_callback(void *param, const struct dmaengine_result *res)
{
	struct dt_xfer *x = param;
	struct dt_ctx *ctx = x->ctx;
	int n;

	x->res = *res;
	x->in_bh = in_serving_softirq();
	n = atomic_inc_return(&ctx->ncb);
	if (!atomic_read(&x->calls))
		x->seq = n - 1;
	atomic_inc(&x->calls);
	if (ctx->terminate_at && n == ctx->terminate_at)
		dmaengine_terminate_async(ctx->chan);
	if (n == ctx->expected)
		complete(&ctx->all);
}

static int dt_open(struct dt_ctx *ctx, const char *devname, const char *name)
{
	struct device *dev = &dt_pdev->dev;
	struct device *found = NULL;
	int i;

	memset(ctx, 0, sizeof(*ctx));
	init_completion(&ctx->all);
	for (i = 0; i < DT_MAX_XFERS; i++)
		ctx->xfers[i].ctx = ctx;

	if (devname) {
		found = bus_find_device_by_name(&platform_bus_type, NULL,
						devname);
		if (!found) {
			dt_logf("no device %s\n", devname);
			return -ENODEV;
		}
		dev = found;
	}
	ctx->chan = dma_request_chan(dev, name);
	put_device(found);
	if (IS_ERR(ctx->chan)) {
		dt_logf("dma_request_chan(%s, %s): %ld\n", dev_name(dev), name,
			PTR_ERR(ctx->chan));
		return PTR_ERR(ctx->chan);
	}
	ctx->dma_dev = ctx->chan->device->dev;
	if (!iub_sim_dma_from_chan(ctx->chan)) {
		dt_logf("%s is not a simulated channel\n",
			dma_chan_name(ctx->chan));
		dma_release_channel(ctx->chan);
		return -ENODEV;
	}
	dt_logf("using %s (%s:%s)\n", dma_chan_name(ctx->chan), dev_name(dev),
		name);
	return 0;
}

static void dt_close(struct dt_ctx *ctx)
{
	struct iub_sim_chan *c = iub_sim_dma_from_chan(ctx->chan);

	dmaengine_terminate_sync(ctx->chan);
	/* Leave the channel as we found it. */
	iub_sim_dma_set_rate(c, 0);
	iub_sim_dma_set_fault(c, IUB_SIM_FAULT_FAIL_NEXT, 0);
	iub_sim_dma_set_fault(c, IUB_SIM_FAULT_STALL, 0);
	iub_sim_dma_set_fault(c, IUB_SIM_FAULT_DELAY_US, 0);
	dma_release_channel(ctx->chan);
}

static u32 dt_seed(struct dt_ctx *ctx)
{
	struct iub_sim_stats st;

	iub_sim_dma_get_stats(iub_sim_dma_from_chan(ctx->chan), &st);
	return st.seed;
}

static int dt_submit(struct dt_ctx *ctx, struct dma_async_tx_descriptor *tx,
		     int i)
{
	struct dt_xfer *x = &ctx->xfers[i];

	if (!tx)
		return -ENOMEM;
	tx->callback_result = dt_callback;
	tx->callback_param = x;
	x->cookie = dmaengine_submit(tx);
	return dma_submit_error(x->cookie);
}

static bool dt_wait(struct dt_ctx *ctx)
{
	return wait_for_completion_timeout(&ctx->all, DT_TIMEOUT);
}

/*
 * Wait until the residue of the transfer with @cookie drops below @len
 * (it started, or moved on), for at most two seconds; returns it.
 */
static u32 dt_wait_started(struct dt_ctx *ctx, dma_cookie_t cookie, u32 len)
{
	unsigned long end = jiffies + 2 * HZ;
	struct dma_tx_state ts;

	do {
		dmaengine_tx_status(ctx->chan, cookie, &ts);
		if (ts.residue < len)
			break;
		usleep_range(1000, 2000);
	} while (time_before(jiffies, end));
	return ts.residue;
}

/* Callbacks in submission order, each once, from BH, with @result. */
static int dt_check_order(struct dt_ctx *ctx, int n,
			  enum dmaengine_tx_result result)
{
	int i, ret = 0;

	for (i = 0; i < n; i++) {
		struct dt_xfer *x = &ctx->xfers[i];

		DT_CHECK(atomic_read(&x->calls) == 1, "xfer %d: %d callbacks",
			 i, atomic_read(&x->calls));
		DT_CHECK(x->seq == i, "xfer %d completed as number %d", i,
			 x->seq);
		DT_CHECK(x->res.result == result, "xfer %d: result %d", i,
			 x->res.result);
		DT_CHECK(x->in_bh, "xfer %d: callback not in BH context", i);
	}
out:
	return ret;
}

/* ---- memory helpers ---- */

/**
 * struct dt_sgbuf - a buffer of separate pages and its mapped table
 * @sgt: the table, mapped against the provider when @mapped
 * @pages: the pages
 * @npages: number of @pages
 * @dir: mapping direction
 * @mapped: @sgt is mapped
 */
struct dt_sgbuf {
	struct sg_table sgt;
	struct page **pages;
	unsigned int npages;
	enum dma_data_direction dir;
	bool mapped;
};

static void dt_sgbuf_free(struct dt_ctx *ctx, struct dt_sgbuf *b)
{
	unsigned int i;

	if (b->mapped)
		dma_unmap_sgtable(ctx->dma_dev, &b->sgt, b->dir, 0);
	sg_free_table(&b->sgt);
	for (i = 0; b->pages && i < b->npages; i++)
		if (b->pages[i])
			__free_page(b->pages[i]);
	kfree(b->pages);
	memset(b, 0, sizeof(*b));
}

/* Pages allocated one by one, so that the table has many entries. */
static int dt_sgbuf_alloc(struct dt_ctx *ctx, struct dt_sgbuf *b, size_t len,
			  enum dma_data_direction dir, u32 fill)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	memset(b, 0, sizeof(*b));
	b->npages = DIV_ROUND_UP(len, PAGE_SIZE);
	b->dir = dir;
	b->pages = kcalloc(b->npages, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	ret = sg_alloc_table(&b->sgt, b->npages, GFP_KERNEL);
	if (ret)
		goto err;
	for_each_sgtable_sg(&b->sgt, sg, i) {
		u32 *p;
		unsigned int k;

		b->pages[i] = alloc_page(GFP_KERNEL);
		if (!b->pages[i]) {
			ret = -ENOMEM;
			goto err;
		}
		p = page_address(b->pages[i]);
		for (k = 0; k < PAGE_SIZE / 4; k++)
			p[k] = fill;
		sg_set_page(sg, b->pages[i], PAGE_SIZE, 0);
	}
	ret = dma_map_sgtable(ctx->dma_dev, &b->sgt, dir, 0);
	if (ret)
		goto err;
	b->mapped = true;
	return 0;
err:
	dt_sgbuf_free(ctx, b);
	return ret;
}

static void dt_sgbuf_sync_cpu(struct dt_ctx *ctx, struct dt_sgbuf *b)
{
	dma_sync_sgtable_for_cpu(ctx->dma_dev, &b->sgt, b->dir);
}

static void dt_sgbuf_sync_dev(struct dt_ctx *ctx, struct dt_sgbuf *b)
{
	dma_sync_sgtable_for_device(ctx->dma_dev, &b->sgt, b->dir);
}

static u64 dt_sgbuf_check(struct dt_sgbuf *b, struct iub_sim_stream_check *chk)
{
	u64 bad = 0;
	unsigned int i;

	for (i = 0; i < b->npages; i++)
		bad += iub_sim_stream_check_buf(chk, page_address(b->pages[i]),
						PAGE_SIZE);
	return bad;
}

static u32 dt_sgbuf_fill(struct dt_sgbuf *b, u32 first)
{
	unsigned int i;

	for (i = 0; i < b->npages; i++)
		first = iub_sim_stream_fill(page_address(b->pages[i]),
					    PAGE_SIZE / 4, first);
	return first;
}

static bool dt_sgbuf_poisoned(struct dt_sgbuf *b)
{
	unsigned int i, k;

	for (i = 0; i < b->npages; i++) {
		u32 *p = page_address(b->pages[i]);

		for (k = 0; k < PAGE_SIZE / 4; k++)
			if (p[k] != DT_POISON)
				return false;
	}
	return true;
}

/* ---- tests ---- */

static int dt_test_caps(const char *arg)
{
	struct dma_slave_caps caps;
	struct dt_ctx *ctx;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_a);
	if (ret)
		goto free;
	ret = dma_get_slave_caps(ctx->chan, &caps);
	DT_CHECK(!ret, "dma_get_slave_caps: %d", ret);
	DT_CHECK(caps.directions == (BIT(DMA_DEV_TO_MEM) | BIT(DMA_MEM_TO_DEV)),
		 "directions 0x%x", caps.directions);
	DT_CHECK(caps.src_addr_widths == BIT(DMA_SLAVE_BUSWIDTH_4_BYTES), "");
	DT_CHECK(caps.residue_granularity == DMA_RESIDUE_GRANULARITY_BURST, "");
	DT_CHECK(caps.cmd_terminate, "");
	DT_CHECK(dma_get_max_seg_size(ctx->dma_dev) == UINT_MAX, "");
	DT_CHECK(dma_get_mask(ctx->dma_dev) == DMA_BIT_MASK(64), "");
	DT_CHECK(!dmaengine_slave_config(ctx->chan, &(struct dma_slave_config) {
			.direction = DMA_DEV_TO_MEM,
			.src_addr_width = DMA_SLAVE_BUSWIDTH_4_BYTES }), "");
	DT_CHECK(dmaengine_slave_config(ctx->chan, &(struct dma_slave_config) {
			.direction = DMA_DEV_TO_MEM,
			.src_addr_width = DMA_SLAVE_BUSWIDTH_2_BYTES }) == -EINVAL,
		 "2-byte width accepted");
	dt_logf("caps ok\n");
out:
	dt_close(ctx);
free:
	kfree(ctx);
	return ret;
}

/*
 * slave_sg, both directions: four device-to-memory transfers of 256 KiB in
 * separate pages continue the stream from its start; then memory to
 * device, clean and with one corrupted word.
 */
static int dt_test_slave_sg(const char *arg)
{
	const size_t len = SZ_256K;
	struct iub_sim_stream_check chk;
	struct dma_async_tx_descriptor *tx;
	struct dt_sgbuf bufs[4] = { };
	struct iub_sim_stats st;
	struct dma_tx_state ts;
	struct dt_ctx *ctx;
	u32 next;
	int i, ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_a);
	if (ret)
		goto free;

	for (i = 0; i < 4; i++) {
		ret = dt_sgbuf_alloc(ctx, &bufs[i], len, DMA_FROM_DEVICE,
				     DT_POISON);
		DT_CHECK(!ret, "alloc: %d", ret);
	}
	ctx->expected = 4;
	for (i = 0; i < 4; i++) {
		tx = dmaengine_prep_slave_sg(ctx->chan, bufs[i].sgt.sgl,
					     bufs[i].sgt.nents, DMA_DEV_TO_MEM,
					     DMA_PREP_INTERRUPT);
		ret = dt_submit(ctx, tx, i);
		DT_CHECK(!ret, "submit %d: %d", i, ret);
	}
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout, %d callbacks",
		 atomic_read(&ctx->ncb));
	ret = dt_check_order(ctx, 4, DMA_TRANS_NOERROR);
	if (ret)
		goto out;

	iub_sim_stream_check_init(&chk);
	for (i = 0; i < 4; i++) {
		DT_CHECK(ctx->xfers[i].res.residue == 0, "residue %u",
			 ctx->xfers[i].res.residue);
		DT_CHECK(dmaengine_tx_status(ctx->chan, ctx->xfers[i].cookie,
					     &ts) == DMA_COMPLETE, "");
		DT_CHECK(ts.residue == 0, "");
		dt_sgbuf_sync_cpu(ctx, &bufs[i]);
		DT_CHECK(dt_sgbuf_check(&bufs[i], &chk) == 0,
			 "buffer %d: first bad word %llu: expected 0x%08x got 0x%08x",
			 i, chk.first_bad, chk.first_expected, chk.first_got);
	}
	DT_CHECK(iub_sim_stream_get_le32(page_address(bufs[0].pages[0])) ==
		 dt_seed(ctx), "stream did not start at the seed");
	dt_logf("slave_sg dev-to-mem: 4 x %zu bytes, stream ok\n", len);

	/* Memory to device: the same buffers, filled with the stream. */
	for (i = 0; i < 4; i++) {
		dt_sgbuf_free(ctx, &bufs[i]);
		ret = dt_sgbuf_alloc(ctx, &bufs[i], len, DMA_TO_DEVICE, 0);
		DT_CHECK(!ret, "alloc: %d", ret);
	}
	next = 0x40000000;
	for (i = 0; i < 4; i++) {
		next = dt_sgbuf_fill(&bufs[i], next);
		/* One corrupted word in the last buffer. */
		if (i == 3)
			((u32 *)page_address(bufs[i].pages[5]))[7] ^= 0x100;
		dt_sgbuf_sync_dev(ctx, &bufs[i]);
	}
	memset(ctx->xfers, 0, sizeof(ctx->xfers));
	for (i = 0; i < DT_MAX_XFERS; i++)
		ctx->xfers[i].ctx = ctx;
	atomic_set(&ctx->ncb, 0);
	reinit_completion(&ctx->all);
	ctx->expected = 4;
	for (i = 0; i < 4; i++) {
		tx = dmaengine_prep_slave_sg(ctx->chan, bufs[i].sgt.sgl,
					     bufs[i].sgt.nents, DMA_MEM_TO_DEV,
					     DMA_PREP_INTERRUPT);
		ret = dt_submit(ctx, tx, i);
		DT_CHECK(!ret, "submit %d: %d", i, ret);
		/* The first three alone: no mismatch yet. */
		if (i == 2) {
			ctx->expected = 3;
			dma_async_issue_pending(ctx->chan);
			DT_CHECK(dt_wait(ctx), "timeout");
			iub_sim_dma_get_stats(iub_sim_dma_from_chan(ctx->chan),
					      &st);
			DT_CHECK(st.consumed_bytes == 3 * len, "consumed %llu",
				 st.consumed_bytes);
			DT_CHECK(st.mismatches == 0, "mismatches %llu",
				 st.mismatches);
			reinit_completion(&ctx->all);
			ctx->expected = 4;
		}
	}
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout");
	ret = dt_check_order(ctx, 4, DMA_TRANS_NOERROR);
	if (ret)
		goto out;
	iub_sim_dma_get_stats(iub_sim_dma_from_chan(ctx->chan), &st);
	DT_CHECK(st.consumed_bytes == 4 * len, "consumed %llu",
		 st.consumed_bytes);
	/* A corrupted word costs two: itself and the word after it. */
	DT_CHECK(st.mismatches == 2, "mismatches %llu", st.mismatches);
	DT_CHECK(st.first_bad_byte == 3 * len + 5 * PAGE_SIZE + 7 * 4,
		 "first bad byte %llu", st.first_bad_byte);
	dt_logf("slave_sg mem-to-dev: %llu bytes, %llu mismatches at byte %llu\n",
		st.consumed_bytes, st.mismatches, st.first_bad_byte);
out:
	dt_close(ctx);
	for (i = 0; i < 4; i++)
		dt_sgbuf_free(ctx, &bufs[i]);
free:
	kfree(ctx);
	return ret;
}

/* dma_vec: pieces of one coherent buffer, out of order and adjacent. */
static int dt_test_dma_vec(const char *arg)
{
	const size_t len = SZ_1M;
	struct iub_sim_stream_check chk;
	struct dma_async_tx_descriptor *tx;
	struct dma_vec vecs[5];
	struct dt_ctx *ctx;
	dma_addr_t addr;
	u32 *cpu = NULL;
	size_t i;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_b);
	if (ret)
		goto free;
	cpu = dma_alloc_coherent(ctx->dma_dev, len, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");
	memset32(cpu, DT_POISON, len / 4);

	/* Order in the transfer: [512K, 768K) [768K, 1M) [4K, 512K) [0, 4K) */
	vecs[0] = (struct dma_vec){ addr + SZ_512K, SZ_256K };
	vecs[1] = (struct dma_vec){ addr + SZ_512K + SZ_256K, SZ_256K };
	vecs[2] = (struct dma_vec){ addr + SZ_4K, SZ_512K - SZ_4K - 12 };
	vecs[3] = (struct dma_vec){ addr + SZ_512K - 12, 12 };
	vecs[4] = (struct dma_vec){ addr, SZ_4K };

	ctx->expected = 1;
	tx = dmaengine_prep_peripheral_dma_vec(ctx->chan, vecs, 5,
					       DMA_DEV_TO_MEM,
					       DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 0);
	DT_CHECK(!ret, "submit: %d", ret);
	vecs[0] = (struct dma_vec){ addr + 2, 8 };
	DT_CHECK(!dmaengine_prep_peripheral_dma_vec(ctx->chan, vecs, 1,
						    DMA_DEV_TO_MEM, 0),
		 "misaligned vector accepted");
	vecs[0] = (struct dma_vec){ addr + SZ_512K, SZ_256K };
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout");
	ret = dt_check_order(ctx, 1, DMA_TRANS_NOERROR);
	if (ret)
		goto out;
	DT_CHECK(ctx->xfers[0].res.residue == 0, "");

	iub_sim_stream_check_init(&chk);
	for (i = 0; i < ARRAY_SIZE(vecs); i++)
		iub_sim_stream_check_buf(&chk, (u8 *)cpu + (vecs[i].addr - addr),
					 vecs[i].len);
	DT_CHECK(chk.mismatches == 0 && chk.words == len / 4,
		 "%llu mismatches in %llu words, first at %llu", chk.mismatches,
		 chk.words, chk.first_bad);
	DT_CHECK(iub_sim_stream_get_le32((u8 *)cpu + SZ_512K) == dt_seed(ctx),
		 "");
	dt_logf("dma_vec: 5 vectors, %zu bytes in vector order, stream ok\n",
		len);
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, len, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

/*
 * cyclic device to memory at a limited rate: a callback per period; after
 * terminate_sync, none any more; every word sits at its index modulo the
 * buffer. Then cyclic memory to device: each pass verified on its own.
 */
static int dt_test_cyclic(const char *arg)
{
	const size_t len = SZ_64K, period = SZ_16K;
	struct iub_sim_chan *c;
	struct dma_async_tx_descriptor *tx;
	struct iub_sim_stats st;
	struct dma_tx_state ts;
	enum dma_status status;
	struct dt_ctx *ctx;
	int calls, i;
	dma_addr_t addr;
	u32 *cpu = NULL;
	u32 seed;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_a);
	if (ret)
		goto free;
	c = iub_sim_dma_from_chan(ctx->chan);
	cpu = dma_alloc_coherent(ctx->dma_dev, len, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");
	memset32(cpu, DT_POISON, len / 4);

	/* 1 MiB/s: a 16 KiB period every 15.6 ms. */
	iub_sim_dma_set_rate(c, SZ_1M);
	ctx->expected = 10;
	tx = dmaengine_prep_dma_cyclic(ctx->chan, addr, len, period,
				       DMA_DEV_TO_MEM, DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 0);
	DT_CHECK(!ret, "submit: %d", ret);
	DT_CHECK(!dmaengine_prep_dma_cyclic(ctx->chan, addr, len, 3000,
					    DMA_DEV_TO_MEM, 0),
		 "period not dividing the buffer accepted");
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout after %d periods",
		 atomic_read(&ctx->ncb));

	status = dmaengine_tx_status(ctx->chan, ctx->xfers[0].cookie, &ts);
	DT_CHECK(status == DMA_IN_PROGRESS, "status %d", status);
	DT_CHECK(ts.residue > 0 && ts.residue <= len, "residue %u",
		 ts.residue);
	DT_CHECK(ctx->xfers[0].res.result == DMA_TRANS_NOERROR, "");
	DT_CHECK(ctx->xfers[0].in_bh, "");

	dmaengine_terminate_sync(ctx->chan);
	calls = atomic_read(&ctx->ncb);
	msleep(100);
	DT_CHECK(atomic_read(&ctx->ncb) == calls,
		 "%d callbacks after terminate_sync",
		 atomic_read(&ctx->ncb) - calls);
	iub_sim_dma_get_stats(c, &st);
	DT_CHECK(st.completed >= 10, "completed periods %llu", st.completed);

	seed = dt_seed(ctx);
	for (i = 0; i < len / 4; i++) {
		u32 idx = iub_sim_stream_get_le32(&cpu[i]) - seed;

		DT_CHECK(idx % (len / 4) == i,
			 "word %d holds index %u: not its place in the ring",
			 i, idx);
	}
	dt_logf("cyclic dev-to-mem: %d period callbacks, ring ok\n", calls);

	/* Cyclic playback: one pass of the stream, repeated. */
	iub_sim_dma_set_rate(c, 4 * SZ_1M);
	iub_sim_dma_reset_stream(c, seed);
	iub_sim_stream_fill(cpu, len / 4, 0x70000000);
	atomic_set(&ctx->ncb, 0);
	reinit_completion(&ctx->all);
	ctx->expected = 12;
	tx = dmaengine_prep_dma_cyclic(ctx->chan, addr, len, period,
				       DMA_MEM_TO_DEV, DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 1);
	DT_CHECK(!ret, "submit: %d", ret);
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout after %d periods",
		 atomic_read(&ctx->ncb));
	dmaengine_terminate_sync(ctx->chan);
	iub_sim_dma_get_stats(c, &st);
	DT_CHECK(st.consumed_bytes >= 3 * len, "consumed %llu",
		 st.consumed_bytes);
	DT_CHECK(st.mismatches == 0, "mismatches %llu", st.mismatches);
	dt_logf("cyclic mem-to-dev: %llu bytes, %llu passes, no mismatch\n",
		st.consumed_bytes, div_u64(st.consumed_bytes, len));
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, len, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

/*
 * Residue and rate: at 1 MiB/s a 512 KiB transfer takes half a second, its
 * residue shrinks while it runs, and the next one waits with its full
 * length as residue.
 */
static int dt_test_residue(const char *arg)
{
	const size_t len = SZ_512K;
	struct dma_async_tx_descriptor *tx;
	u32 r1, r2, r1_next;
	struct dma_tx_state ts;
	enum dma_status status;
	struct dt_ctx *ctx;
	dma_addr_t addr;
	u32 *cpu = NULL;
	s64 elapsed_ms;
	ktime_t t0;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_b);
	if (ret)
		goto free;
	cpu = dma_alloc_coherent(ctx->dma_dev, 2 * len, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");

	iub_sim_dma_set_rate(iub_sim_dma_from_chan(ctx->chan), SZ_1M);
	ctx->expected = 1;
	tx = dmaengine_prep_slave_single(ctx->chan, addr, len, DMA_DEV_TO_MEM,
					 DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 0);
	DT_CHECK(!ret, "submit: %d", ret);
	tx = dmaengine_prep_slave_single(ctx->chan, addr + len, len,
					 DMA_DEV_TO_MEM, DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 1);
	DT_CHECK(!ret, "submit: %d", ret);

	status = dmaengine_tx_status(ctx->chan, ctx->xfers[0].cookie, &ts);
	DT_CHECK(status == DMA_IN_PROGRESS && ts.residue == len,
		 "before issue_pending: status %d residue %u", status,
		 ts.residue);

	t0 = ktime_get();
	dma_async_issue_pending(ctx->chan);
	/* Started (a loaded machine may take a while), then some more. */
	dt_wait_started(ctx, ctx->xfers[0].cookie, len);
	msleep(50);
	status = dmaengine_tx_status(ctx->chan, ctx->xfers[0].cookie, &ts);
	r1 = ts.residue;
	DT_CHECK(status == DMA_IN_PROGRESS, "status %d", status);
	DT_CHECK(r1 > 0 && r1 < len, "residue %u while running", r1);
	dmaengine_tx_status(ctx->chan, ctx->xfers[1].cookie, &ts);
	r1_next = ts.residue;
	DT_CHECK(r1_next == len, "queued transfer's residue %u", r1_next);
	r2 = dt_wait_started(ctx, ctx->xfers[0].cookie, r1);
	DT_CHECK(r2 < r1, "residue did not shrink: %u then %u", r1, r2);

	DT_CHECK(dt_wait(ctx), "timeout");
	elapsed_ms = ktime_ms_delta(ktime_get(), t0);
	DT_CHECK(ctx->xfers[0].res.residue == 0, "");
	status = dmaengine_tx_status(ctx->chan, ctx->xfers[0].cookie, &ts);
	DT_CHECK(status == DMA_COMPLETE, "status %d", status);
	/* 512 KiB at 1 MiB/s: 500 ms, allow for the start granularity. */
	DT_CHECK(elapsed_ms >= 480, "512 KiB at 1 MiB/s took only %lld ms",
		 elapsed_ms);
	dt_logf("residue: %u then %u while running, queued %u; 512 KiB took %lld ms at 1 MiB/s\n",
		r1, r2, r1_next, elapsed_ms);
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, 2 * len, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

/* Many small transfers at full speed: order and continuity. */
static int dt_test_order(const char *arg)
{
	const size_t len = SZ_16K;
	const int n = DT_MAX_XFERS;
	struct iub_sim_stream_check chk;
	struct dma_async_tx_descriptor *tx;
	struct dt_ctx *ctx;
	dma_addr_t addr;
	u8 *cpu = NULL;
	int i, ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_a);
	if (ret)
		goto free;
	cpu = dma_alloc_coherent(ctx->dma_dev, n * len, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");

	ctx->expected = n;
	for (i = 0; i < n; i++) {
		tx = dmaengine_prep_slave_single(ctx->chan, addr + i * len, len,
						 DMA_DEV_TO_MEM,
						 DMA_PREP_INTERRUPT);
		ret = dt_submit(ctx, tx, i);
		DT_CHECK(!ret, "submit %d: %d", i, ret);
		/* Issue in batches, some while earlier ones run. */
		if (i % 8 == 7)
			dma_async_issue_pending(ctx->chan);
	}
	DT_CHECK(dt_wait(ctx), "timeout, %d callbacks", atomic_read(&ctx->ncb));
	ret = dt_check_order(ctx, n, DMA_TRANS_NOERROR);
	if (ret)
		goto out;
	iub_sim_stream_check_init(&chk);
	iub_sim_stream_check_buf(&chk, cpu, n * len);
	DT_CHECK(chk.mismatches == 0, "first bad word %llu", chk.first_bad);
	dt_logf("order: %d transfers completed in order, stream continuous\n",
		n);
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, n * len, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

/*
 * Injected errors reach the callback: each result in turn fails the first
 * of three transfers, which moves nothing; the other two continue the
 * stream.
 */
static int dt_test_error(const char *arg)
{
	static const enum dmaengine_tx_result results[] = {
		DMA_TRANS_READ_FAILED, DMA_TRANS_WRITE_FAILED,
		DMA_TRANS_ABORTED,
	};
	const size_t len = SZ_64K;
	struct iub_sim_stream_check chk;
	struct dma_async_tx_descriptor *tx;
	struct dt_sgbuf bufs[3] = { };
	struct iub_sim_chan *c;
	struct dma_tx_state ts;
	enum dma_status status;
	struct dt_ctx *ctx;
	int r, i, ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_b);
	if (ret)
		goto free;
	c = iub_sim_dma_from_chan(ctx->chan);
	iub_sim_stream_check_init(&chk);

	for (r = 0; r < ARRAY_SIZE(results); r++) {
		memset(ctx->xfers, 0, sizeof(ctx->xfers));
		for (i = 0; i < DT_MAX_XFERS; i++)
			ctx->xfers[i].ctx = ctx;
		atomic_set(&ctx->ncb, 0);
		reinit_completion(&ctx->all);
		ctx->expected = 3;

		ret = iub_sim_dma_set_fault(c, IUB_SIM_FAULT_FAIL_RESULT,
					    results[r]);
		DT_CHECK(!ret, "");
		ret = iub_sim_dma_set_fault(c, IUB_SIM_FAULT_FAIL_NEXT, 1);
		DT_CHECK(!ret, "");
		for (i = 0; i < 3; i++) {
			ret = dt_sgbuf_alloc(ctx, &bufs[i], len, DMA_FROM_DEVICE,
					     DT_POISON);
			DT_CHECK(!ret, "alloc: %d", ret);
			tx = dmaengine_prep_slave_sg(ctx->chan, bufs[i].sgt.sgl,
						     bufs[i].sgt.nents,
						     DMA_DEV_TO_MEM,
						     DMA_PREP_INTERRUPT);
			ret = dt_submit(ctx, tx, i);
			DT_CHECK(!ret, "submit %d: %d", i, ret);
		}
		dma_async_issue_pending(ctx->chan);
		DT_CHECK(dt_wait(ctx), "timeout");

		DT_CHECK(ctx->xfers[0].res.result == results[r],
			 "failed transfer reported result %d, not %d",
			 ctx->xfers[0].res.result, results[r]);
		DT_CHECK(ctx->xfers[0].res.residue == len, "residue %u",
			 ctx->xfers[0].res.residue);
		status = dmaengine_tx_status(ctx->chan, ctx->xfers[0].cookie,
					     &ts);
		DT_CHECK(status == DMA_ERROR, "status of the failed one %d",
			 status);
		for (i = 1; i < 3; i++) {
			DT_CHECK(ctx->xfers[i].seq == i, "order");
			DT_CHECK(ctx->xfers[i].res.result == DMA_TRANS_NOERROR,
				 "transfer %d after the failure: result %d", i,
				 ctx->xfers[i].res.result);
		}
		dt_sgbuf_sync_cpu(ctx, &bufs[0]);
		DT_CHECK(dt_sgbuf_poisoned(&bufs[0]),
			 "the failed transfer wrote memory");
		for (i = 1; i < 3; i++) {
			dt_sgbuf_sync_cpu(ctx, &bufs[i]);
			DT_CHECK(dt_sgbuf_check(&bufs[i], &chk) == 0,
				 "stream broken after the failure");
		}
		DT_CHECK(iub_sim_dma_get_fault(c, IUB_SIM_FAULT_FAIL_NEXT) == 0,
			 "");
		for (i = 0; i < 3; i++)
			dt_sgbuf_free(ctx, &bufs[i]);
		dt_logf("error: result %d reached the callback, residue %zu\n",
			results[r], len);
	}
out:
	dt_close(ctx);
	for (i = 0; i < 3; i++)
		dt_sgbuf_free(ctx, &bufs[i]);
free:
	kfree(ctx);
	return ret;
}

/*
 * A stalled channel: no progress, no callback; terminate_sync returns at
 * once, and the channel works again afterwards.
 */
static int dt_test_stall(const char *arg)
{
	const size_t len = SZ_512K;
	struct dma_async_tx_descriptor *tx;
	struct iub_sim_chan *c;
	struct dma_tx_state ts;
	enum dma_status status;
	struct dt_ctx *ctx;
	dma_addr_t addr;
	s64 term_ms;
	u32 *cpu = NULL;
	u32 r1, r2;
	ktime_t t0;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_a);
	if (ret)
		goto free;
	c = iub_sim_dma_from_chan(ctx->chan);
	cpu = dma_alloc_coherent(ctx->dma_dev, len, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");

	iub_sim_dma_set_rate(c, SZ_1M);
	ctx->expected = 1;
	tx = dmaengine_prep_slave_single(ctx->chan, addr, len, DMA_DEV_TO_MEM,
					 DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 0);
	DT_CHECK(!ret, "submit: %d", ret);
	dma_async_issue_pending(ctx->chan);
	dt_wait_started(ctx, ctx->xfers[0].cookie, len);
	iub_sim_dma_set_fault(c, IUB_SIM_FAULT_STALL, 1);
	msleep(50);
	dmaengine_tx_status(ctx->chan, ctx->xfers[0].cookie, &ts);
	r1 = ts.residue;
	msleep(600);
	status = dmaengine_tx_status(ctx->chan, ctx->xfers[0].cookie, &ts);
	r2 = ts.residue;
	DT_CHECK(status == DMA_IN_PROGRESS, "status %d", status);
	DT_CHECK(r1 == r2 && r1 > 0 && r1 < len,
		 "stalled channel moved: residue %u then %u", r1, r2);
	DT_CHECK(atomic_read(&ctx->ncb) == 0, "callback while stalled");

	t0 = ktime_get();
	dmaengine_terminate_sync(ctx->chan);
	term_ms = ktime_ms_delta(ktime_get(), t0);
	DT_CHECK(term_ms < 1000, "terminate_sync took %lld ms", term_ms);
	msleep(50);
	DT_CHECK(atomic_read(&ctx->ncb) == 0, "callback after terminate");
	status = dmaengine_tx_status(ctx->chan, ctx->xfers[0].cookie, &ts);
	DT_CHECK(status == DMA_ERROR, "terminated transfer status %d", status);
	DT_CHECK(iub_sim_dma_get_fault(c, IUB_SIM_FAULT_STALL) == 0,
		 "terminate did not clear the stall");

	/* Works again. */
	iub_sim_dma_set_rate(c, 0);
	reinit_completion(&ctx->all);
	atomic_set(&ctx->ncb, 0);
	ctx->expected = 1;
	tx = dmaengine_prep_slave_single(ctx->chan, addr, len, DMA_DEV_TO_MEM,
					 DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 1);
	DT_CHECK(!ret, "submit: %d", ret);
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout after the stall");
	DT_CHECK(ctx->xfers[1].res.result == DMA_TRANS_NOERROR, "");
	dt_logf("stall: residue stuck at %u, terminate_sync took %lld ms, channel usable again\n",
		r1, term_ms);
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, len, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

/* Slowdown: each descriptor takes at least delay_us. */
static int dt_test_delay(const char *arg)
{
	struct dma_async_tx_descriptor *tx;
	struct iub_sim_chan *c;
	struct dt_ctx *ctx;
	dma_addr_t addr;
	u32 *cpu = NULL;
	s64 ms;
	ktime_t t0;
	int i, ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_b);
	if (ret)
		goto free;
	c = iub_sim_dma_from_chan(ctx->chan);
	cpu = dma_alloc_coherent(ctx->dma_dev, SZ_16K, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");

	iub_sim_dma_set_fault(c, IUB_SIM_FAULT_DELAY_US, 100000);
	ctx->expected = 3;
	for (i = 0; i < 3; i++) {
		tx = dmaengine_prep_slave_single(ctx->chan, addr + i * SZ_4K,
						 SZ_4K, DMA_DEV_TO_MEM,
						 DMA_PREP_INTERRUPT);
		ret = dt_submit(ctx, tx, i);
		DT_CHECK(!ret, "submit: %d", ret);
	}
	t0 = ktime_get();
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout");
	ms = ktime_ms_delta(ktime_get(), t0);
	DT_CHECK(ms >= 300, "3 transfers with delay_us=100000 took %lld ms",
		 ms);
	ret = dt_check_order(ctx, 3, DMA_TRANS_NOERROR);
	if (ret)
		goto out;
	dt_logf("delay: 3 x 4 KiB with 100 ms delay took %lld ms\n", ms);
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, SZ_16K, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

/*
 * Terminate while transfers run, many times, from process context and from
 * a callback (BH): never a callback after terminate_sync returned.
 */
static int dt_test_terminate(const char *arg)
{
	const size_t len = SZ_64K;
	struct dma_async_tx_descriptor *tx;
	struct dt_ctx *ctx;
	dma_addr_t addr;
	int iter, i, ret, calls;
	u8 *cpu = NULL;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_a);
	if (ret)
		goto free;
	cpu = dma_alloc_coherent(ctx->dma_dev, 8 * len, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");

	for (iter = 0; iter < 50; iter++) {
		atomic_set(&ctx->ncb, 0);
		ctx->expected = -1;
		for (i = 0; i < 8; i++) {
			tx = dmaengine_prep_slave_single(ctx->chan,
							 addr + i * len, len,
							 iter & 1 ?
							 DMA_MEM_TO_DEV :
							 DMA_DEV_TO_MEM,
							 DMA_PREP_INTERRUPT);
			ret = dt_submit(ctx, tx, i);
			DT_CHECK(!ret, "submit: %d", ret);
		}
		dma_async_issue_pending(ctx->chan);
		udelay(iter * 37 % 500);
		dmaengine_terminate_sync(ctx->chan);
		calls = atomic_read(&ctx->ncb);
		usleep_range(2000, 3000);
		DT_CHECK(atomic_read(&ctx->ncb) == calls,
			 "iteration %d: callback after terminate_sync", iter);
	}

	/* A cyclic transfer terminated by its own callback. */
	atomic_set(&ctx->ncb, 0);
	reinit_completion(&ctx->all);
	ctx->terminate_at = 5;
	ctx->expected = 5;
	tx = dmaengine_prep_dma_cyclic(ctx->chan, addr, 8 * len, len,
				       DMA_DEV_TO_MEM, DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 0);
	DT_CHECK(!ret, "submit: %d", ret);
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout");
	dmaengine_synchronize(ctx->chan);
	calls = atomic_read(&ctx->ncb);
	msleep(50);
	DT_CHECK(atomic_read(&ctx->ncb) == calls,
		 "callbacks went on after terminate from a callback");
	ctx->terminate_at = 0;
	dt_logf("terminate: 50 rounds under load, and from a callback; no late callback\n");
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, 8 * len, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

/*
 * The simulated DAC's channel, claimed the way the bridge claims it: a
 * clean stream, then one with a corrupted word. The counters stay after
 * release, for user space to read through the DAC's IIO attributes.
 */
static int dt_test_dac(const char *arg)
{
	const size_t len = SZ_1M;
	struct dma_async_tx_descriptor *tx;
	struct iub_sim_stats st;
	struct dt_ctx *ctx;
	dma_addr_t addr;
	u32 *cpu = NULL;
	u32 next;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, arg ? arg : "iub-sim-dac.0", "tx");
	if (ret)
		goto free;
	cpu = dma_alloc_coherent(ctx->dma_dev, len, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");

	next = iub_sim_stream_fill(cpu, len / 4, 0x55000000);
	ctx->expected = 1;
	tx = dmaengine_prep_slave_single(ctx->chan, addr, len, DMA_MEM_TO_DEV,
					 DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 0);
	DT_CHECK(!ret, "submit: %d", ret);
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout");
	iub_sim_dma_get_stats(iub_sim_dma_from_chan(ctx->chan), &st);
	DT_CHECK(st.consumed_bytes == len && st.mismatches == 0,
		 "clean stream: consumed %llu, mismatches %llu",
		 st.consumed_bytes, st.mismatches);

	iub_sim_stream_fill(cpu, len / 4, next);
	cpu[1000] = 0;
	reinit_completion(&ctx->all);
	atomic_set(&ctx->ncb, 0);
	tx = dmaengine_prep_slave_single(ctx->chan, addr, len, DMA_MEM_TO_DEV,
					 DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 1);
	DT_CHECK(!ret, "submit: %d", ret);
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout");
	iub_sim_dma_get_stats(iub_sim_dma_from_chan(ctx->chan), &st);
	DT_CHECK(st.consumed_bytes == 2 * len && st.mismatches == 2,
		 "bad stream: consumed %llu, mismatches %llu",
		 st.consumed_bytes, st.mismatches);
	dt_logf("dac: %llu bytes consumed, %llu mismatches, first at byte %llu\n",
		st.consumed_bytes, st.mismatches, st.first_bad_byte);
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, len, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

/*
 * The simulated ADC's channel, claimed the way the bridge claims it: the
 * stream starts at the seed, at the rate sampling_frequency set (user
 * space set it before running this).
 */
static int dt_test_adc(const char *arg)
{
	const size_t len = SZ_256K;
	struct iub_sim_stream_check chk;
	struct dma_async_tx_descriptor *tx;
	struct dt_ctx *ctx;
	dma_addr_t addr;
	u64 rate, expect_ms;
	u32 *cpu = NULL;
	s64 ms;
	ktime_t t0;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, arg ? arg : "iub-sim-adc.0", "rx");
	if (ret)
		goto free;
	cpu = dma_alloc_coherent(ctx->dma_dev, len, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");
	rate = iub_sim_dma_get_rate(iub_sim_dma_from_chan(ctx->chan));

	ctx->expected = 1;
	tx = dmaengine_prep_slave_single(ctx->chan, addr, len, DMA_DEV_TO_MEM,
					 DMA_PREP_INTERRUPT);
	ret = dt_submit(ctx, tx, 0);
	DT_CHECK(!ret, "submit: %d", ret);
	t0 = ktime_get();
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout");
	ms = ktime_ms_delta(ktime_get(), t0);
	DT_CHECK(ctx->xfers[0].res.result == DMA_TRANS_NOERROR, "");
	iub_sim_stream_check_init(&chk);
	iub_sim_stream_check_buf(&chk, cpu, len);
	DT_CHECK(!chk.mismatches, "first bad word %llu", chk.first_bad);
	DT_CHECK(iub_sim_stream_get_le32(cpu) == dt_seed(ctx), "");
	if (rate) {
		expect_ms = div64_u64(len * 1000ULL, rate);
		DT_CHECK(ms + 20 >= expect_ms,
			 "%zu bytes at %llu bytes/s took %lld ms, expected %llu",
			 len, rate, ms, expect_ms);
	}
	/* Machine-readable line for user space. */
	dt_logf("adc: rate %llu bytes/s, %zu bytes in %lld ms\n", rate, len,
		ms);
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, len, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

/* Refused descriptors the channel counted (its debugfs "refused"). */
static u64 dt_refused(struct dt_ctx *ctx)
{
	struct iub_sim_stats st;

	iub_sim_dma_get_stats(iub_sim_dma_from_chan(ctx->chan), &st);
	return st.refused;
}

/* prep_slave_sg of one segment given by its DMA address and length. */
static struct dma_async_tx_descriptor *
dt_prep_one(struct dt_ctx *ctx, dma_addr_t addr, unsigned int len,
	    enum dma_transfer_direction dir)
{
	struct scatterlist sg;

	sg_init_table(&sg, 1);
	sg_dma_address(&sg) = addr;
	sg_dma_len(&sg) = len;
	return dmaengine_prep_slave_sg(ctx->chan, &sg, 1, dir, 0);
}

/*
 * The controller's constraints, "strict BITS WIDTH MAXSEG" with the
 * provider's dma_mask_bits, mem_width and max_seg (default: 64 4
 * 4294967295): the platform device's DMA mask and maximum segment, the
 * widths in the capabilities, and every prep refusing (NULL, counted in
 * "refused") a segment beyond the mask, not a multiple of the wider bus
 * width, or longer than the maximum segment, while the same transfer
 * within the limits moves the stream.
 */
static int dt_test_strict(const char *arg)
{
	const size_t len = SZ_64K;
	static const enum dma_transfer_direction dirs[] = {
		DMA_DEV_TO_MEM, DMA_MEM_TO_DEV
	};
	unsigned int bits = 64, width = 4, max_seg = UINT_MAX, align, i;
	enum dma_transfer_direction dir;
	struct iub_sim_stream_check chk;
	struct dma_async_tx_descriptor *tx;
	struct dma_slave_caps caps;
	struct dma_vec vecs[2];
	u64 mask, refused = 0;
	struct dt_ctx *ctx;
	dma_addr_t addr;
	u32 *cpu = NULL;
	size_t seg;
	int ret;

	if (arg && sscanf(arg, "%u %u %u", &bits, &width, &max_seg) != 3) {
		dt_logf("usage: strict BITS WIDTH MAXSEG\n");
		return -EINVAL;
	}
	if (bits < 32 || bits > 64 || width < 4 || width > 16 ||
	    !is_power_of_2(width)) {
		dt_logf("strict: bad arguments\n");
		return -EINVAL;
	}
	mask = DMA_BIT_MASK(bits);
	align = width;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = dt_open(ctx, NULL, chan_a);
	if (ret)
		goto free;

	/* What a consumer learns through the DMA API and dmaengine. */
	DT_CHECK(dma_get_mask(ctx->dma_dev) == mask, "mask 0x%llx",
		 dma_get_mask(ctx->dma_dev));
	DT_CHECK(ctx->dma_dev->coherent_dma_mask == mask, "coherent 0x%llx",
		 ctx->dma_dev->coherent_dma_mask);
	DT_CHECK(dma_get_max_seg_size(ctx->dma_dev) == max_seg, "max seg %u",
		 dma_get_max_seg_size(ctx->dma_dev));
	ret = dma_get_slave_caps(ctx->chan, &caps);
	DT_CHECK(!ret, "dma_get_slave_caps: %d", ret);
	DT_CHECK(caps.src_addr_widths == (BIT(DMA_SLAVE_BUSWIDTH_4_BYTES) |
					  BIT(width)) &&
		 caps.dst_addr_widths == caps.src_addr_widths,
		 "widths src 0x%x dst 0x%x", caps.src_addr_widths,
		 caps.dst_addr_widths);
	DT_CHECK(__fls(caps.src_addr_widths | caps.dst_addr_widths) == align,
		 "");
	DT_CHECK(!dmaengine_slave_config(ctx->chan, &(struct dma_slave_config) {
			.direction = DMA_DEV_TO_MEM,
			.src_addr_width = DMA_SLAVE_BUSWIDTH_4_BYTES,
			.dst_addr_width = width }), "memory width refused");
	DT_CHECK(dt_refused(ctx) == 0, "refused %llu at start",
		 dt_refused(ctx));

	cpu = dma_alloc_coherent(ctx->dma_dev, len, &addr, GFP_KERNEL);
	DT_CHECK(cpu, "dma_alloc_coherent");
	DT_CHECK(addr + len - 1 <= mask, "coherent buffer above the mask");
	memset32(cpu, DT_POISON, len / 4);

#define DT_REFUSED(expr, what)						\
	do {								\
		const char *__what = (what);				\
									\
		DT_CHECK(!(expr), "%s accepted", __what);		\
		refused++;						\
		DT_CHECK(dt_refused(ctx) == refused,			\
			 "%s: refused %llu, expected %llu", __what,	\
			 dt_refused(ctx), refused);			\
		dt_logf("strict: refused %s\n", __what);		\
	} while (0)

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		dir = dirs[i];
		/* Bus width: the wider bus's beat, address and length. */
		DT_REFUSED(dt_prep_one(ctx, addr + align / 2, len - align,
				       dir), "address off the beat");
		DT_REFUSED(dt_prep_one(ctx, addr, len - align / 2, dir),
			   "length off the beat");
		if (align > 4) {
			DT_REFUSED(dt_prep_one(ctx, addr + 4, len - align, dir),
				   "4-byte aligned address on a wider bus");
			DT_REFUSED(dt_prep_one(ctx, addr, len - 4, dir),
				   "4-byte multiple length on a wider bus");
		}
		vecs[0] = (struct dma_vec){ addr, len / 2 };
		vecs[1] = (struct dma_vec){ addr + len / 2 + 4, align };
		if (align == 4)
			vecs[1].addr -= 2;
		DT_REFUSED(dmaengine_prep_peripheral_dma_vec(ctx->chan, vecs,
							     2, dir, 0),
			   "dma_vec with one piece off the beat");
		seg = align + align / 2;
		DT_REFUSED(dmaengine_prep_dma_cyclic(ctx->chan, addr, 8 * seg,
						     seg, dir, 0),
			   "cyclic period off the beat");

		/* DMA mask: the device cannot reach beyond it. */
		if (bits < 64) {
			DT_REFUSED(dt_prep_one(ctx, mask + 1, SZ_4K, dir),
				   "segment above the mask");
			DT_REFUSED(dt_prep_one(ctx, mask + 1 - SZ_4K, SZ_8K,
					       dir),
				   "segment across the mask");
			DT_REFUSED(dmaengine_prep_dma_cyclic(ctx->chan,
							     mask + 1 - SZ_4K,
							     SZ_8K, SZ_4K, dir,
							     0),
				   "cyclic buffer across the mask");
			/* The last page under it is fine (never issued). */
			DT_CHECK(dt_prep_one(ctx, mask + 1 - SZ_4K, SZ_4K, dir),
				 "last page under the mask refused");
		}
		DT_REFUSED(dt_prep_one(ctx, U64_MAX - SZ_4K + 1, SZ_8K, dir),
			   "segment wrapping around the address space");

		/* Maximum segment (the last step never issued either). */
		seg = round_down((size_t)max_seg, align) + align;
		if (seg <= UINT_MAX) {
			DT_REFUSED(dt_prep_one(ctx, addr, seg, dir),
				   "segment longer than max_seg");
			if (2 * seg <= U32_MAX)
				DT_REFUSED(dmaengine_prep_dma_cyclic(ctx->chan,
								     addr,
								     2 * seg,
								     seg, dir,
								     0),
					   "cyclic period longer than max_seg");
			DT_CHECK(dt_prep_one(ctx, addr, seg - align, dir),
				 "segment of max_seg refused");
		}
	}
#undef DT_REFUSED

	/* The same memory within the limits: the stream, counted nowhere. */
	ctx->expected = 1;
	tx = dt_prep_one(ctx, addr, len, DMA_DEV_TO_MEM);
	ret = dt_submit(ctx, tx, 0);
	DT_CHECK(!ret, "submit: %d", ret);
	dma_async_issue_pending(ctx->chan);
	DT_CHECK(dt_wait(ctx), "timeout");
	ret = dt_check_order(ctx, 1, DMA_TRANS_NOERROR);
	if (ret)
		goto out;
	iub_sim_stream_check_init(&chk);
	iub_sim_stream_check_buf(&chk, cpu, len);
	DT_CHECK(!chk.mismatches && chk.words == len / 4,
		 "%llu mismatches in %llu words", chk.mismatches, chk.words);
	DT_CHECK(dt_refused(ctx) == refused, "refused %llu, expected %llu",
		 dt_refused(ctx), refused);
	dt_logf("strict: %u-bit mask, %u-byte memory bus, max_seg %u: %llu refusals counted\n",
		bits, width, max_seg, refused);
out:
	dt_close(ctx);
	if (cpu)
		dma_free_coherent(ctx->dma_dev, len, cpu, addr);
free:
	kfree(ctx);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(const char *arg);
} dt_tests[] = {
	{ "caps", dt_test_caps },
	{ "slave_sg", dt_test_slave_sg },
	{ "dma_vec", dt_test_dma_vec },
	{ "cyclic", dt_test_cyclic },
	{ "residue", dt_test_residue },
	{ "order", dt_test_order },
	{ "error", dt_test_error },
	{ "stall", dt_test_stall },
	{ "delay", dt_test_delay },
	{ "terminate", dt_test_terminate },
	{ "dac", dt_test_dac },
	{ "adc", dt_test_adc },
	{ "strict", dt_test_strict },
};

/* "NAME" or "NAME ARG": run test NAME (with ARG, a converter's name). */
static ssize_t dt_run_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char buf[64], *name, *arg;
	size_t n = min(count, sizeof(buf) - 1);
	unsigned int i;
	int ret = -EINVAL;

	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = '\0';
	arg = strim(buf);
	name = strsep(&arg, " ");
	if (arg && !*arg)
		arg = NULL;

	mutex_lock(&dt_lock);
	dt_log_len = 0;
	dt_log[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(dt_tests); i++) {
		if (strcmp(name, dt_tests[i].name))
			continue;
		ret = dt_tests[i].fn(arg);
		dt_logf("%s: %s (%d)\n", name, ret ? "FAILED" : "passed", ret);
		break;
	}
	if (i == ARRAY_SIZE(dt_tests))
		dt_logf("no test \"%s\"\n", name);
	mutex_unlock(&dt_lock);

	return ret ? (ret == -EINVAL ? ret : -EIO) : count;
}

static const struct file_operations dt_run_fops = {
	.owner = THIS_MODULE,
	.write = dt_run_write,
};

static int dt_log_show(struct seq_file *m, void *unused)
{
	mutex_lock(&dt_lock);
	seq_write(m, dt_log, dt_log_len);
	mutex_unlock(&dt_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dt_log);

static int dt_list_show(struct seq_file *m, void *unused)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dt_tests); i++)
		seq_printf(m, "%s\n", dt_tests[i].name);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dt_list);

static int __init dt_init(void)
{
	dt_log = kzalloc(DT_LOG_SIZE, GFP_KERNEL);
	if (!dt_log)
		return -ENOMEM;

	dt_pdev = platform_device_register_simple("iub-sim-dmatest",
						  PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(dt_pdev)) {
		kfree(dt_log);
		return PTR_ERR(dt_pdev);
	}

	dt_debugfs = debugfs_create_dir("iub-sim-dmatest", NULL);
	debugfs_create_file("run", 0200, dt_debugfs, NULL, &dt_run_fops);
	debugfs_create_file("log", 0400, dt_debugfs, NULL, &dt_log_fops);
	debugfs_create_file("tests", 0400, dt_debugfs, NULL, &dt_list_fops);
	return 0;
}
module_init(dt_init);

static void __exit dt_exit(void)
{
	debugfs_remove_recursive(dt_debugfs);
	platform_device_unregister(dt_pdev);
	kfree(dt_log);
}
module_exit(dt_exit);

MODULE_DESCRIPTION("iio-usb-bridge test fixture: consumer of the simulated DMA provider");
MODULE_AUTHOR("iio-usb-bridge project");
MODULE_LICENSE("GPL");
IUB_SIM_IMPORT_NS();
