// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: converter ports, the dmaengine channels of IIO converters.
 *
 * Which channels belong to the bridge is the administrator's decision, made
 * with the "converters" module parameter: a list of "device:channel" pairs
 * (platform device name, dma-names entry). The bridge requests each channel
 * with dma_request_chan() on the converter's device, exactly as the
 * converter's own driver would, and keeps it until the module unloads or
 * the converter goes away (its driver unbinds, its device is deleted: a
 * platform bus notifier ends the port's transfers with -ESHUTDOWN, drops
 * its claim and gives the channel back). A converter that is not there
 * (yet, or again) is looked for when the ports are listed or claimed.
 *
 * Data moves with prep_peripheral_dma_vec() where the channel has it and
 * prep_slave_sg() otherwise, over the buffer's mapping for the channel's DMA
 * device, split into segments no longer than the DMA device's maximum
 * segment size. The port's alignment is the wider of the channel's device
 * and memory bus widths, and every segment must keep it (EINVAL at
 * submission otherwise). Cyclic playback uses prep_dma_cyclic() when the
 * range is one DMA segment, and otherwise re-arms the same range from the
 * completion callback, with nothing else started on the port meanwhile.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "iub_priv.h"

static char *iub_converters;
module_param_named(converters, iub_converters, charp, 0444);
MODULE_PARM_DESC(converters,
		 "DMA channels of IIO converters owned by the bridge: device:channel[,...] (default: none)");

static bool iub_dma_vec = true;
module_param_named(dma_vec, iub_dma_vec, bool, 0444);
MODULE_PARM_DESC(dma_vec,
		 "Use prep_peripheral_dma_vec where a channel has it, else prep_slave_sg (default: Y)");

/* Every converter port; changed only at module init and exit. */
static LIST_HEAD(iub_dma_ports);

/**
 * struct iub_dma_job - what ->prepare found for one transfer
 * @segs: the range's segments, shared (iub_xfer_segs()); with a
 *	scatterlist for prep_slave_sg() where @vec is false
 * @vec: start with prep_peripheral_dma_vec(), else prep_slave_sg()
 * @hw_cyclic: one segment, repeated by prep_dma_cyclic()
 * @trim_v: the transfer's own copy of @segs->v, cut to its length when a
 *	route shortened it after it was prepared (@vec); NULL otherwise
 * @trim_sgt: the same for prep_slave_sg(); @trim_sgt.sgl NULL otherwise
 * @trim_n: the segments of the cut copy; 0 while there is none
 */
struct iub_dma_job {
	struct iub_segs *segs;
	bool vec;
	bool hw_cyclic;
	struct dma_vec *trim_v;
	struct sg_table trim_sgt;
	unsigned int trim_n;
};

static void iub_dma_callback(void *param, const struct dmaengine_result *r)
{
	struct iub_xfer *x = param;

	if (r->result != DMA_TRANS_NOERROR)
		iub_xfer_done(x, -EIO);
	else if (x->flags & IUB_XFER_CYCLIC)
		iub_xfer_dma_period(x);
	else
		iub_xfer_done(x, x->length - r->residue);
}

static int iub_dma_prepare(struct iub_xfer *x)
{
	struct iub_port *port = x->port;
	struct iub_dma_job *job;
	struct dma_chan *chan;
	int ret;

	/* the channel is there while the port is present */
	spin_lock_irq(&port->lock);
	chan = port->present ? port->chan : NULL;
	spin_unlock_irq(&port->lock);
	if (!chan)
		return -ESHUTDOWN;
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	/* prep_slave_sg() needs the scatterlist */
	job->segs = iub_xfer_segs(x, !(port->caps & IUB_PORT_F_DMA_VEC));
	if (IS_ERR(job->segs)) {
		ret = PTR_ERR(job->segs);
		kfree(job);
		return ret;
	}
	job->hw_cyclic = (x->flags & IUB_XFER_CYCLIC) &&
			 job->segs->nents == 1 &&
			 chan->device->device_prep_dma_cyclic;
	job->vec = job->hw_cyclic || (port->caps & IUB_PORT_F_DMA_VEC);
	x->dma_priv = job;
	return 0;
}

/*
 * A route's second stage cut short after it was prepared: its own copy of
 * the segments, cut to its length (once; a repeated start reuses it).
 */
