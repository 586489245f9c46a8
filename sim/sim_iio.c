// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated IIO converters of the simulated board: ADCs ("iub-sim-adc.N")
 * and DACs ("iub-sim-dac.N"), platform devices created by this module.
 *
 * Each is a real IIO device with voltage channels, scan elements and a
 * sampling_frequency. Its samples do not go through IIO: they are the
 * stream of its DMA channel ("rx" for an ADC, "tx" for a DAC in the
 * provider's dma_slave_map), which the bridge claims with
 * dma_request_chan(&pdev->dev, "rx"/"tx"). The converter itself never
 * claims that channel; it only sets its rate through the provider's side
 * interface. Its IIO buffer carries no data either: it holds the scan
 * configuration (which channels are interleaved in the stream), the way
 * the buffer of a real converter with a DMA engine selects the channels
 * the hardware puts on its bus.
 *
 * On real hardware, enabling the buffer would also start the converter,
 * and a full FIFO would drop samples when nobody reads the DMA channel.
 * The simulated converter always runs and never drops: its DMA channel
 * produces (or consumes) whenever a transfer is queued.
 */
#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/iio/buffer.h>
#include <linux/iio/buffer_impl.h>
#include <linux/iio/iio.h>
#include <linux/iio/sysfs.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "sim_iio.h"

#define IUB_SIM_IIO_MAX_INSTANCES	8

static unsigned int adcs = 3;
module_param(adcs, uint, 0444);
MODULE_PARM_DESC(adcs, "number of simulated ADCs iub-sim-adc.N, 0 to 8 (default: 3)");

static unsigned int dacs = 2;
module_param(dacs, uint, 0444);
MODULE_PARM_DESC(dacs, "number of simulated DACs iub-sim-dac.N, 0 to 8 (default: 2)");

static unsigned int adc_channels = 2;
module_param(adc_channels, uint, 0444);
MODULE_PARM_DESC(adc_channels, "voltage channels per ADC, 1 to 16 (default: 2)");

static unsigned int dac_channels = 2;
module_param(dac_channels, uint, 0444);
MODULE_PARM_DESC(dac_channels, "voltage channels per DAC, 1 to 16 (default: 2)");

static unsigned int sampling_frequency;
module_param(sampling_frequency, uint, 0444);
MODULE_PARM_DESC(sampling_frequency,
		 "initial sampling_frequency in Hz of every converter; 0 keeps the DMA channel's rate (default: 0)");

enum iub_sim_conv_type {
	IUB_SIM_ADC,
	IUB_SIM_DAC,
};

/**
 * struct iub_sim_conv - state of one simulated converter
 * @dma: hardware side of its DMA channel, which another driver claims
 * @slave: name of that channel in the provider's map, "rx" or "tx"
 * @dac: a DAC (memory to device) rather than an ADC
 * @lock: orders sampling_frequency updates against scan changes
 * @nscan: channels in the scan, all of them until a buffer was enabled;
 *	protected by @lock
 * @chans: the channel specifications
 */
struct iub_sim_conv {
	struct iub_sim_chan *dma;
	const char *slave;
	bool dac;
	struct mutex lock; /* see the kernel-doc above */
	unsigned int nscan;
	struct iio_chan_spec chans[IUB_SIM_IIO_MAX_CHANNELS];
};

static int iub_sim_conv_read_raw(struct iio_dev *indio_dev,
				 struct iio_chan_spec const *chan, int *val,
				 int *val2, long mask)
{
	struct iub_sim_conv *st = iio_priv(indio_dev);
	u64 freq;

	switch (mask) {
	case IIO_CHAN_INFO_SAMP_FREQ:
		mutex_lock(&st->lock);
		freq = iub_sim_iio_read_freq(st->dma, st->nscan);
		mutex_unlock(&st->lock);
		*val = min_t(u64, freq, INT_MAX);
		return IIO_VAL_INT;
	default:
		return -EINVAL;
	}
}

static int iub_sim_conv_write_raw(struct iio_dev *indio_dev,
				  struct iio_chan_spec const *chan, int val,
				  int val2, long mask)
{
	struct iub_sim_conv *st = iio_priv(indio_dev);

	switch (mask) {
	case IIO_CHAN_INFO_SAMP_FREQ:
		if (val < 0 || val2 < 0)
			return -EINVAL;
		mutex_lock(&st->lock);
		iub_sim_iio_write_freq(st->dma, st->nscan, val);
		mutex_unlock(&st->lock);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Buffer enable: the scan changes, the sample rate stays. */
static int iub_sim_conv_update_scan_mode(struct iio_dev *indio_dev,
					 const unsigned long *scan_mask)
{
	struct iub_sim_conv *st = iio_priv(indio_dev);
	unsigned int n = bitmap_weight(scan_mask,
				       iio_get_masklength(indio_dev));
	u64 freq;

	if (!n)
		return -EINVAL;
	mutex_lock(&st->lock);
	freq = iub_sim_iio_read_freq(st->dma, st->nscan);
	st->nscan = n;
	iub_sim_iio_write_freq(st->dma, st->nscan, freq);
	mutex_unlock(&st->lock);
	return 0;
}

static ssize_t sim_dma_channel_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct iub_sim_conv *st = iio_priv(dev_to_iio_dev(dev));

	return sysfs_emit(buf, "chan%u\n", iub_sim_dma_chan_index(st->dma));
}
static DEVICE_ATTR_RO(sim_dma_channel);

static ssize_t sim_dma_name_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct iub_sim_conv *st = iio_priv(dev_to_iio_dev(dev));

	return sysfs_emit(buf, "%s\n", st->slave);
}
static DEVICE_ATTR_RO(sim_dma_name);

static ssize_t sim_bytes_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct iub_sim_conv *st = iio_priv(dev_to_iio_dev(dev));
	struct iub_sim_stats stats;

	iub_sim_dma_get_stats(st->dma, &stats);
	return sysfs_emit(buf, "%llu\n", st->dac ? stats.consumed_bytes :
			  stats.produced_bytes);
}
static DEVICE_ATTR_RO(sim_bytes);

