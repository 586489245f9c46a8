// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs of the simulated DMA controller: rates, stream state, counters
 * and fault injection, one directory per channel.
 *
 *   /sys/kernel/debug/iub-sim-dma/map          which name reaches which channel
 *   /sys/kernel/debug/iub-sim-dma/hold_resv    write "FD MS": lock the
 *                                              reservation of the DMABUF
 *                                              behind the writer's FD for MS
 *                                              milliseconds, like another
 *                                              driver busy with the buffer
 *   /sys/kernel/debug/iub-sim-dma/chan<n>/     see enum iub_sim_dbg_id, plus
 *                                              "info", a readable summary
 *
 * Real hardware has none of this: its rate is the converter's clock, and
 * its faults are not on request.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "sim_compat.h"
#include "sim_dma.h"

IUB_SIM_IMPORT_DMA_BUF_NS();

/**
 * struct iub_sim_resv_hold - a reservation lock held for a while
 * @work: takes the lock, sleeps, drops it: one task does both, as a
 *	ww_mutex requires
 * @dmabuf: the buffer, referenced until the lock is dropped
 * @ms: how long
 * @locked: completed once the lock is held
 */
struct iub_sim_resv_hold {
	struct work_struct work;
	struct dma_buf *dmabuf;
	unsigned int ms;
	struct completion locked;
};

/* runs the holds; destroyed (so waited for) when the debugfs tree goes */
static struct workqueue_struct *iub_sim_hold_wq;

static void iub_sim_resv_hold_work(struct work_struct *work)
{
	struct iub_sim_resv_hold *h = container_of(work, struct iub_sim_resv_hold,
						   work);
	struct dma_buf *dmabuf = h->dmabuf;
	unsigned int ms = h->ms;

	dma_resv_lock(dmabuf->resv, NULL);
	complete(&h->locked);	/* the writer frees @h once woken */
	msleep(ms);
	dma_resv_unlock(dmabuf->resv);
	dma_buf_put(dmabuf);
}

static ssize_t iub_sim_hold_resv_write(struct file *file,
				       const char __user *ubuf, size_t len,
				       loff_t *ppos)
{
	struct iub_sim_resv_hold *h;
	unsigned int ms;
	char buf[32];
	int fd;

	if (!iub_sim_hold_wq)
		return -ENODEV;
	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (sscanf(buf, "%d %u", &fd, &ms) != 2 || ms > 60000)
		return -EINVAL;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->dmabuf = dma_buf_get(fd);
	if (IS_ERR(h->dmabuf)) {
		kfree(h);
		return -EBADF;
	}
	h->ms = ms;
	init_completion(&h->locked);
	INIT_WORK(&h->work, iub_sim_resv_hold_work);
	queue_work(iub_sim_hold_wq, &h->work);
	/* the lock is held when the write returns */
	wait_for_completion(&h->locked);
	kfree(h);
	return len;
}

static const struct file_operations iub_sim_hold_resv_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = iub_sim_hold_resv_write,
	.llseek = noop_llseek,
};

static const struct {
	const char *name;
	umode_t mode;
} iub_sim_dbg_files[IUB_SIM_DBG_NR] = {
	[IUB_SIM_DBG_RATE] = { "rate", 0600 },
	[IUB_SIM_DBG_SEED] = { "seed", 0600 },
	[IUB_SIM_DBG_RESET] = { "reset", 0200 },
	[IUB_SIM_DBG_INDEX] = { "index", 0400 },
	[IUB_SIM_DBG_PRODUCED] = { "produced_bytes", 0400 },
	[IUB_SIM_DBG_CONSUMED] = { "consumed_bytes", 0400 },
	[IUB_SIM_DBG_MISMATCHES] = { "mismatches", 0400 },
	[IUB_SIM_DBG_FAIL_NEXT] = { "fail_next", 0600 },
	[IUB_SIM_DBG_FAIL_RESULT] = { "fail_result", 0600 },
	[IUB_SIM_DBG_STALL] = { "stall", 0600 },
	[IUB_SIM_DBG_DELAY_US] = { "delay_us", 0600 },
	[IUB_SIM_DBG_GAP] = { "gap", 0200 },
	[IUB_SIM_DBG_REFUSED] = { "refused", 0400 },
	[IUB_SIM_DBG_SYNC_DELAY_MS] = { "sync_delay_ms", 0600 },
	[IUB_SIM_DBG_SHORT_NEXT] = { "short_next", 0600 },
	[IUB_SIM_DBG_REALTIME] = { "realtime", 0600 },
	[IUB_SIM_DBG_DROPPED] = { "dropped_bytes", 0400 },
};

