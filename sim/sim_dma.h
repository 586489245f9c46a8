/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private state of the simulated dmaengine provider (iub_sim_dma.ko).
 *
 * Where a transfer starts: iub_sim_issue_pending() queues the channel's
 * worker, iub_sim_work() moves the data. Where it completes:
 * iub_sim_complete_desc() (worker) hands the descriptor to
 * iub_sim_complete_work(), which runs the callback in BH context.
 */
#ifndef _IUB_SIM_DMA_PRIV_H
#define _IUB_SIM_DMA_PRIV_H

#include <linux/dmaengine.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "iub_sim_dma.h"
#include "iub_sim_stream.h"

#define IUB_SIM_DRV_NAME	"iub-sim-dma"
#define IUB_SIM_TEST_DEVNAME	"iub-sim-dmatest"
#define IUB_SIM_MAX_CHANNELS	32
/* Fastest settable rate, bytes per second; keeps the pacing math in range. */
#define IUB_SIM_MAX_RATE	1000000000000ULL
/* Longest settable sync_delay_ms. */
#define IUB_SIM_MAX_SYNC_DELAY_MS	10000

/**
 * struct iub_sim_seg - one contiguous piece of a transfer
 * @addr: DMA address, as mapped by the consumer against our device
 * @len: length in bytes, a multiple of &iub_sim_dma.align
 */
struct iub_sim_seg {
	dma_addr_t addr;
	size_t len;
};

/**
 * struct iub_sim_desc - a transfer prepared on a simulated channel
 * @tx: the descriptor handed to the consumer
 * @node: entry in one of the channel's lists; protected by the channel lock
 * @dir: DMA_DEV_TO_MEM or DMA_MEM_TO_DEV
 * @cyclic: repeat until terminated, with a callback every @period_len bytes
 * @period_len: period of a cyclic transfer, 0 otherwise
 * @total_len: sum of the segment lengths
 * @end_len: where this pass ends: @total_len, less an injected short end
 *	(IUB_SIM_FAULT_SHORT_NEXT); set when started, protected by the lock
 * @started: the worker has begun this descriptor; protected by the lock
 * @issued_at: when issue_pending handed it to the "hardware": from then
 *	on a real-time converter can write into it; protected by the lock
 * @not_before: the descriptor (or period) may not complete before this
 *	time (fault injection: delay); protected by the channel lock
 * @done: bytes moved in the current pass; protected by the channel lock
 * @seg: index of the current segment; protected by the channel lock
 * @seg_off: offset in the current segment; protected by the channel lock
 * @result: outcome, set on completion; protected by the channel lock
 * @residue: bytes not transferred, set on completion
 * @nsegs: number of entries in @segs
 * @segs: the memory to move, in order
 */
struct iub_sim_desc {
	struct dma_async_tx_descriptor tx;
	struct list_head node;
	enum dma_transfer_direction dir;
	bool cyclic;
	size_t period_len;
	size_t total_len;
	size_t end_len;
	bool started;
	ktime_t issued_at;
	ktime_t not_before;
	size_t done;
	unsigned int seg;
	size_t seg_off;
	enum dmaengine_tx_result result;
	u32 residue;
	unsigned int nsegs;
	struct iub_sim_seg segs[] __counted_by(nsegs);
};

/**
 * enum iub_sim_dbg_id - the per-channel debugfs files holding a number
 * @IUB_SIM_DBG_RATE: "rate", bytes per second, 0 = as fast as possible
 * @IUB_SIM_DBG_SEED: "seed"; writing it also resets the stream
 * @IUB_SIM_DBG_RESET: "reset", write-only: reset the stream
 * @IUB_SIM_DBG_INDEX: "index", read-only: next device-to-memory word
 * @IUB_SIM_DBG_PRODUCED: "produced_bytes", read-only
 * @IUB_SIM_DBG_CONSUMED: "consumed_bytes", read-only
 * @IUB_SIM_DBG_MISMATCHES: "mismatches", read-only
 * @IUB_SIM_DBG_FAIL_NEXT: "fail_next"
 * @IUB_SIM_DBG_FAIL_RESULT: "fail_result"
 * @IUB_SIM_DBG_STALL: "stall"
 * @IUB_SIM_DBG_DELAY_US: "delay_us"
 * @IUB_SIM_DBG_GAP: "gap", write-only
 * @IUB_SIM_DBG_REFUSED: "refused", read-only: segments prep refused
 * @IUB_SIM_DBG_SYNC_DELAY_MS: "sync_delay_ms"
 * @IUB_SIM_DBG_SHORT_NEXT: "short_next"
 * @IUB_SIM_DBG_REALTIME: "realtime", 0 or 1: the converter runs by its
 *	clock and drops what no descriptor takes
 * @IUB_SIM_DBG_DROPPED: "dropped_bytes", read-only
 * @IUB_SIM_DBG_NR: number of entries
 */
