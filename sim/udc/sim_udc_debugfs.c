// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs of the simulated UDC: the simulated host's state and knobs, and
 * one directory of counters and knobs per data endpoint.
 *
 *   /sys/kernel/debug/iub-sim-udc/state        driver, speed, configured, ...
 *   /sys/kernel/debug/iub-sim-udc/disconnect   write: the host goes away
 *   /sys/kernel/debug/iub-sim-udc/connect      write: the host comes back
 *   /sys/kernel/debug/iub-sim-udc/misuse       gadget API violations caught
 *   /sys/kernel/debug/iub-sim-udc/control      write: a control request
 *   /sys/kernel/debug/iub-sim-udc/ep<N>{in,out}/  see enum iub_sim_udc_dbg_id
 *
 * A real controller has none of this: the host is a machine at the other
 * end of a cable.
 */
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "sim_udc.h"

#define IUB_SIM_UDC_DIR_IN	BIT(0)
#define IUB_SIM_UDC_DIR_OUT	BIT(1)
#define IUB_SIM_UDC_DIR_BOTH	(IUB_SIM_UDC_DIR_IN | IUB_SIM_UDC_DIR_OUT)

static const struct {
	const char *name;
	umode_t mode;
	unsigned int dirs;
} iub_sim_udc_dbg_files[IUB_SIM_UDC_DBG_NR] = {
	[IUB_SIM_UDC_DBG_BYTES] = { "bytes", 0400, IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_REQUESTS] = { "requests", 0400, IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_ERRORS] = { "errors", 0400, IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_MISMATCHES] = { "mismatches", 0400, IUB_SIM_UDC_DIR_IN },
	[IUB_SIM_UDC_DBG_ZLPS] = { "zlps", 0400, IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_QUEUED] = { "queued", 0400, IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_SG_REQUESTS] = { "sg_requests", 0400,
					  IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_PREMAPPED] = { "premapped", 0400,
					IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_LONG_SEGS] = { "long_segs", 0400,
					IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_RATE] = { "rate", 0600, IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_PAUSE] = { "pause", 0600, IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_RESET] = { "reset", 0200, IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_VERIFY] = { "verify", 0600, IUB_SIM_UDC_DIR_IN },
	[IUB_SIM_UDC_DBG_FILL] = { "fill", 0600, IUB_SIM_UDC_DIR_OUT },
	[IUB_SIM_UDC_DBG_SEED] = { "seed", 0600, IUB_SIM_UDC_DIR_OUT },
	[IUB_SIM_UDC_DBG_POSITION] = { "position", 0400, IUB_SIM_UDC_DIR_OUT },
	[IUB_SIM_UDC_DBG_SHORT_NEXT] = { "short_next", 0600,
					 IUB_SIM_UDC_DIR_OUT },
	[IUB_SIM_UDC_DBG_OWNED] = { "owned", 0400, IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_GIVEBACK_DELAY] = { "giveback_delay_us", 0600,
					     IUB_SIM_UDC_DIR_BOTH },
	[IUB_SIM_UDC_DBG_DEQUEUE_DELAY] = { "dequeue_delay_us", 0600,
					    IUB_SIM_UDC_DIR_BOTH },
};

static int iub_sim_udc_dbg_get(void *data, u64 *val)
{
	struct iub_sim_udc_dbg_file *f = data;
	struct iub_sim_udc_ep *ep = f->ep;
	int ret = 0;

	spin_lock_irq(&ep->lock);
	switch (f->id) {
	case IUB_SIM_UDC_DBG_BYTES:
		*val = ep->stats.bytes;
		break;
	case IUB_SIM_UDC_DBG_REQUESTS:
		*val = ep->stats.requests;
		break;
	case IUB_SIM_UDC_DBG_ERRORS:
		*val = ep->stats.errors;
		break;
	case IUB_SIM_UDC_DBG_MISMATCHES:
		*val = ep->check.mismatches;
		break;
	case IUB_SIM_UDC_DBG_ZLPS:
		*val = ep->stats.zlps;
		break;
	case IUB_SIM_UDC_DBG_QUEUED:
		*val = list_count_nodes(&ep->queue);
		break;
	case IUB_SIM_UDC_DBG_SG_REQUESTS:
		*val = ep->stats.sg_requests;
		break;
	case IUB_SIM_UDC_DBG_PREMAPPED:
		*val = ep->stats.premapped;
		break;
	case IUB_SIM_UDC_DBG_LONG_SEGS:
		*val = ep->stats.long_segs;
		break;
	case IUB_SIM_UDC_DBG_RATE:
		*val = ep->rate;
		break;
	case IUB_SIM_UDC_DBG_PAUSE:
		*val = ep->paused;
		break;
	case IUB_SIM_UDC_DBG_VERIFY:
		*val = ep->verify;
		break;
	case IUB_SIM_UDC_DBG_FILL:
		*val = ep->fill;
		break;
	case IUB_SIM_UDC_DBG_SEED:
		*val = ep->seed;
		break;
	case IUB_SIM_UDC_DBG_POSITION:
		*val = ep->position;
		break;
	case IUB_SIM_UDC_DBG_SHORT_NEXT:
		*val = (u64)ep->short_next;
		break;
	case IUB_SIM_UDC_DBG_OWNED:
		*val = iub_sim_udc_ep_owned_locked(ep);
		break;
	case IUB_SIM_UDC_DBG_GIVEBACK_DELAY:
		*val = ktime_to_us(ep->giveback_delay);
		break;
	case IUB_SIM_UDC_DBG_DEQUEUE_DELAY:
		*val = ktime_to_us(ep->dequeue_delay);
		break;
	default:
		ret = -EPERM;
	}
	spin_unlock_irq(&ep->lock);
	return ret;
}