static const enum iub_sim_fault iub_sim_dbg_fault[IUB_SIM_DBG_NR] = {
	[IUB_SIM_DBG_FAIL_NEXT] = IUB_SIM_FAULT_FAIL_NEXT,
	[IUB_SIM_DBG_FAIL_RESULT] = IUB_SIM_FAULT_FAIL_RESULT,
	[IUB_SIM_DBG_STALL] = IUB_SIM_FAULT_STALL,
	[IUB_SIM_DBG_DELAY_US] = IUB_SIM_FAULT_DELAY_US,
	[IUB_SIM_DBG_GAP] = IUB_SIM_FAULT_GAP,
	[IUB_SIM_DBG_SYNC_DELAY_MS] = IUB_SIM_FAULT_SYNC_DELAY_MS,
	[IUB_SIM_DBG_SHORT_NEXT] = IUB_SIM_FAULT_SHORT_NEXT,
};

static int iub_sim_dbg_get(void *data, u64 *val)
{
	struct iub_sim_dbg_file *f = data;
	struct iub_sim_chan *c = f->c;
	struct iub_sim_stats st;
	int ret = 0;

	spin_lock_irq(&c->lock);
	iub_sim_get_stats_locked(c, &st);
	switch (f->id) {
	case IUB_SIM_DBG_RATE:
		*val = c->rate;
		break;
	case IUB_SIM_DBG_SEED:
		*val = st.seed;
		break;
	case IUB_SIM_DBG_INDEX:
		*val = st.index;
		break;
	case IUB_SIM_DBG_PRODUCED:
		*val = st.produced_bytes;
		break;
	case IUB_SIM_DBG_CONSUMED:
		*val = st.consumed_bytes;
		break;
	case IUB_SIM_DBG_MISMATCHES:
		*val = st.mismatches;
		break;
	case IUB_SIM_DBG_REFUSED:
		*val = st.refused;
		break;
	case IUB_SIM_DBG_REALTIME:
		*val = c->realtime;
		break;
	case IUB_SIM_DBG_DROPPED:
		*val = st.dropped_bytes;
		break;
	case IUB_SIM_DBG_FAIL_NEXT:
	case IUB_SIM_DBG_FAIL_RESULT:
	case IUB_SIM_DBG_STALL:
	case IUB_SIM_DBG_DELAY_US:
	case IUB_SIM_DBG_SYNC_DELAY_MS:
	case IUB_SIM_DBG_SHORT_NEXT:
		*val = iub_sim_get_fault_locked(c, iub_sim_dbg_fault[f->id]);
		break;
	default:
		ret = -EPERM;
	}
	spin_unlock_irq(&c->lock);
	return ret;
}

static int iub_sim_dbg_set(void *data, u64 val)
{
	struct iub_sim_dbg_file *f = data;
	struct iub_sim_chan *c = f->c;
	int ret = 0;

	spin_lock_irq(&c->lock);
	switch (f->id) {
	case IUB_SIM_DBG_RATE:
		iub_sim_set_rate_locked(c, val);
		break;
	case IUB_SIM_DBG_REALTIME:
		if (val > 1)
			ret = -EINVAL;
		else
			iub_sim_set_realtime_locked(c, val);
		break;
	case IUB_SIM_DBG_SEED:
		if (val > U32_MAX)
			ret = -EINVAL;
		else
			iub_sim_reset_stream_locked(c, val);
		break;
	case IUB_SIM_DBG_RESET:
		iub_sim_reset_stream_locked(c, c->seed);
		break;
	case IUB_SIM_DBG_FAIL_NEXT:
	case IUB_SIM_DBG_FAIL_RESULT:
	case IUB_SIM_DBG_STALL:
	case IUB_SIM_DBG_DELAY_US:
	case IUB_SIM_DBG_GAP:
	case IUB_SIM_DBG_SYNC_DELAY_MS:
	case IUB_SIM_DBG_SHORT_NEXT:
		if (val > U32_MAX)
			ret = -EINVAL;
		else
			ret = iub_sim_set_fault_locked(c,
						       iub_sim_dbg_fault[f->id],
						       val);
		break;
	default:
		ret = -EPERM;
	}
	spin_unlock_irq(&c->lock);
	return ret;
}

DEFINE_DEBUGFS_ATTRIBUTE(iub_sim_dbg_fops, iub_sim_dbg_get, iub_sim_dbg_set,
			 "%llu\n");

static const char *iub_sim_state(struct iub_sim_chan *c)
{
	lockdep_assert_held(&c->lock);

	if (c->stall)
		return "stalled";
	if (c->active)
		return c->active->cyclic ? "running (cyclic)" : "running";
	return list_empty(&c->issued) ? "idle" : "pending";
}

static unsigned int iub_sim_count(struct list_head *list)
{
	struct list_head *pos;
	unsigned int n = 0;

	list_for_each(pos, list)
		n++;
	return n;
}