enum iub_sim_dbg_id {
	IUB_SIM_DBG_RATE,
	IUB_SIM_DBG_SEED,
	IUB_SIM_DBG_RESET,
	IUB_SIM_DBG_INDEX,
	IUB_SIM_DBG_PRODUCED,
	IUB_SIM_DBG_CONSUMED,
	IUB_SIM_DBG_MISMATCHES,
	IUB_SIM_DBG_FAIL_NEXT,
	IUB_SIM_DBG_FAIL_RESULT,
	IUB_SIM_DBG_STALL,
	IUB_SIM_DBG_DELAY_US,
	IUB_SIM_DBG_GAP,
	IUB_SIM_DBG_REFUSED,
	IUB_SIM_DBG_SYNC_DELAY_MS,
	IUB_SIM_DBG_SHORT_NEXT,
	IUB_SIM_DBG_REALTIME,
	IUB_SIM_DBG_DROPPED,
	IUB_SIM_DBG_NR
};

/**
 * struct iub_sim_dbg_file - what a numeric debugfs file refers to
 * @c: the channel
 * @id: which value
 */
struct iub_sim_dbg_file {
	struct iub_sim_chan *c;
	enum iub_sim_dbg_id id;
};

/**
 * struct iub_sim_chan - a simulated DMA channel and the stream behind it
 * @chan: the dmaengine channel
 * @sim: the provider
 * @num: channel number on the provider (also in its debugfs name)
 * @lock: protects everything below marked so, and the progress fields of
 *	the descriptors on the channel's lists
 * @prepared: prepared, not yet submitted; protected by @lock
 * @submitted: submitted, not yet issued; protected by @lock
 * @issued: issued, waiting for the worker; protected by @lock
 * @active: the descriptor the worker is on, on no list; protected by @lock
 * @completed: finished, callback not yet run; protected by @lock
 * @terminated: dropped by terminate_all, to be freed once the worker and
 *	the callbacks are known to be done with them; protected by @lock
 * @cyclic_pending: period callbacks of @active not yet delivered;
 *	protected by @lock
 * @error_cookie: cookie of the last descriptor that failed; protected by
 *	@lock
 * @cfg: last slave configuration; protected by @lock
 * @stream_gen: bumped on every stream reset, so that the worker drops the
 *	result of a chunk it moved across a reset; protected by @lock
 * @seed: seed of the stream; protected by @lock
 * @index: index of the next device-to-memory word; protected by @lock
 * @check: verifier of the memory-to-device side; protected by @lock
 * @stats: counters; protected by @lock
 * @rate: bytes per second, 0 for as fast as possible; protected by @lock
 * @paced: @epoch is valid (rate limiting in progress); protected by @lock
 * @epoch: start of the current rate window; protected by @lock
 * @epoch_bytes: bytes moved since @epoch; protected by @lock
 * @realtime: real-time mode: the device-to-memory stream advances with the
 *	converter's clock (@rate) whether or not a descriptor takes it, and
 *	what none takes is dropped (see iub_sim_rt_drop()); protected by @lock
 * @rt_running: the real-time converter runs: since the first descriptor
 *	issued after realtime was turned on, the stream reset, or the last
 *	terminate; protected by @lock
 * @rt_epoch: reference time of the converter's clock; protected by @lock
 * @rt_epoch_bytes: bytes the converter had produced at @rt_epoch (since it
 *	started); protected by @lock
 * @rt_pos: bytes of the converter's output written to memory or dropped
 *	since it started, a multiple of the word size; never ahead of what
 *	the clock produced; protected by @lock
 * @fail_next: descriptors left to fail; protected by @lock
 * @fail_result: result a failed descriptor reports; protected by @lock
 * @stall: no progress until terminated; protected by @lock
 * @delay_us: minimum duration of a descriptor; protected by @lock
 * @gap_pending: words to skip before the next device-to-memory step;
 *	protected by @lock
 * @sync_delay_ms: how long a consumer's device_synchronize sleeps;
 *	protected by @lock
 * @short_next: bytes the next non-cyclic descriptor ends short, 0 for
 *	none; protected by @lock
 * @in_sync: consumers inside device_synchronize now (atomic: read by
 *	free_chan_resources to catch a channel given back under a consumer)
 * @dbg: one entry per debugfs file of the channel
 * @work: the data mover ("the hardware"), on the provider's workqueue
 * @complete_work: runs the callbacks, on system_bh_wq like a tasklet would
 * @timer: wakes @work when the rate limit or a delay allows progress
 */