static int iub_dma_trim(struct iub_dma_job *job, u32 len)
{
	if (job->vec) {
		job->trim_v = iub_segs_trim_vec(job->segs, len, &job->trim_n);
		return job->trim_v ? 0 : -ENOMEM;
	}
	if (iub_segs_trim_sgt(job->segs, len, &job->trim_sgt))
		return -ENOMEM;
	job->trim_n = job->trim_sgt.nents;
	return 0;
}

static enum dma_transfer_direction iub_dma_dir(struct iub_port *port)
{
	return port->direction == IUB_DIR_TO_MEM ? DMA_DEV_TO_MEM :
						   DMA_MEM_TO_DEV;
}

static int iub_dma_start(struct iub_xfer *x)
{
	struct iub_port *port = x->port;
	struct iub_dma_job *job = x->dma_priv;
	struct dma_async_tx_descriptor *desc;
	enum dma_transfer_direction dir = iub_dma_dir(port);
	unsigned long flags = DMA_PREP_INTERRUPT;
	unsigned int nents = job->segs->nents;
	struct scatterlist *sgl = job->segs->sgt.sgl;
	struct dma_vec *v = job->segs->v;

	lockdep_assert_held(&port->lock);
	if (!port->present)
		return -ESHUTDOWN;	/* the converter went away */
	/* a route's second stage may have been shortened since prepare */
	if (x->length < job->segs->length && !job->trim_n) {
		int ret = iub_dma_trim(job, x->length);

		if (ret)
			return ret;
	}
	if (job->trim_n) {
		nents = job->trim_n;
		v = job->trim_v;
		sgl = job->trim_sgt.sgl;
	}
	if (job->hw_cyclic)
		desc = dmaengine_prep_dma_cyclic(port->chan, v[0].addr,
						 x->length, x->length, dir,
						 flags);
	else if (job->vec)
		desc = dmaengine_prep_peripheral_dma_vec(port->chan, v, nents,
							 dir, flags);
	else
		desc = dmaengine_prep_slave_sg(port->chan, sgl, nents, dir,
					       flags);
	if (!desc)
		return -ENOMEM;
	desc->callback_result = iub_dma_callback;
	desc->callback_param = x;
	x->cookie = dmaengine_submit(desc);
	if (dma_submit_error(x->cookie))
		return -EIO;
	dma_async_issue_pending(port->chan);
	return 0;
}

static bool iub_dma_rearm(struct iub_xfer *x)
{
	struct iub_dma_job *job = x->dma_priv;

	/* a hardware cyclic descriptor repeats by itself */
	return !job->hw_cyclic;
}

static void iub_dma_cancel(struct iub_port *port)
{
	/*
	 * @port->cancel_lock is held (iub_xfer_end_port()): the channel
	 * cannot be given back meanwhile (iub_port_dma_gone()). No callback
	 * of ours runs after this returns.
	 */
	lockdep_assert_held(&port->cancel_lock);
	if (port->chan)
		dmaengine_terminate_sync(port->chan);
}

static void iub_dma_release(struct iub_xfer *x)
{
	struct iub_dma_job *job = x->dma_priv;

	if (!job)
		return;
	if (job->trim_sgt.sgl)
		sg_free_table(&job->trim_sgt);
	kfree(job->trim_v);
	iub_segs_put(job->segs);
	kfree(job);
}

static void iub_port_dma_free(struct iub_port *port)
{
	if (port->chan)
		dma_release_channel(port->chan);
	put_device(port->conv_dev);
	kfree(port->conv_devname);
	kfree_rcu(port, rcu);
}

static const struct iub_port_ops iub_dma_port_ops = {
	.owner = THIS_MODULE,
	.prepare = iub_dma_prepare,
	.start = iub_dma_start,
	.rearm = iub_dma_rearm,
	.cancel = iub_dma_cancel,
	.release = iub_dma_release,
	.destroy = iub_port_dma_free,
};

/**
 * iub_port_dma_resolve() - find a converter port's device and channel
 * @port: a converter port without a channel
 *
 * Called with iub_ports_lock held. On success the port is present: its
 * direction, alignment, capabilities and DMA device are known.
 *
 * Return: 0 or -errno (the port stays absent).
 */
