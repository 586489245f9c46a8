// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated dmaengine provider of the simulated board: module
 * parameters, the platform device and driver, the dma_slave_map, and the
 * side interface used by the simulated converters (iub_sim_dma.h).
 *
 * On a real board the controller and the channel-to-peripheral wiring come
 * from device tree ("dmas"/"dma-names") or ACPI; here a dma_slave_map in
 * the dma_device plays that part, so dma_request_chan(dev, "rx") works on a
 * platform device named in the map.
 */
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sim_dma.h"

static unsigned int channels = 8;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels,
		 "number of simulated DMA channels, 1 to 32 (default: 8)");

/* The default "map": the converters' devices, in channel order. */
static const char * const iub_sim_default_map[] = {
	"iub-sim-adc.0:rx",
	"iub-sim-adc.1:rx",
	"iub-sim-dac.0:tx",
	"iub-sim-dac.1:tx",
	"iub-sim-adc-dmabuf.0:rx",
	"iub-sim-adc.2:rx",
};

static char *map;
module_param(map, charp, 0444);
MODULE_PARM_DESC(map,
		 "comma-separated device:slave names, entry n names channel n, an empty entry leaves it unnamed (default: iub-sim-adc.0:rx,iub-sim-adc.1:rx,iub-sim-dac.0:tx,iub-sim-dac.1:tx,iub-sim-adc-dmabuf.0:rx,iub-sim-adc.2:rx)");

static ulong rate;
module_param(rate, ulong, 0444);
MODULE_PARM_DESC(rate,
		 "initial rate of every channel in bytes per second (default: 0, as fast as possible)");

/*
 * The controller's constraints. The defaults forgive what the board's
 * axi-dmac does not; tests/vm/sim-strict.sh loads the board's values.
 */
static unsigned int dma_mask_bits = 64;
module_param(dma_mask_bits, uint, 0444);
MODULE_PARM_DESC(dma_mask_bits,
		 "DMA mask (and coherent mask) of the controller in bits, 32 to 64; memory above it is bounced by swiotlb, and prep refuses segments beyond it (default: 64; axi-dmac: 32)");

static unsigned int mem_width = 4;
module_param(mem_width, uint, 0444);
MODULE_PARM_DESC(mem_width,
		 "width of the memory-side bus in bytes, 4, 8 or 16; segment addresses and lengths must be multiples of it (default: 4; axi-dmac: often 8 or 16)");

static unsigned int max_seg = UINT_MAX;
module_param(max_seg, uint, 0444);
MODULE_PARM_DESC(max_seg,
		 "longest segment in bytes (the max_seg_size of the device), at least mem_width; prep refuses longer ones (default: 4294967295; axi-dmac: 16777216)");

/* Protects iub_sim, the one provider instance, for the side interface. */
static DEFINE_MUTEX(iub_sim_lock);
static struct iub_sim_dma *iub_sim;

static struct platform_driver iub_sim_driver;
static struct platform_device *iub_sim_pdev;

static bool iub_sim_filter(struct dma_chan *chan, void *param)
{
	return to_iub_sim_chan(chan)->num == (uintptr_t)param;
}

/*
 * Build the dma_slave_map from the "map" parameter, plus a name for every
 * channel on the test fixture's device.
 */