static int iub_sim_info_show(struct seq_file *m, void *unused)
{
	struct iub_sim_chan *c = m->private;
	struct iub_sim_dma *sim = c->sim;
	struct iub_sim_stats st;
	unsigned int i;

	seq_printf(m, "channel:          %u\n", c->num);
	seq_puts(m, "names:           ");
	for (i = 0; i < sim->mapcnt; i++)
		if ((uintptr_t)sim->map[i].param == c->num)
			seq_printf(m, " %s:%s", sim->map[i].devname,
				   sim->map[i].slave);
	seq_putc(m, '\n');
	seq_printf(m, "claimed:          %s\n",
		   READ_ONCE(c->chan.client_count) ? "yes" : "no");
	seq_printf(m, "constraints:      DMA mask 0x%llx, %u-byte memory bus, segments up to %u bytes\n",
		   sim->dma_mask, sim->mem_width, sim->max_seg);

	spin_lock_irq(&c->lock);
	iub_sim_get_stats_locked(c, &st);
	seq_printf(m, "state:            %s\n", iub_sim_state(c));
	seq_printf(m, "queued:           %u submitted, %u issued, %u to call back\n",
		   iub_sim_count(&c->submitted), iub_sim_count(&c->issued),
		   iub_sim_count(&c->completed));
	seq_printf(m, "rate:             %llu bytes/s%s\n", c->rate,
		   c->rate ? "" : " (as fast as possible)");
	seq_printf(m, "realtime:         %u%s\n", c->realtime,
		   c->rt_running ? " (running)" : "");
	seq_printf(m, "dropped_bytes:    %llu\n", st.dropped_bytes);
	seq_printf(m, "seed:             0x%08x\n", st.seed);
	seq_printf(m, "index:            %llu\n", st.index);
	seq_printf(m, "produced_bytes:   %llu\n", st.produced_bytes);
	seq_printf(m, "consumed_bytes:   %llu\n", st.consumed_bytes);
	seq_printf(m, "mismatches:       %llu\n", st.mismatches);
	if (st.mismatches)
		seq_printf(m, "first_mismatch:   byte %llu expected 0x%08x got 0x%08x\n",
			   st.first_bad_byte, st.first_expected, st.first_got);
	seq_printf(m, "completed:        %llu\n", st.completed);
	seq_printf(m, "failed:           %llu\n", st.failed);
	seq_printf(m, "refused:          %llu\n", st.refused);
	seq_printf(m, "fail_next:        %u\n", c->fail_next);
	seq_printf(m, "fail_result:      %u\n", c->fail_result);
	seq_printf(m, "stall:            %u\n", c->stall);
	seq_printf(m, "delay_us:         %u\n", c->delay_us);
	seq_printf(m, "gap_pending:      %u\n", c->gap_pending);
	seq_printf(m, "sync_delay_ms:    %u\n", c->sync_delay_ms);
	seq_printf(m, "short_next:       %u\n", c->short_next);
	seq_printf(m, "in_sync:          %d\n", atomic_read(&c->in_sync));
	spin_unlock_irq(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iub_sim_info);

static int iub_sim_map_show(struct seq_file *m, void *unused)
{
	struct iub_sim_dma *sim = m->private;
	unsigned int i;

	for (i = 0; i < sim->mapcnt; i++)
		seq_printf(m, "chan%lu %s %s\n", (uintptr_t)sim->map[i].param,
			   sim->map[i].devname, sim->map[i].slave);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iub_sim_map);

/**
 * iub_sim_debugfs_init() - create the debugfs tree
 * @sim: the provider
 *
 * debugfs failures are not errors: the channels work without it.
 */
void iub_sim_debugfs_init(struct iub_sim_dma *sim)
{
	struct dentry *dir;
	unsigned int i, f;
	char name[16];

	sim->debugfs = debugfs_create_dir(IUB_SIM_DRV_NAME, NULL);
	debugfs_create_file("map", 0400, sim->debugfs, sim, &iub_sim_map_fops);
	iub_sim_hold_wq = alloc_workqueue("iub-sim-hold-resv", WQ_UNBOUND, 0);
	debugfs_create_file("hold_resv", 0200, sim->debugfs, NULL,
			    &iub_sim_hold_resv_fops);

	for (i = 0; i < sim->nchans; i++) {
		struct iub_sim_chan *c = &sim->chans[i];

		snprintf(name, sizeof(name), "chan%u", i);
		dir = debugfs_create_dir(name, sim->debugfs);
		debugfs_create_file("info", 0400, dir, c, &iub_sim_info_fops);
		for (f = 0; f < IUB_SIM_DBG_NR; f++) {
			c->dbg[f].c = c;
			c->dbg[f].id = f;
			debugfs_create_file_unsafe(iub_sim_dbg_files[f].name,
						   iub_sim_dbg_files[f].mode,
						   dir, &c->dbg[f],
						   &iub_sim_dbg_fops);
		}
	}
}

/**
 * iub_sim_debugfs_fini() - remove the debugfs tree
 * @sim: the provider
 *
 * Waits for readers and writers of the files to leave.
 */
void iub_sim_debugfs_fini(struct iub_sim_dma *sim)
{
	debugfs_remove_recursive(sim->debugfs);
	sim->debugfs = NULL;
	if (iub_sim_hold_wq) {
		destroy_workqueue(iub_sim_hold_wq);	/* waits for the holds */
		iub_sim_hold_wq = NULL;
	}
}