int iub_port_dma_resolve(struct iub_port *port)
{
	struct dma_slave_caps caps;
	struct dma_chan *chan;
	struct device *dev;
	u32 widths, dir;
	int ret;

	lockdep_assert_held(&iub_ports_lock);
	if (port->chan)
		return -EBUSY;	/* still being taken away (iub_port_dma_gone()) */
	dev = bus_find_device_by_name(&platform_bus_type, NULL,
				      port->conv_devname);
	if (!dev)
		return -ENXIO;
	/* without its driver the converter is not there either */
	if (!device_is_bound(dev)) {
		ret = -ENXIO;
		goto err_put_dev;
	}
	chan = dma_request_chan(dev, port->conv_chan);
	if (IS_ERR(chan)) {
		ret = PTR_ERR(chan);
		goto err_put_dev;
	}
	ret = dma_get_slave_caps(chan, &caps);
	if (ret)
		goto err_release;

	/* a channel that can do both: its name says which way it is used */
	if (caps.directions & BIT(DMA_DEV_TO_MEM) &&
	    caps.directions & BIT(DMA_MEM_TO_DEV))
		dir = !strcmp(port->conv_chan, "tx") ? IUB_DIR_FROM_MEM :
						      IUB_DIR_TO_MEM;
	else if (caps.directions & BIT(DMA_DEV_TO_MEM))
		dir = IUB_DIR_TO_MEM;
	else if (caps.directions & BIT(DMA_MEM_TO_DEV))
		dir = IUB_DIR_FROM_MEM;
	else
		dir = 0;
	if (!dir || (!chan->device->device_prep_slave_sg &&
		     !chan->device->device_prep_peripheral_dma_vec)) {
		ret = -EOPNOTSUPP;
		goto err_release;
	}

	port->direction = dir;
	/*
	 * Bit n of a mask: a bus width of n bytes. Both sides count: an
	 * engine like axi-dmac moves whole beats of the wider of its device
	 * and memory buses, so offsets and lengths are multiples of it.
	 */
	widths = caps.src_addr_widths | caps.dst_addr_widths;
	port->align = widths ? __fls(widths) : 1;
	port->max_transfer = rounddown(INT_MAX, port->align);
	if (iub_dma_vec && chan->device->device_prep_peripheral_dma_vec)
		port->caps = IUB_PORT_F_DMA_VEC;
	else if (chan->device->device_prep_slave_sg)
		port->caps = IUB_PORT_F_SLAVE_SG;
	else
		port->caps = IUB_PORT_F_DMA_VEC;
	if (dir == IUB_DIR_FROM_MEM)
		port->caps |= IUB_PORT_F_CYCLIC;
	port->conv_dev = dev;
	port->chan = chan;
	port->dma_dev = dmaengine_get_dma_device(chan);
	/* longer segments are split (iub_xfer_segments()) */
	port->max_seg = rounddown(min_t(unsigned int, INT_MAX,
					dma_get_max_seg_size(port->dma_dev)),
				  port->align) ?: port->align;
	spin_lock_irq(&port->lock);
	port->present = true;
	spin_unlock_irq(&port->lock);
	return 0;

err_release:
	dma_release_channel(chan);
err_put_dev:
	put_device(dev);
	return ret;
}

/*
 * @port's converter is going away: end its transfers with -ESHUTDOWN (and
 * refuse new ones with it), then drop its claim (the file that held it
 * gets -ESHUTDOWN for the port until it is claimed again: @lost_owner) and
 * give the channel and the device back. The port stays
 * registered, absent, and comes back when the converter does. Process
 * context.
 */