static int iub_sim_parse_map(struct iub_sim_dma *sim)
{
	struct dma_slave_map *m;
	char *s, *entry, *colon;
	unsigned int i, n = 0;

	if (map) {
		sim->map_str = kstrdup(map, GFP_KERNEL);
	} else {
		/* The default table, joined, goes through the same parser. */
		size_t len = 0;

		for (i = 0; i < ARRAY_SIZE(iub_sim_default_map); i++)
			len += strlen(iub_sim_default_map[i]) + 1;
		sim->map_str = kzalloc(len, GFP_KERNEL);
		for (i = 0; sim->map_str && i < ARRAY_SIZE(iub_sim_default_map); i++) {
			if (i)
				strcat(sim->map_str, ",");
			strcat(sim->map_str, iub_sim_default_map[i]);
		}
	}
	if (!sim->map_str)
		return -ENOMEM;
	sim->map = kcalloc(2 * sim->nchans, sizeof(*sim->map), GFP_KERNEL);
	if (!sim->map)
		return -ENOMEM;

	s = sim->map_str;
	for (i = 0; (entry = strsep(&s, ",")); i++) {
		entry = strim(entry);
		if (!*entry || !strcmp(entry, "-"))
			continue;
		colon = strchr(entry, ':');
		if (!colon || colon == entry || !colon[1] || i >= sim->nchans) {
			dev_err(sim->dev, "bad map entry %u \"%s\"\n", i, entry);
			return -EINVAL;
		}
		*colon = '\0';
		m = &sim->map[n++];
		m->devname = entry;
		m->slave = colon + 1;
		m->param = (void *)(uintptr_t)i;
	}

	for (i = 0; i < sim->nchans; i++) {
		snprintf(sim->test_slave[i], sizeof(sim->test_slave[i]),
			 "chan%u", i);
		m = &sim->map[n++];
		m->devname = IUB_SIM_TEST_DEVNAME;
		m->slave = sim->test_slave[i];
		m->param = (void *)(uintptr_t)i;
	}
	sim->mapcnt = n;
	return 0;
}

static void iub_sim_free(struct iub_sim_dma *sim)
{
	kfree(sim->map);
	kfree(sim->map_str);
	kfree(sim);
}

/* Last reference to the dma_device gone: nothing can reach us any more. */
static void iub_sim_release(struct dma_device *dd)
{
	iub_sim_free(container_of(dd, struct iub_sim_dma, ddev));
}