static int iub_sim_udc_dbg_set(void *data, u64 val)
{
	struct iub_sim_udc_dbg_file *f = data;
	struct iub_sim_udc_ep *ep = f->ep;
	bool kick = false;
	s64 sval = (s64)val;
	int ret = 0;

	spin_lock_irq(&ep->lock);
	switch (f->id) {
	case IUB_SIM_UDC_DBG_RATE:
		if (val > IUB_SIM_UDC_RATE_MAX) {
			ret = -EINVAL;
			break;
		}
		ep->rate = val;
		iub_sim_udc_ep_pace_reset_locked(ep);
		kick = true;
		break;
	case IUB_SIM_UDC_DBG_PAUSE:
		ep->paused = !!val;
		kick = !val;
		break;
	case IUB_SIM_UDC_DBG_RESET:
		memset(&ep->stats, 0, sizeof(ep->stats));
		iub_sim_udc_ep_reset_stream_locked(ep);
		break;
	case IUB_SIM_UDC_DBG_VERIFY:
		ep->verify = !!val;
		iub_sim_stream_check_init(&ep->check);
		ep->carry_len = 0;
		break;
	case IUB_SIM_UDC_DBG_FILL:
		ep->fill = !!val;
		break;
	case IUB_SIM_UDC_DBG_SEED:
		if (val > U32_MAX) {
			ret = -EINVAL;
			break;
		}
		ep->seed = val;
		ep->position = 0;
		break;
	case IUB_SIM_UDC_DBG_SHORT_NEXT:
		if (sval < -1 || sval > U32_MAX) {
			ret = -EINVAL;
			break;
		}
		ep->short_next = sval;
		break;
	case IUB_SIM_UDC_DBG_GIVEBACK_DELAY:
	case IUB_SIM_UDC_DBG_DEQUEUE_DELAY:
		/* requests already on their way back keep their time */
		if (val > IUB_SIM_UDC_DELAY_MAX_US) {
			ret = -EINVAL;
			break;
		}
		if (f->id == IUB_SIM_UDC_DBG_GIVEBACK_DELAY)
			ep->giveback_delay = ns_to_ktime(val * NSEC_PER_USEC);
		else
			ep->dequeue_delay = ns_to_ktime(val * NSEC_PER_USEC);
		break;
	default:
		ret = -EPERM;
	}
	spin_unlock_irq(&ep->lock);
	if (kick)
		iub_sim_udc_ep_kick(ep);
	return ret;
}

DEFINE_DEBUGFS_ATTRIBUTE(iub_sim_udc_dbg_fops, iub_sim_udc_dbg_get,
			 iub_sim_udc_dbg_set, "%llu\n");
DEFINE_DEBUGFS_ATTRIBUTE_SIGNED(iub_sim_udc_dbg_signed_fops,
				iub_sim_udc_dbg_get, iub_sim_udc_dbg_set,
				"%lld\n");

static const char *iub_sim_udc_type(const struct usb_endpoint_descriptor *d)
{
	if (!d)
		return "-";
	return usb_endpoint_xfer_int(d) ? "interrupt" : "bulk";
}