static ssize_t sim_mismatches_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct iub_sim_conv *st = iio_priv(dev_to_iio_dev(dev));
	struct iub_sim_stats stats;

	iub_sim_dma_get_stats(st->dma, &stats);
	return sysfs_emit(buf, "%llu\n", stats.mismatches);
}
static DEVICE_ATTR_RO(sim_mismatches);

/* The stream's seed; writing one restarts the stream (and its counters). */
static ssize_t sim_seed_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct iub_sim_conv *st = iio_priv(dev_to_iio_dev(dev));
	struct iub_sim_stats stats;

	iub_sim_dma_get_stats(st->dma, &stats);
	return sysfs_emit(buf, "0x%08x\n", stats.seed);
}

static ssize_t sim_seed_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t len)
{
	struct iub_sim_conv *st = iio_priv(dev_to_iio_dev(dev));
	u32 seed;
	int ret;

	ret = kstrtou32(buf, 0, &seed);
	if (ret)
		return ret;
	iub_sim_dma_reset_stream(st->dma, seed);
	return len;
}
static DEVICE_ATTR_RW(sim_seed);

static struct attribute *iub_sim_adc_attrs[] = {
	&dev_attr_sim_dma_channel.attr,
	&dev_attr_sim_dma_name.attr,
	&dev_attr_sim_bytes.attr,
	&dev_attr_sim_seed.attr,
	NULL
};

static const struct attribute_group iub_sim_adc_group = {
	.attrs = iub_sim_adc_attrs,
};

static struct attribute *iub_sim_dac_attrs[] = {
	&dev_attr_sim_dma_channel.attr,
	&dev_attr_sim_dma_name.attr,
	&dev_attr_sim_bytes.attr,
	&dev_attr_sim_mismatches.attr,
	&dev_attr_sim_seed.attr,
	NULL
};

static const struct attribute_group iub_sim_dac_group = {
	.attrs = iub_sim_dac_attrs,
};

static const struct iio_info iub_sim_adc_info = {
	.read_raw = iub_sim_conv_read_raw,
	.write_raw = iub_sim_conv_write_raw,
	.update_scan_mode = iub_sim_conv_update_scan_mode,
	.attrs = &iub_sim_adc_group,
};

static const struct iio_info iub_sim_dac_info = {
	.read_raw = iub_sim_conv_read_raw,
	.write_raw = iub_sim_conv_write_raw,
	.update_scan_mode = iub_sim_conv_update_scan_mode,
	.attrs = &iub_sim_dac_group,
};

/*
 * The scan buffer: an IIO buffer without data. read() and write() on it
 * fail (the IIO core answers -EINVAL without those callbacks); the data
 * moves through the DMA channel.
 */
static size_t iub_sim_scan_buffer_none(struct iio_buffer *buffer)
{
	return 0;
}

static void iub_sim_scan_buffer_release(struct iio_buffer *buffer)
{
	kfree(buffer);
}

static const struct iio_buffer_access_funcs iub_sim_scan_buffer_access = {
	.data_available = iub_sim_scan_buffer_none,
	.space_available = iub_sim_scan_buffer_none,
	.release = iub_sim_scan_buffer_release,
	.modes = INDIO_BUFFER_HARDWARE,
};

static int iub_sim_conv_setup_buffer(struct iio_dev *indio_dev,
				     enum iio_buffer_direction dir)
{
	struct iio_buffer *buffer;
	int ret;

	buffer = kzalloc(sizeof(*buffer), GFP_KERNEL);
	if (!buffer)
		return -ENOMEM;
	iio_buffer_init(buffer);
	buffer->access = &iub_sim_scan_buffer_access;
	buffer->direction = dir;

	indio_dev->modes |= INDIO_BUFFER_HARDWARE;
	ret = iio_device_attach_buffer(indio_dev, buffer);
	/* On success the IIO device holds its own reference. */
	iio_buffer_put(buffer);
	return ret;
}