static void iub_port_dma_gone(struct iub_port *port, struct device *gone)
{
	struct dma_chan *chan;
	struct device *dev;

	mutex_lock(&iub_ports_lock);
	if (!port->present || port->conv_dev != gone) {
		mutex_unlock(&iub_ports_lock);
		return;
	}
	spin_lock_irq(&port->lock);
	port->present = false;	/* nothing is queued or started any more */
	spin_unlock_irq(&port->lock);
	mutex_unlock(&iub_ports_lock);

	iub_xfer_end_port(port, -ESHUTDOWN);
	flush_work(&port->kick_work);

	/* a cancel running now still uses the channel (iub_dma_cancel()) */
	mutex_lock(&port->cancel_lock);
	mutex_lock(&iub_ports_lock);
	spin_lock_irq(&port->lock);
	/* its file's commands on the port end with -ESHUTDOWN, not -EPERM */
	WRITE_ONCE(port->lost_owner, port->owner);
	WRITE_ONCE(port->owner, NULL);
	chan = port->chan;
	dev = port->conv_dev;
	port->chan = NULL;
	port->conv_dev = NULL;
	spin_unlock_irq(&port->lock);
	mutex_unlock(&iub_ports_lock);
	mutex_unlock(&port->cancel_lock);
	dma_release_channel(chan);
	put_device(dev);
	pr_info("port %s: converter gone\n", port->name);
}

/*
 * The platform bus tells us about drivers unbinding and devices going;
 * whichever comes first takes the converter's ports away.
 */
static int iub_port_dma_notify(struct notifier_block *nb,
			       unsigned long action, void *data)
{
	struct iub_port *port;

	if (action != BUS_NOTIFY_UNBIND_DRIVER &&
	    action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;
	list_for_each_entry(port, &iub_dma_ports, node)
		iub_port_dma_gone(port, data);
	return NOTIFY_OK;
}

static struct notifier_block iub_port_dma_nb = {
	.notifier_call = iub_port_dma_notify,
};

static int iub_port_dma_create(const char *devname, const char *chan)
{
	struct iub_port *port;
	int ret;

	if (!*devname || !*chan ||
	    strlen(devname) + 1 + strlen(chan) >= IUB_PORT_NAME_LEN)
		return -EINVAL;
	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return -ENOMEM;
	/* one allocation holds both names: "device\0channel\0" */
	port->conv_devname = kasprintf(GFP_KERNEL, "%s%c%s", devname, 0, chan);
	if (!port->conv_devname) {
		kfree(port);
		return -ENOMEM;
	}
	port->conv_chan = port->conv_devname + strlen(devname) + 1;
	snprintf(port->name, sizeof(port->name), "%s:%s", devname, chan);
	port->kind = IUB_PORT_CONVERTER;
	port->ops = &iub_dma_port_ops;
	ret = iub_port_add(port);
	if (ret) {
		kfree(port->conv_devname);
		kfree(port);
		return ret;
	}
	list_add_tail(&port->node, &iub_dma_ports);

	mutex_lock(&iub_ports_lock);
	ret = iub_port_dma_resolve(port);
	mutex_unlock(&iub_ports_lock);
	if (ret)
		pr_info("port %s: not available yet (%d)\n", port->name, ret);
	return 0;
}

/**
 * iub_port_dma_init() - create the converter ports named by "converters"
 *
 * Return: 0, or -EINVAL for a malformed list, or -ENOMEM.
 */
int iub_port_dma_init(void)
{
	char *spec, *p, *entry, *colon;
	int ret = 0;

	if (!iub_converters || !*iub_converters)
		return 0;
	spec = kstrdup(iub_converters, GFP_KERNEL);
	if (!spec)
		return -ENOMEM;
	p = spec;
	while ((entry = strsep(&p, ",")) != NULL) {
		entry = strim(entry);
		if (!*entry)
			continue;
		colon = strchr(entry, ':');
		if (!colon) {
			ret = -EINVAL;
			break;
		}
		*colon = '\0';
		ret = iub_port_dma_create(entry, colon + 1);
		if (ret)
			break;
	}
	kfree(spec);
	if (!ret)
		ret = bus_register_notifier(&platform_bus_type,
					    &iub_port_dma_nb);
	if (ret) {
		pr_err("converters=\"%s\": %d\n", iub_converters, ret);
		iub_port_dma_exit();
	}
	return ret;
}

/**
 * iub_port_dma_exit() - remove every converter port and free its channel
 *
 * No file is open any more, so no port is claimed or busy.
 */
void iub_port_dma_exit(void)
{
	struct iub_port *port, *tmp;

	/* harmless if it was never registered */
	bus_unregister_notifier(&platform_bus_type, &iub_port_dma_nb);
	list_for_each_entry_safe(port, tmp, &iub_dma_ports, node) {
		list_del(&port->node);
		iub_port_unregister(port, -ESHUTDOWN);
	}
}