/* Everything about one endpoint at once. */
static int iub_sim_udc_ep_info_show(struct seq_file *s, void *unused)
{
	struct iub_sim_udc_ep *ep = s->private;
	struct iub_sim_udc_stats st;
	struct iub_sim_stream_check c;
	size_t queued, owned;
	bool enabled, halted, paused, verify, fill;
	u64 rate, position, giveback_us, dequeue_us;
	s64 short_next;
	u32 seed;

	spin_lock_irq(&ep->lock);
	st = ep->stats;
	c = ep->check;
	queued = list_count_nodes(&ep->queue);
	owned = iub_sim_udc_ep_owned_locked(ep);
	giveback_us = ktime_to_us(ep->giveback_delay);
	dequeue_us = ktime_to_us(ep->dequeue_delay);
	enabled = ep->enabled;
	halted = ep->halted;
	paused = ep->paused;
	verify = ep->verify;
	fill = ep->fill;
	rate = ep->rate;
	position = ep->position;
	short_next = ep->short_next;
	seed = ep->seed;
	spin_unlock_irq(&ep->lock);

	seq_printf(s, "name: %s\n", ep->ep.name);
	seq_printf(s, "enabled: %d\n", enabled);
	seq_printf(s, "type: %s\n", enabled ? iub_sim_udc_type(ep->ep.desc) : "-");
	seq_printf(s, "maxpacket: %u\n", ep->ep.maxpacket);
	seq_printf(s, "halted: %d\n", halted);
	seq_printf(s, "paused: %d\n", paused);
	seq_printf(s, "rate: %llu\n", rate);
	seq_printf(s, "queued: %zu\n", queued);
	seq_printf(s, "owned: %zu\n", owned);
	seq_printf(s, "giveback_delay_us: %llu\n", giveback_us);
	seq_printf(s, "dequeue_delay_us: %llu\n", dequeue_us);
	seq_printf(s, "bytes: %llu\n", st.bytes);
	seq_printf(s, "requests: %llu\n", st.requests);
	seq_printf(s, "errors: %llu\n", st.errors);
	seq_printf(s, "zlps: %llu\n", st.zlps);
	seq_printf(s, "sg_requests: %llu\n", st.sg_requests);
	seq_printf(s, "premapped: %llu\n", st.premapped);
	seq_printf(s, "long_segs: %llu\n", st.long_segs);
	if (ep->is_in) {
		seq_printf(s, "verify: %d\n", verify);
		seq_printf(s, "words_checked: %llu\n", c.words);
		seq_printf(s, "mismatches: %llu\n", c.mismatches);
		if (c.mismatches)
			seq_printf(s, "first_mismatch: word %llu expected 0x%08x got 0x%08x\n",
				   c.first_bad, c.first_expected, c.first_got);
	} else {
		seq_printf(s, "fill: %d\n", fill);
		seq_printf(s, "seed: 0x%08x\n", seed);
		seq_printf(s, "position: %llu\n", position);
		seq_printf(s, "short_next: %lld\n", short_next);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iub_sim_udc_ep_info);

/* The simulated host and the bound driver. */
static int iub_sim_udc_state_show(struct seq_file *s, void *unused)
{
	struct iub_sim_udc *udc = s->private;
	struct usb_gadget_driver *driver;
	char name[64] = "-";
	bool pullup, want, connected, configured;
	unsigned int intfs, eps, i;
	u16 vendor, product;
	const char *step;
	u64 enumerations;
	int err;
	u8 config;

	spin_lock_irq(&udc->lock);
	driver = udc->driver;
	if (driver)
		strscpy(name, driver->function ?: driver->driver.name ?: "?",
			sizeof(name));
	pullup = udc->pullup;
	want = udc->want_host;
	connected = udc->connected;
	configured = udc->configured;
	config = udc->config_value;
	enumerations = udc->enumerations;
	err = udc->last_error;
	step = udc->last_step;
	vendor = udc->vendor;
	product = udc->product;
	intfs = udc->interfaces;
	eps = udc->endpoints;
	spin_unlock_irq(&udc->lock);

	seq_printf(s, "driver: %s\n", name);
	seq_printf(s, "max_speed: %s\n", usb_speed_string(udc->max_speed));
	seq_printf(s, "speed: %s\n", usb_speed_string(udc->gadget.speed));
	seq_printf(s, "pullup: %d\n", pullup);
	seq_printf(s, "host: %d\n", want);
	seq_printf(s, "connected: %d\n", connected);
	seq_printf(s, "configured: %d\n", configured);
	seq_printf(s, "configuration: %u\n", configured ? config : 0);
	seq_printf(s, "gadget_state: %s\n", usb_state_string(udc->gadget.state));
	seq_printf(s, "device: %04x:%04x\n", vendor, product);
	seq_printf(s, "interfaces: %u\n", intfs);
	seq_printf(s, "endpoints: %u\n", eps);
	seq_printf(s, "enumerations: %llu\n", enumerations);
	seq_printf(s, "last_error: %d%s%s\n", err, step ? " at " : "",
		   step ?: "");
	seq_printf(s, "misuse: %d\n", atomic_read(&udc->misuse));
	seq_printf(s, "dma_dev: %s\n", dev_name(udc->dma_dev));
	for (i = 1; i < IUB_SIM_UDC_NUM_EPS; i++) {
		struct iub_sim_udc_ep *ep = &udc->ep[i];
		bool enabled;
		size_t queued;
		u64 bytes;

		spin_lock_irq(&ep->lock);
		enabled = ep->enabled;
		queued = list_count_nodes(&ep->queue);
		bytes = ep->stats.bytes;
		spin_unlock_irq(&ep->lock);
		seq_printf(s, "%s: %s maxpacket %u queued %zu bytes %llu\n",
			   ep->ep.name, enabled ? "enabled" : "disabled",
			   ep->ep.maxpacket, queued, bytes);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iub_sim_udc_state);

static int iub_sim_udc_disconnect_set(void *data, u64 val)
{
	iub_sim_udc_set_host(data, false);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(iub_sim_udc_disconnect_fops, NULL,
			 iub_sim_udc_disconnect_set, "%llu\n");

static int iub_sim_udc_connect_set(void *data, u64 val)
{
	iub_sim_udc_set_host(data, true);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(iub_sim_udc_connect_fops, NULL,
			 iub_sim_udc_connect_set, "%llu\n");

static int iub_sim_udc_control_set(void *data, u64 val)
{
	return iub_sim_udc_host_request(data, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(iub_sim_udc_control_fops, NULL,
			 iub_sim_udc_control_set, "%llu\n");

static int iub_sim_udc_misuse_get(void *data, u64 *val)
{
	struct iub_sim_udc *udc = data;

	*val = atomic_read(&udc->misuse);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(iub_sim_udc_misuse_fops, iub_sim_udc_misuse_get, NULL,
			 "%llu\n");

/* OUT "inject": each write is one bulk OUT transfer of the host. */
static ssize_t iub_sim_udc_inject_write(struct file *file,
					const char __user *buf, size_t count,
					loff_t *ppos)
{
	struct iub_sim_udc_ep *ep = file->private_data;
	struct iub_sim_udc_hxfer *hx;
	int ret;

	if (!count || count > IUB_SIM_UDC_INJECT_MAX)
		return -EINVAL;
	hx = kmalloc(struct_size(hx, data, count), GFP_KERNEL);
	if (!hx)
		return -ENOMEM;
	if (copy_from_user(hx->data, buf, count)) {
		kfree(hx);
		return -EFAULT;
	}
	hx->len = count;
	hx->pos = 0;
	ret = iub_sim_udc_ep_inject(ep, hx);
	return ret ? ret : count;
}

static const struct file_operations iub_sim_udc_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = iub_sim_udc_inject_write,
};

/* IN "capture", write N: capture the next N requests the host reads. */
static ssize_t iub_sim_udc_capture_write(struct file *file,
					 const char __user *buf, size_t count,
					 loff_t *ppos)
{
	struct iub_sim_udc_ep *ep = file->private_data;
	unsigned int n;
	u8 *mem = NULL;
	int ret;

	ret = kstrtouint_from_user(buf, count, 0, &n);
	if (ret)
		return ret;
	if (!READ_ONCE(ep->cap_buf)) {
		mem = vmalloc(IUB_SIM_UDC_CAPTURE_BUF);
		if (!mem)
			return -ENOMEM;
	}
	spin_lock_irq(&ep->lock);
	if (!ep->cap_buf) {
		ep->cap_buf = mem;
		mem = NULL;
	}
	ep->capture_n = n;
	spin_unlock_irq(&ep->lock);
	vfree(mem);
	iub_sim_udc_ep_kick(ep);
	return count;
}

/* The first complete record's length, or -EAGAIN. Lock held. */
static int iub_sim_udc_capture_first(struct iub_sim_udc_ep *ep)
	__must_hold(&ep->lock)
{
	if (!ep->cap_len || !ep->cap_rec)
		return -EAGAIN;
	return *(u32 *)ep->cap_buf;
}

/* IN "capture", read: the oldest captured request, whole, and forget it. */
static ssize_t iub_sim_udc_capture_read(struct file *file, char __user *buf,
					size_t count, loff_t *ppos)
{
	struct iub_sim_udc_ep *ep = file->private_data;
	unsigned int rec;
	u8 *mem;
	int len;

	spin_lock_irq(&ep->lock);
	len = ep->cap_buf ? iub_sim_udc_capture_first(ep) : -EAGAIN;
	spin_unlock_irq(&ep->lock);
	if (len < 0)
		return len;
	if (count < len)
		return -EMSGSIZE;
	mem = kvmalloc(len ? len : 1, GFP_KERNEL);
	if (!mem)
		return -ENOMEM;
	spin_lock_irq(&ep->lock);
	if (iub_sim_udc_capture_first(ep) != len) {	/* reset meanwhile */
		spin_unlock_irq(&ep->lock);
		kvfree(mem);
		return -EAGAIN;
	}
	rec = sizeof(u32) + len;
	memcpy(mem, ep->cap_buf + sizeof(u32), len);
	memmove(ep->cap_buf, ep->cap_buf + rec, ep->cap_len - rec);
	ep->cap_len -= rec;
	if (ep->cap_rec > 0)
		ep->cap_rec -= rec;
	spin_unlock_irq(&ep->lock);
	iub_sim_udc_ep_kick(ep);	/* room for a capture that waits */
	if (copy_to_user(buf, mem, len))
		len = -EFAULT;
	kvfree(mem);
	return len;
}

static const struct file_operations iub_sim_udc_capture_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = iub_sim_udc_capture_read,
	.write = iub_sim_udc_capture_write,
};

static void iub_sim_udc_debugfs_ep(struct iub_sim_udc_ep *ep,
				   struct dentry *root)
{
	unsigned int dir = ep->is_in ? IUB_SIM_UDC_DIR_IN : IUB_SIM_UDC_DIR_OUT;
	unsigned int id;

	ep->dbg_dir = debugfs_create_dir(ep->ep.name, root);
	for (id = 0; id < IUB_SIM_UDC_DBG_NR; id++) {
		if (!(iub_sim_udc_dbg_files[id].dirs & dir))
			continue;
		ep->dbg[id].ep = ep;
		ep->dbg[id].id = id;
		debugfs_create_file_unsafe(iub_sim_udc_dbg_files[id].name,
					   iub_sim_udc_dbg_files[id].mode,
					   ep->dbg_dir, &ep->dbg[id],
					   id == IUB_SIM_UDC_DBG_SHORT_NEXT ?
					   &iub_sim_udc_dbg_signed_fops :
					   &iub_sim_udc_dbg_fops);
	}
	debugfs_create_file("info", 0400, ep->dbg_dir, ep,
			    &iub_sim_udc_ep_info_fops);
	if (ep->is_in)
		debugfs_create_file("capture", 0600, ep->dbg_dir, ep,
				    &iub_sim_udc_capture_fops);
	else
		debugfs_create_file("inject", 0200, ep->dbg_dir, ep,
				    &iub_sim_udc_inject_fops);
}

/**
 * iub_sim_udc_debugfs_init() - create /sys/kernel/debug/iub-sim-udc
 * @udc: controller
 *
 * debugfs failures are not errors: the files are simply missing.
 */
void iub_sim_udc_debugfs_init(struct iub_sim_udc *udc)
{
	unsigned int i;

	udc->dbg_root = debugfs_create_dir(IUB_SIM_UDC_NAME, NULL);
	debugfs_create_file("state", 0400, udc->dbg_root, udc,
			    &iub_sim_udc_state_fops);
	debugfs_create_file_unsafe("disconnect", 0200, udc->dbg_root, udc,
				   &iub_sim_udc_disconnect_fops);
	debugfs_create_file_unsafe("connect", 0200, udc->dbg_root, udc,
				   &iub_sim_udc_connect_fops);
	debugfs_create_file_unsafe("misuse", 0400, udc->dbg_root, udc,
				   &iub_sim_udc_misuse_fops);
	debugfs_create_file_unsafe("control", 0200, udc->dbg_root, udc,
				   &iub_sim_udc_control_fops);
	for (i = 1; i < IUB_SIM_UDC_NUM_EPS; i++)
		iub_sim_udc_debugfs_ep(&udc->ep[i], udc->dbg_root);
}

/**
 * iub_sim_udc_debugfs_exit() - remove the debugfs files
 * @udc: controller
 *
 * Returns once no file operation runs any more.
 */
void iub_sim_udc_debugfs_exit(struct iub_sim_udc *udc)
{
	debugfs_remove_recursive(udc->dbg_root);
	udc->dbg_root = NULL;
}
