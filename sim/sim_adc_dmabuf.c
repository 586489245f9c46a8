// SPDX-License-Identifier: GPL-2.0
/*
 * A simulated ADC on the standard IIO DMA buffer: "iub-sim-adc-dmabuf.N".
 *
 * This is the upstream baseline of the simulated board. The converter
 * claims its own "rx" DMA channel through devm_iio_dmaengine_buffer_setup()
 * (industrialio-buffer-dmaengine, built at build time from Debian's
 * linux-source by sim/build-upstream-iio-dma.sh), exactly as an ADC driver
 * on a real DMA controller does, so read() on /dev/iio:deviceN (fileio) and
 * the IIO_BUFFER_DMABUF_ATTACH/ENQUEUE/DETACH ioctls work on the simulated
 * stream. The samples are the stream of the DMA channel (iub_sim_stream.h),
 * 32-bit words interleaved over the channels of the scan.
 */
#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/iio/buffer-dmaengine.h>
#include <linux/iio/iio.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>

#include "sim_iio.h"

#define IUB_SIM_DMABUF_MAX_INSTANCES	4

static unsigned int count = 1;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "number of ADCs iub-sim-adc-dmabuf.N, 1 to 4 (default: 1)");

static unsigned int channels = 2;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "voltage channels per ADC, 1 to 16 (default: 2)");

static unsigned int sampling_frequency;
module_param(sampling_frequency, uint, 0444);
MODULE_PARM_DESC(sampling_frequency,
		 "initial sampling_frequency in Hz; 0 keeps the DMA channel's rate (default: 0)");

/**
 * struct iub_sim_adc_dmabuf - state of one DMA-buffer ADC
 * @dma: hardware side of the DMA channel the IIO DMA buffer claimed
 * @lock: orders sampling_frequency updates against scan changes
 * @nscan: channels in the scan, all of them until the buffer was enabled;
 *	protected by @lock
 * @chans: the channel specifications
 */
struct iub_sim_adc_dmabuf {
	struct iub_sim_chan *dma;
	struct mutex lock; /* see the kernel-doc above */
	unsigned int nscan;
	struct iio_chan_spec chans[IUB_SIM_IIO_MAX_CHANNELS];
};

static int iub_sim_adc_dmabuf_read_raw(struct iio_dev *indio_dev,
				       struct iio_chan_spec const *chan,
				       int *val, int *val2, long mask)
{
	struct iub_sim_adc_dmabuf *st = iio_priv(indio_dev);
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

static int iub_sim_adc_dmabuf_write_raw(struct iio_dev *indio_dev,
					struct iio_chan_spec const *chan,
					int val, int val2, long mask)
{
	struct iub_sim_adc_dmabuf *st = iio_priv(indio_dev);

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

static int iub_sim_adc_dmabuf_update_scan_mode(struct iio_dev *indio_dev,
					       const unsigned long *scan_mask)
{
	struct iub_sim_adc_dmabuf *st = iio_priv(indio_dev);
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
	struct iub_sim_adc_dmabuf *st = iio_priv(dev_to_iio_dev(dev));

	return sysfs_emit(buf, "chan%u\n", iub_sim_dma_chan_index(st->dma));
}
static DEVICE_ATTR_RO(sim_dma_channel);

static ssize_t sim_bytes_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct iub_sim_adc_dmabuf *st = iio_priv(dev_to_iio_dev(dev));
	struct iub_sim_stats stats;

	iub_sim_dma_get_stats(st->dma, &stats);
	return sysfs_emit(buf, "%llu\n", stats.produced_bytes);
}
static DEVICE_ATTR_RO(sim_bytes);

static struct attribute *iub_sim_adc_dmabuf_attrs[] = {
	&dev_attr_sim_dma_channel.attr,
	&dev_attr_sim_bytes.attr,
	NULL
};

static const struct attribute_group iub_sim_adc_dmabuf_group = {
	.attrs = iub_sim_adc_dmabuf_attrs,
};

static const struct iio_info iub_sim_adc_dmabuf_info = {
	.read_raw = iub_sim_adc_dmabuf_read_raw,
	.write_raw = iub_sim_adc_dmabuf_write_raw,
	.update_scan_mode = iub_sim_adc_dmabuf_update_scan_mode,
	.attrs = &iub_sim_adc_dmabuf_group,
};

static int iub_sim_adc_dmabuf_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct iub_sim_adc_dmabuf *st;
	struct iio_dev *indio_dev;
	int ret;

	if (!channels || channels > IUB_SIM_IIO_MAX_CHANNELS)
		return dev_err_probe(dev, -EINVAL, "%u channels, must be 1 to %u\n",
				     channels, IUB_SIM_IIO_MAX_CHANNELS);

	indio_dev = devm_iio_device_alloc(dev, sizeof(*st));
	if (!indio_dev)
		return -ENOMEM;
	st = iio_priv(indio_dev);
	st->nscan = channels;
	ret = devm_mutex_init(dev, &st->lock);
	if (ret)
		return ret;

	st->dma = iub_sim_dma_find(dev_name(dev), "rx");
	if (IS_ERR(st->dma))
		return dev_err_probe(dev, PTR_ERR(st->dma),
				     "no simulated DMA channel %s:rx in the map\n",
				     dev_name(dev));

	iub_sim_iio_init_channels(st->chans, channels, false);
	indio_dev->name = "iub-sim-adc-dmabuf";
	indio_dev->label = dev_name(dev);
	indio_dev->channels = st->chans;
	indio_dev->num_channels = channels;
	indio_dev->info = &iub_sim_adc_dmabuf_info;
	indio_dev->modes = INDIO_DIRECT_MODE;

	/* Claims "rx" through the provider's dma_slave_map. */
	ret = devm_iio_dmaengine_buffer_setup(dev, indio_dev, "rx");
	if (ret)
		return dev_err_probe(dev, ret, "IIO DMA buffer setup failed\n");

	if (sampling_frequency)
		iub_sim_iio_write_freq(st->dma, st->nscan, sampling_frequency);

	return devm_iio_device_register(dev, indio_dev);
}

