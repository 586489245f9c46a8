/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Side interface of the simulated dmaengine provider (iub_sim_dma.ko).
 *
 * Consumers move data through the ordinary dmaengine API. This interface is
 * what the rest of the simulated board uses to play the part of the
 * converter hardware attached to a channel: the simulated IIO converters
 * set the sample rate of "their" channel from sampling_frequency, and the
 * test fixture injects faults without going through debugfs. Real hardware
 * has no such thing: the converter's clock sets the rate, and faults are
 * not on request.
 */
#ifndef _IUB_SIM_DMA_H
#define _IUB_SIM_DMA_H

#include <linux/types.h>

#include "sim_compat.h"

struct dma_chan;
struct iub_sim_chan;

/**
 * enum iub_sim_fault - fault injection knobs of a simulated channel
 * @IUB_SIM_FAULT_FAIL_NEXT: fail the next N descriptors that start
 * @IUB_SIM_FAULT_FAIL_RESULT: &enum dmaengine_tx_result reported by a failed
 *	descriptor (DMA_TRANS_READ_FAILED, _WRITE_FAILED or _ABORTED)
 * @IUB_SIM_FAULT_STALL: non-zero: the channel stops moving data (mid
 *	descriptor) until it is terminated or the stall is cleared
 * @IUB_SIM_FAULT_DELAY_US: every descriptor (every period of a cyclic one)
 *	takes at least this many microseconds
 * @IUB_SIM_FAULT_GAP: skip this many words of the device-to-memory stream
 *	once, so that verifiers see a discontinuity
 * @IUB_SIM_FAULT_SYNC_DELAY_MS: a consumer's device_synchronize (the second
 *	half of dmaengine_terminate_sync()) takes this many milliseconds, like
 *	hardware that drains slowly; it holds a window open in which the
 *	consumer still uses the channel, and giving the channel back inside
 *	it is reported as a BUG
 * @IUB_SIM_FAULT_SHORT_NEXT: the next non-cyclic device-to-memory
 *	descriptor that starts (and does not fail) ends early, successfully,
 *	this many bytes short of its length, like a converter that ends a
 *	capture with TLAST: its residue. A multiple of the bus width; a value
 *	not below the length is spent without effect
 *
 * The debugfs files of the same names set the same knobs.
 */
enum iub_sim_fault {
	IUB_SIM_FAULT_FAIL_NEXT,
	IUB_SIM_FAULT_FAIL_RESULT,
	IUB_SIM_FAULT_STALL,
	IUB_SIM_FAULT_DELAY_US,
	IUB_SIM_FAULT_GAP,
	IUB_SIM_FAULT_SYNC_DELAY_MS,
	IUB_SIM_FAULT_SHORT_NEXT,
};

/**
 * struct iub_sim_stats - counters of a simulated channel
 * @seed: seed of the stream
 * @index: index of the next device-to-memory word
 * @produced_bytes: bytes written to memory by device-to-memory transfers
 * @consumed_bytes: bytes read from memory by memory-to-device transfers
 * @mismatches: consumed words that broke the stream format
 * @first_bad_byte: byte offset (in @consumed_bytes) of the first mismatch
 * @first_expected: word expected at @first_bad_byte
 * @first_got: word found at @first_bad_byte
 * @completed: descriptors (and cyclic periods) completed without error
 * @failed: descriptors completed with an error
 * @refused: descriptors whose preparation failed because a segment broke
 *	the controller's constraints (DMA mask, bus width, maximum segment)
 * @dropped_bytes: real-time mode: bytes of the device-to-memory stream the
 *	converter produced while no descriptor was there to take them (the
 *	stream's index skips them: a reader sees a jump)
 *
 * All counters start again at zero when the stream is reset (see
 * iub_sim_dma_reset_stream()).
 */
struct iub_sim_stats {
	u32 seed;
	u64 index;
	u64 produced_bytes;
	u64 consumed_bytes;
	u64 mismatches;
	u64 first_bad_byte;
	u32 first_expected;
	u32 first_got;
	u64 completed;
	u64 failed;
	u64 refused;
	u64 dropped_bytes;
};

struct iub_sim_chan *iub_sim_dma_find(const char *devname, const char *slave);
struct iub_sim_chan *iub_sim_dma_from_chan(struct dma_chan *chan);
unsigned int iub_sim_dma_chan_index(struct iub_sim_chan *c);
void iub_sim_dma_set_rate(struct iub_sim_chan *c, u64 bytes_per_sec);
u64 iub_sim_dma_get_rate(struct iub_sim_chan *c);
void iub_sim_dma_reset_stream(struct iub_sim_chan *c, u32 seed);
void iub_sim_dma_get_stats(struct iub_sim_chan *c, struct iub_sim_stats *st);
int iub_sim_dma_set_fault(struct iub_sim_chan *c, enum iub_sim_fault fault,
			  u32 value);
u32 iub_sim_dma_get_fault(struct iub_sim_chan *c, enum iub_sim_fault fault);

#endif /* _IUB_SIM_DMA_H */
