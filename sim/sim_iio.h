/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the simulated IIO converters (iub_sim_iio.ko, iub_sim_adc_dmabuf.ko)
 * have in common: channel layout and the tie between sampling_frequency
 * and the rate of the simulated DMA channel.
 *
 * A converter's data is the stream of its DMA channel (iub_sim_stream.h),
 * one 32-bit word per sample, interleaved over the channels of the scan in
 * scan order: with n channels in the scan, word k is a sample of the
 * (k mod n)-th of them. sampling_frequency is in scans per second, so the
 * DMA channel moves sampling_frequency * 4 * n bytes per second; 0 means
 * as fast as the simulation can.
 */
#ifndef _IUB_SIM_IIO_H
#define _IUB_SIM_IIO_H

#include <linux/iio/iio.h>
#include <linux/math64.h>

#include "iub_sim_dma.h"
#include "iub_sim_stream.h"

#define IUB_SIM_IIO_MAX_CHANNELS	16

/**
 * iub_sim_iio_init_channels() - describe the converter's channels
 * @chans: array of @n entries to fill
 * @n: number of channels
 * @output: true for a DAC
 *
 * voltage0..voltage<n-1>, each an unsigned 32-bit little-endian sample in
 * a 32-bit word, with a shared sampling_frequency.
 */
static inline void iub_sim_iio_init_channels(struct iio_chan_spec *chans,
					     unsigned int n, bool output)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		chans[i] = (struct iio_chan_spec) {
			.type = IIO_VOLTAGE,
			.indexed = 1,
			.channel = i,
			.output = output,
			.scan_index = i,
			.scan_type = {
				.sign = 'u',
				.realbits = 32,
				.storagebits = 32,
				.endianness = IIO_LE,
			},
			.info_mask_shared_by_all =
				BIT(IIO_CHAN_INFO_SAMP_FREQ),
		};
	}
}

/**
 * iub_sim_iio_read_freq() - sampling_frequency from the DMA channel's rate
 * @dma: the converter's simulated DMA channel
 * @nscan: channels in the scan
 *
 * Return: scans per second, 0 for as fast as possible.
 */
static inline u64 iub_sim_iio_read_freq(struct iub_sim_chan *dma,
					unsigned int nscan)
{
	return div_u64(iub_sim_dma_get_rate(dma),
		       IUB_SIM_STREAM_WORD_SIZE * nscan);
}

/**
 * iub_sim_iio_write_freq() - set the DMA channel's rate from a frequency
 * @dma: the converter's simulated DMA channel
 * @nscan: channels in the scan
 * @freq: scans per second, 0 for as fast as possible
 */
static inline void iub_sim_iio_write_freq(struct iub_sim_chan *dma,
					  unsigned int nscan, u64 freq)
{
	iub_sim_dma_set_rate(dma, freq * IUB_SIM_STREAM_WORD_SIZE * nscan);
}

#endif /* _IUB_SIM_IIO_H */