struct iub_sim_chan {
	struct dma_chan chan;
	struct iub_sim_dma *sim;
	unsigned int num;

	spinlock_t lock; /* see the kernel-doc above */
	struct list_head prepared;
	struct list_head submitted;
	struct list_head issued;
	struct iub_sim_desc *active;
	struct list_head completed;
	struct list_head terminated;
	unsigned int cyclic_pending;
	dma_cookie_t error_cookie;
	struct dma_slave_config cfg;

	unsigned int stream_gen;
	u32 seed;
	u64 index;
	struct iub_sim_stream_check check;
	struct iub_sim_stats stats;

	u64 rate;
	bool paced;
	ktime_t epoch;
	u64 epoch_bytes;

	bool realtime;
	bool rt_running;
	ktime_t rt_epoch;
	u64 rt_epoch_bytes;
	u64 rt_pos;

	u32 fail_next;
	u32 fail_result;
	bool stall;
	u32 delay_us;
	u32 gap_pending;
	u32 sync_delay_ms;
	u32 short_next;
	atomic_t in_sync;

	struct iub_sim_dbg_file dbg[IUB_SIM_DBG_NR];

	struct work_struct work;
	struct work_struct complete_work;
	struct hrtimer timer;
};

/**
 * struct iub_sim_dma - the simulated DMA controller
 * @ddev: the dmaengine device
 * @dev: the platform device's device, against which consumers map memory
 * @dma_mask: highest DMA address the device reaches (its DMA mask)
 * @mem_width: width of the memory-side bus in bytes
 * @align: what segment addresses and lengths must be multiples of: the
 *	wider of the device-side (4 bytes) and the memory-side bus
 * @max_seg: longest segment in bytes (the device's max_seg_size)
 * @wq: workqueue of the channel workers
 * @debugfs: root of the debugfs tree
 * @map: the dma_slave_map: the "map" parameter's entries, then one
 *	"iub-sim-dmatest"/"chan<n>" entry per channel
 * @mapcnt: number of entries in @map
 * @map_str: copy of the "map" parameter, cut up in place for @map
 * @test_slave: storage for the "chan<n>" names
 * @nchans: number of entries in @chans
 * @chans: the channels
 */
struct iub_sim_dma {
	struct dma_device ddev;
	struct device *dev;
	u64 dma_mask;
	u32 mem_width;
	u32 align;
	unsigned int max_seg;
	struct workqueue_struct *wq;
	struct dentry *debugfs;
	struct dma_slave_map *map;
	unsigned int mapcnt;
	char *map_str;
	char test_slave[IUB_SIM_MAX_CHANNELS][16];
	unsigned int nchans;
	struct iub_sim_chan chans[] __counted_by(nchans);
};

static inline struct iub_sim_chan *to_iub_sim_chan(struct dma_chan *chan)
{
	return container_of(chan, struct iub_sim_chan, chan);
}

/* sim_dma_engine.c */
void iub_sim_chan_init(struct iub_sim_dma *sim, struct iub_sim_chan *c,
		       unsigned int index);
void iub_sim_chan_fini(struct iub_sim_chan *c);
void iub_sim_dma_init_ops(struct iub_sim_dma *sim);
void iub_sim_reset_stream_locked(struct iub_sim_chan *c, u32 seed);
void iub_sim_kick_locked(struct iub_sim_chan *c);
void iub_sim_set_rate_locked(struct iub_sim_chan *c, u64 rate);
void iub_sim_set_realtime_locked(struct iub_sim_chan *c, bool on);
void iub_sim_rt_settle_locked(struct iub_sim_chan *c);

/* sim_dma_core.c */
void iub_sim_get_stats_locked(struct iub_sim_chan *c, struct iub_sim_stats *st);
int iub_sim_set_fault_locked(struct iub_sim_chan *c, enum iub_sim_fault fault,
			     u32 value);
u32 iub_sim_get_fault_locked(struct iub_sim_chan *c, enum iub_sim_fault fault);

/* sim_dma_debugfs.c */
void iub_sim_debugfs_init(struct iub_sim_dma *sim);
void iub_sim_debugfs_fini(struct iub_sim_dma *sim);

#endif /* _IUB_SIM_DMA_PRIV_H */