static int iub_sim_probe(struct platform_device *pdev)
{
	struct iub_sim_dma *sim;
	struct dma_device *dd;
	unsigned int i;
	int ret;

	if (!channels || channels > IUB_SIM_MAX_CHANNELS) {
		dev_err(&pdev->dev, "channels=%u, must be 1 to %u\n", channels,
			IUB_SIM_MAX_CHANNELS);
		return -EINVAL;
	}
	if (dma_mask_bits < 32 || dma_mask_bits > 64) {
		dev_err(&pdev->dev, "dma_mask_bits=%u, must be 32 to 64\n",
			dma_mask_bits);
		return -EINVAL;
	}
	if (mem_width != 4 && mem_width != 8 && mem_width != 16) {
		dev_err(&pdev->dev, "mem_width=%u, must be 4, 8 or 16\n",
			mem_width);
		return -EINVAL;
	}
	if (max_seg < max(IUB_SIM_STREAM_WORD_SIZE, mem_width)) {
		dev_err(&pdev->dev, "max_seg=%u, must be at least %u\n",
			max_seg, max(IUB_SIM_STREAM_WORD_SIZE, mem_width));
		return -EINVAL;
	}

	sim = kzalloc(struct_size(sim, chans, channels), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	sim->nchans = channels;
	sim->dev = &pdev->dev;
	sim->dma_mask = DMA_BIT_MASK(dma_mask_bits);
	sim->mem_width = mem_width;
	/* The device side is one stream word wide. */
	sim->align = max(IUB_SIM_STREAM_WORD_SIZE, mem_width);
	sim->max_seg = max_seg;

	/*
	 * A bus master that reaches the memory under its mask. Consumers map
	 * their buffers against this device, so it needs real DMA
	 * parameters: with a 32-bit mask, dma-direct bounces memory above
	 * 4 GiB through swiotlb, as on the board.
	 */
	ret = dma_set_mask_and_coherent(&pdev->dev, sim->dma_mask);
	if (ret) {
		dev_err(&pdev->dev, "dma_set_mask_and_coherent(%u bits): %d\n",
			dma_mask_bits, ret);
		goto err_free;
	}
	dma_set_max_seg_size(&pdev->dev, sim->max_seg);

	ret = iub_sim_parse_map(sim);
	if (ret)
		goto err_free;

	sim->wq = alloc_workqueue("iub_sim_dma", WQ_UNBOUND, 0);
	if (!sim->wq) {
		ret = -ENOMEM;
		goto err_free;
	}

	dd = &sim->ddev;
	dd->dev = &pdev->dev;
	INIT_LIST_HEAD(&dd->channels);
	iub_sim_dma_init_ops(sim);
	dd->device_release = iub_sim_release;
	dd->filter.map = sim->map;
	dd->filter.mapcnt = sim->mapcnt;
	dd->filter.fn = iub_sim_filter;
	for (i = 0; i < sim->nchans; i++) {
		iub_sim_chan_init(sim, &sim->chans[i], i);
		sim->chans[i].rate = min_t(u64, rate, IUB_SIM_MAX_RATE);
	}

	ret = dma_async_device_register(dd);
	if (ret)
		goto err_chans;
	/* From here on, iub_sim_release() frees @sim. */

	iub_sim_debugfs_init(sim);
	platform_set_drvdata(pdev, sim);

	mutex_lock(&iub_sim_lock);
	iub_sim = sim;
	mutex_unlock(&iub_sim_lock);

	dev_info(&pdev->dev,
		 "%u simulated DMA channels, %u-bit DMA mask, %u-byte memory bus, segments up to %u bytes\n",
		 sim->nchans, dma_mask_bits, sim->mem_width, sim->max_seg);
	return 0;

err_chans:
	for (i = 0; i < sim->nchans; i++)
		iub_sim_chan_fini(&sim->chans[i]);
	destroy_workqueue(sim->wq);
err_free:
	iub_sim_free(sim);
	return ret;
}

static void iub_sim_remove(struct platform_device *pdev)
{
	struct iub_sim_dma *sim = platform_get_drvdata(pdev);
	unsigned int i;

	mutex_lock(&iub_sim_lock);
	iub_sim = NULL;
	mutex_unlock(&iub_sim_lock);

	iub_sim_debugfs_fini(sim);
	/*
	 * Every consumer of a channel holds a reference on this module, so
	 * none is left; still stop each channel synchronously so that no
	 * timer, worker or callback outlives the memory.
	 */
	for (i = 0; i < sim->nchans; i++)
		iub_sim_chan_fini(&sim->chans[i]);
	destroy_workqueue(sim->wq);
	dma_async_device_unregister(&sim->ddev);
}

static struct platform_driver iub_sim_driver = {
	.probe = iub_sim_probe,
	.remove = iub_sim_remove,
	.driver = {
		.name = IUB_SIM_DRV_NAME,
		/*
		 * Unbinding under a consumer would free its channel; the
		 * provider goes away with the module only.
		 */
		.suppress_bind_attrs = true,
	},
};

/* ---- side interface (iub_sim_dma.h) ---- */

/**
 * iub_sim_dma_find() - the simulated channel a consumer would get
 * @devname: consumer device name, as in the dma_slave_map
 * @slave: channel name, as in the dma_slave_map
 *
 * Does not claim the channel: a converter uses this to reach the hardware
 * side of the channel that another driver claims with dma_request_chan().
 *
 * Return: the channel, ERR_PTR(-EPROBE_DEFER) if the provider is not up,
 * ERR_PTR(-ENODEV) if the map does not name it. Valid while the provider
 * module is loaded.
 */
struct iub_sim_chan *iub_sim_dma_find(const char *devname, const char *slave)
{
	struct iub_sim_chan *c = ERR_PTR(-ENODEV);
	unsigned int i;

	mutex_lock(&iub_sim_lock);
	if (!iub_sim) {
		c = ERR_PTR(-EPROBE_DEFER);
		goto out;
	}
	for (i = 0; i < iub_sim->mapcnt; i++) {
		const struct dma_slave_map *m = &iub_sim->map[i];

		if (!strcmp(m->devname, devname) && !strcmp(m->slave, slave)) {
			c = &iub_sim->chans[(uintptr_t)m->param];
			break;
		}
	}
out:
	mutex_unlock(&iub_sim_lock);
	return c;
}
EXPORT_SYMBOL_NS_GPL(iub_sim_dma_find, IUB_SIM_NS);

/**
 * iub_sim_dma_from_chan() - the simulated channel behind a dmaengine channel
 * @chan: a channel from dma_request_chan()
 *
 * Return: the simulated channel, or NULL if @chan is not one of ours.
 */
struct iub_sim_chan *iub_sim_dma_from_chan(struct dma_chan *chan)
{
	if (!chan || chan->device->dev->driver != &iub_sim_driver.driver)
		return NULL;
	return to_iub_sim_chan(chan);
}
EXPORT_SYMBOL_NS_GPL(iub_sim_dma_from_chan, IUB_SIM_NS);

/**
 * iub_sim_dma_chan_index() - number of a simulated channel
 * @c: channel
 *
 * Return: the n of its debugfs directory chan<n> and of its default seed.
 */
unsigned int iub_sim_dma_chan_index(struct iub_sim_chan *c)
{
	return c->num;
}
EXPORT_SYMBOL_NS_GPL(iub_sim_dma_chan_index, IUB_SIM_NS);

/**
 * iub_sim_dma_set_rate() - set the speed of a channel
 * @c: channel
 * @bytes_per_sec: bytes per second in both directions, 0 = as fast as
 *	possible; clamped to IUB_SIM_MAX_RATE
 */
void iub_sim_dma_set_rate(struct iub_sim_chan *c, u64 bytes_per_sec)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	iub_sim_set_rate_locked(c, bytes_per_sec);
	spin_unlock_irqrestore(&c->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(iub_sim_dma_set_rate, IUB_SIM_NS);

/**
 * iub_sim_dma_get_rate() - speed of a channel
 * @c: channel
 *
 * Return: bytes per second, 0 = as fast as possible.
 */
u64 iub_sim_dma_get_rate(struct iub_sim_chan *c)
{
	unsigned long flags;
	u64 r;

	spin_lock_irqsave(&c->lock, flags);
	r = c->rate;
	spin_unlock_irqrestore(&c->lock, flags);
	return r;
}
EXPORT_SYMBOL_NS_GPL(iub_sim_dma_get_rate, IUB_SIM_NS);

/**
 * iub_sim_dma_reset_stream() - restart a channel's stream
 * @c: channel
 * @seed: seed of the new stream
 *
 * Same as writing @seed to the channel's debugfs "seed" file.
 */
void iub_sim_dma_reset_stream(struct iub_sim_chan *c, u32 seed)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	iub_sim_reset_stream_locked(c, seed);
	spin_unlock_irqrestore(&c->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(iub_sim_dma_reset_stream, IUB_SIM_NS);

/**
 * iub_sim_get_stats_locked() - snapshot of a channel's counters
 * @c: channel, lock held
 * @st: filled in
 *
 * A real-time converter that runs with nothing issued has its drop counted
 * up to now first (iub_sim_rt_settle_locked()).
 */
void iub_sim_get_stats_locked(struct iub_sim_chan *c, struct iub_sim_stats *st)
{
	lockdep_assert_held(&c->lock);
	iub_sim_rt_settle_locked(c);
	*st = c->stats;
	st->seed = c->seed;
	st->index = c->index;
	st->mismatches = c->check.mismatches;
	st->first_bad_byte = c->check.first_bad * IUB_SIM_STREAM_WORD_SIZE;
	st->first_expected = c->check.first_expected;
	st->first_got = c->check.first_got;
}

/**
 * iub_sim_dma_get_stats() - counters of a channel
 * @c: channel
 * @st: filled in
 */
void iub_sim_dma_get_stats(struct iub_sim_chan *c, struct iub_sim_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	iub_sim_get_stats_locked(c, st);
	spin_unlock_irqrestore(&c->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(iub_sim_dma_get_stats, IUB_SIM_NS);

/**
 * iub_sim_set_fault_locked() - set a fault injection knob
 * @c: channel, lock held
 * @fault: which knob
 * @value: new value
 *
 * Return: 0, or -EINVAL for a bad knob or value.
 */
int iub_sim_set_fault_locked(struct iub_sim_chan *c, enum iub_sim_fault fault,
			     u32 value)
{
	lockdep_assert_held(&c->lock);

	switch (fault) {
	case IUB_SIM_FAULT_FAIL_NEXT:
		c->fail_next = value;
		break;
	case IUB_SIM_FAULT_FAIL_RESULT:
		if (value != DMA_TRANS_READ_FAILED &&
		    value != DMA_TRANS_WRITE_FAILED &&
		    value != DMA_TRANS_ABORTED)
			return -EINVAL;
		c->fail_result = value;
		break;
	case IUB_SIM_FAULT_STALL:
		c->stall = !!value;
		c->paced = false;
		break;
	case IUB_SIM_FAULT_DELAY_US:
		c->delay_us = value;
		break;
	case IUB_SIM_FAULT_GAP:
		c->gap_pending += value;
		break;
	case IUB_SIM_FAULT_SYNC_DELAY_MS:
		if (value > IUB_SIM_MAX_SYNC_DELAY_MS)
			return -EINVAL;
		c->sync_delay_ms = value;
		break;
	case IUB_SIM_FAULT_SHORT_NEXT:
		/* whole beats of the bus, as the hardware reports them */
		if (!IS_ALIGNED(value, max_t(u32, c->sim->align, 4)))
			return -EINVAL;
		c->short_next = value;
		break;
	default:
		return -EINVAL;
	}
	iub_sim_kick_locked(c);
	return 0;
}

/**
 * iub_sim_get_fault_locked() - read a fault injection knob
 * @c: channel, lock held
 * @fault: which knob
 *
 * Return: its value (for IUB_SIM_FAULT_GAP: words still to skip).
 */
u32 iub_sim_get_fault_locked(struct iub_sim_chan *c, enum iub_sim_fault fault)
{
	lockdep_assert_held(&c->lock);

	switch (fault) {
	case IUB_SIM_FAULT_FAIL_NEXT:
		return c->fail_next;
	case IUB_SIM_FAULT_FAIL_RESULT:
		return c->fail_result;
	case IUB_SIM_FAULT_STALL:
		return c->stall;
	case IUB_SIM_FAULT_DELAY_US:
		return c->delay_us;
	case IUB_SIM_FAULT_GAP:
		return c->gap_pending;
	case IUB_SIM_FAULT_SYNC_DELAY_MS:
		return c->sync_delay_ms;
	case IUB_SIM_FAULT_SHORT_NEXT:
		return c->short_next;
	}
	return 0;
}

/**
 * iub_sim_dma_set_fault() - inject a fault
 * @c: channel
 * @fault: which knob (see &enum iub_sim_fault)
 * @value: new value
 *
 * Return: 0, or -EINVAL for a bad knob or value.
 */
int iub_sim_dma_set_fault(struct iub_sim_chan *c, enum iub_sim_fault fault,
			  u32 value)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&c->lock, flags);
	ret = iub_sim_set_fault_locked(c, fault, value);
	spin_unlock_irqrestore(&c->lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iub_sim_dma_set_fault, IUB_SIM_NS);

/**
 * iub_sim_dma_get_fault() - read a fault injection knob
 * @c: channel
 * @fault: which knob (see &enum iub_sim_fault)
 *
 * Return: its value.
 */
u32 iub_sim_dma_get_fault(struct iub_sim_chan *c, enum iub_sim_fault fault)
{
	unsigned long flags;
	u32 v;

	spin_lock_irqsave(&c->lock, flags);
	v = iub_sim_get_fault_locked(c, fault);
	spin_unlock_irqrestore(&c->lock, flags);
	return v;
}
EXPORT_SYMBOL_NS_GPL(iub_sim_dma_get_fault, IUB_SIM_NS);

/* ---- module ---- */

static int __init iub_sim_init(void)
{
	int ret;

	ret = platform_driver_register(&iub_sim_driver);
	if (ret)
		return ret;

	iub_sim_pdev = platform_device_register_simple(IUB_SIM_DRV_NAME,
						       PLATFORM_DEVID_NONE,
						       NULL, 0);
	if (IS_ERR(iub_sim_pdev)) {
		ret = PTR_ERR(iub_sim_pdev);
		goto err_driver;
	}

	/* Probing is synchronous: report its failure from insmod. */
	mutex_lock(&iub_sim_lock);
	ret = iub_sim ? 0 : -ENODEV;
	mutex_unlock(&iub_sim_lock);
	if (ret)
		goto err_device;
	return 0;

err_device:
	platform_device_unregister(iub_sim_pdev);
err_driver:
	platform_driver_unregister(&iub_sim_driver);
	return ret;
}
module_init(iub_sim_init);

static void __exit iub_sim_exit(void)
{
	platform_device_unregister(iub_sim_pdev);
	platform_driver_unregister(&iub_sim_driver);
}
module_exit(iub_sim_exit);

MODULE_DESCRIPTION("iio-usb-bridge simulated board: dmaengine provider");
MODULE_AUTHOR("iio-usb-bridge project");
MODULE_LICENSE("GPL");