static struct platform_driver iub_sim_adc_dmabuf_driver = {
	.probe = iub_sim_adc_dmabuf_probe,
	.driver = {
		.name = "iub-sim-adc-dmabuf",
	},
};

static struct platform_device *iub_sim_adc_dmabuf_pdevs[IUB_SIM_DMABUF_MAX_INSTANCES];

static void iub_sim_adc_dmabuf_unregister_devices(void)
{
	unsigned int i = IUB_SIM_DMABUF_MAX_INSTANCES;

	while (i--) {
		platform_device_unregister(iub_sim_adc_dmabuf_pdevs[i]);
		iub_sim_adc_dmabuf_pdevs[i] = NULL;
	}
}

static int __init iub_sim_adc_dmabuf_init(void)
{
	struct platform_device *pdev;
	unsigned int i;
	int ret;

	if (!count || count > IUB_SIM_DMABUF_MAX_INSTANCES)
		return -EINVAL;

	ret = platform_driver_register(&iub_sim_adc_dmabuf_driver);
	if (ret)
		return ret;

	for (i = 0; i < count; i++) {
		pdev = platform_device_register_simple("iub-sim-adc-dmabuf", i,
						       NULL, 0);
		if (IS_ERR(pdev)) {
			ret = PTR_ERR(pdev);
			goto err_devices;
		}
		iub_sim_adc_dmabuf_pdevs[i] = pdev;
	}
	return 0;

err_devices:
	iub_sim_adc_dmabuf_unregister_devices();
	platform_driver_unregister(&iub_sim_adc_dmabuf_driver);
	return ret;
}
module_init(iub_sim_adc_dmabuf_init);

static void __exit iub_sim_adc_dmabuf_exit(void)
{
	iub_sim_adc_dmabuf_unregister_devices();
	platform_driver_unregister(&iub_sim_adc_dmabuf_driver);
}
module_exit(iub_sim_adc_dmabuf_exit);

MODULE_DESCRIPTION("iio-usb-bridge simulated board: ADC on the IIO DMA buffer");
MODULE_AUTHOR("iio-usb-bridge project");
MODULE_LICENSE("GPL");
IUB_SIM_IMPORT_NS();
IUB_SIM_IMPORT_IIO_DMAENGINE_NS();