static int iub_sim_conv_probe(struct platform_device *pdev)
{
	const struct platform_device_id *id = platform_get_device_id(pdev);
	struct device *dev = &pdev->dev;
	struct iio_dev *indio_dev;
	struct iub_sim_conv *st;
	unsigned int n;
	bool dac;
	int ret;

	dac = id->driver_data == IUB_SIM_DAC;
	n = dac ? dac_channels : adc_channels;
	if (!n || n > IUB_SIM_IIO_MAX_CHANNELS)
		return dev_err_probe(dev, -EINVAL, "%u channels, must be 1 to %u\n",
				     n, IUB_SIM_IIO_MAX_CHANNELS);

	indio_dev = devm_iio_device_alloc(dev, sizeof(*st));
	if (!indio_dev)
		return -ENOMEM;
	st = iio_priv(indio_dev);
	st->dac = dac;
	st->slave = dac ? "tx" : "rx";
	st->nscan = n;
	ret = devm_mutex_init(dev, &st->lock);
	if (ret)
		return ret;

	/* Real hardware: the converter's registers, clocks and resets. */
	st->dma = iub_sim_dma_find(dev_name(dev), st->slave);
	if (IS_ERR(st->dma))
		return dev_err_probe(dev, PTR_ERR(st->dma),
				     "no simulated DMA channel %s:%s in the map\n",
				     dev_name(dev), st->slave);

	iub_sim_iio_init_channels(st->chans, n, dac);
	indio_dev->name = dac ? "iub-sim-dac" : "iub-sim-adc";
	indio_dev->label = dev_name(dev);
	indio_dev->channels = st->chans;
	indio_dev->num_channels = n;
	indio_dev->info = dac ? &iub_sim_dac_info : &iub_sim_adc_info;
	indio_dev->modes = INDIO_DIRECT_MODE;

	ret = iub_sim_conv_setup_buffer(indio_dev, dac ?
					IIO_BUFFER_DIRECTION_OUT :
					IIO_BUFFER_DIRECTION_IN);
	if (ret)
		return ret;

	if (sampling_frequency)
		iub_sim_iio_write_freq(st->dma, st->nscan, sampling_frequency);

	return devm_iio_device_register(dev, indio_dev);
}

static const struct platform_device_id iub_sim_conv_ids[] = {
	{ .name = "iub-sim-adc", .driver_data = IUB_SIM_ADC },
	{ .name = "iub-sim-dac", .driver_data = IUB_SIM_DAC },
	{ }
};
MODULE_DEVICE_TABLE(platform, iub_sim_conv_ids);

static struct platform_driver iub_sim_conv_driver = {
	.probe = iub_sim_conv_probe,
	.id_table = iub_sim_conv_ids,
	.driver = {
		.name = "iub-sim-iio",
	},
};

static struct platform_device *iub_sim_conv_pdevs[2 * IUB_SIM_IIO_MAX_INSTANCES];
static unsigned int iub_sim_conv_npdevs;

static void iub_sim_conv_unregister_devices(void)
{
	while (iub_sim_conv_npdevs)
		platform_device_unregister(iub_sim_conv_pdevs[--iub_sim_conv_npdevs]);
}

static int iub_sim_conv_register_devices(const char *name, unsigned int count)
{
	struct platform_device *pdev;
	unsigned int i;

	for (i = 0; i < count; i++) {
		pdev = platform_device_register_simple(name, i, NULL, 0);
		if (IS_ERR(pdev))
			return PTR_ERR(pdev);
		iub_sim_conv_pdevs[iub_sim_conv_npdevs++] = pdev;
	}
	return 0;
}

static int __init iub_sim_iio_init(void)
{
	int ret;

	if (adcs > IUB_SIM_IIO_MAX_INSTANCES || dacs > IUB_SIM_IIO_MAX_INSTANCES)
		return -EINVAL;

	ret = platform_driver_register(&iub_sim_conv_driver);
	if (ret)
		return ret;

	ret = iub_sim_conv_register_devices("iub-sim-adc", adcs);
	if (ret)
		goto err_devices;
	ret = iub_sim_conv_register_devices("iub-sim-dac", dacs);
	if (ret)
		goto err_devices;
	return 0;

err_devices:
	iub_sim_conv_unregister_devices();
	platform_driver_unregister(&iub_sim_conv_driver);
	return ret;
}
module_init(iub_sim_iio_init);

static void __exit iub_sim_iio_exit(void)
{
	iub_sim_conv_unregister_devices();
	platform_driver_unregister(&iub_sim_conv_driver);
}
module_exit(iub_sim_iio_exit);

MODULE_DESCRIPTION("iio-usb-bridge simulated board: IIO ADCs and DACs");
MODULE_AUTHOR("iio-usb-bridge project");
MODULE_LICENSE("GPL");
IUB_SIM_IMPORT_NS();
