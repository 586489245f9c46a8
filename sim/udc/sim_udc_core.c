// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated scatter-gather USB device controller: a test fixture.
 *
 * A UDC registered with the gadget core on the platform device
 * "iub-sim-udc.0" that sets gadget->sg_supported, so that the upstream
 * FunctionFS DMABUF interface and the bridge's scatter-gather path can run
 * where no SG-capable controller exists. There is no USB host behind it:
 * this module plays the host too. When a gadget driver is bound and its
 * pullup is on, the "host" resets the bus and enumerates the device
 * (GET_DESCRIPTOR, SET_CONFIGURATION) through the driver's setup(); after
 * that it polls every enabled endpoint, reading IN requests and verifying
 * them against the simulated stream format (sim/iub_sim_stream.h), and
 * filling OUT requests with stream words.
 *
 * This file: the module, the platform device and driver, the gadget ops
 * and the simulated host. Endpoints and data: sim_udc_ep.c. debugfs:
 * sim_udc_debugfs.c. See Documentation/sim-udc.rst.
 */
#include <linux/dma-mapping.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "sim_udc.h"

static char *speed = "super";
module_param(speed, charp, 0444);
MODULE_PARM_DESC(speed, "highest speed: super, high or full (default: super)");

static char *dma_dev = "self";
module_param(dma_dev, charp, 0444);
MODULE_PARM_DESC(dma_dev,
		 "which device does the DMA: self (the controller's, default); parent (its glue, iub-sim-udc-glue.0, and the controller says linux,sysdev_is_parent, like dwc3 on PCI); hidden (the glue, and the controller has no DMA mask and says nothing)");

/* enum iub_sim_udc_dma: where the DMA master is (module parameter dma_dev) */
enum iub_sim_udc_dma {
	IUB_SIM_UDC_DMA_SELF,
	IUB_SIM_UDC_DMA_PARENT,
	IUB_SIM_UDC_DMA_HIDDEN,
};

static enum iub_sim_udc_dma iub_sim_udc_dma;
static struct platform_device *iub_sim_udc_glue;

static uint max_seg;
module_param(max_seg, uint, 0444);
MODULE_PARM_DESC(max_seg,
		 "longest DMA segment of a scatterlist request, as the DMA device's max_seg_size; longer ones are refused with EINVAL (default: 0, any)");

static ulong rate;
module_param(rate, ulong, 0444);
MODULE_PARM_DESC(rate,
		 "initial rate of every endpoint, bytes per second (default: 0, as fast as possible)");

/* How long the simulated host waits for a control transfer's stage. */
#define IUB_SIM_UDC_CTRL_TIMEOUT_MS	5000

static struct workqueue_struct *iub_sim_udc_wq;
static struct platform_device *iub_sim_udc_pdev;

/* ---- the simulated host --------------------------------------------------- */

static bool iub_sim_udc_ctrl_finished(struct iub_sim_udc *udc)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&udc->ep[0].lock, flags);
	ret = udc->ctrl.done;
	spin_unlock_irqrestore(&udc->ep[0].lock, flags);
	spin_lock_irqsave(&udc->lock, flags);
	ret |= udc->abort;
	spin_unlock_irqrestore(&udc->lock, flags);
	return ret;
}

/*
 * The driver to call back, or NULL when the core does not allow it now.
 * Called with the udc lock held.
 */
static struct usb_gadget_driver *iub_sim_udc_callee(struct iub_sim_udc *udc)
	__must_hold(&udc->lock)
{
	lockdep_assert_held(&udc->lock);
	if (!udc->callbacks || udc->abort)
		return NULL;
	return udc->driver;
}

/* The 8 bytes of a SETUP packet, in wire order (USB 2.0, 9.3). */
static void iub_sim_udc_setup_packet(struct usb_ctrlrequest *ctrl, u8 type,
				     u8 request, u16 value, u16 index,
				     u16 length)
{
	u8 *p = (u8 *)ctrl;

	BUILD_BUG_ON(sizeof(*ctrl) != 8);
	p[0] = type;
	p[1] = request;
	put_unaligned_le16(value, p + 2);
	put_unaligned_le16(index, p + 4);
	put_unaligned_le16(length, p + 6);
}

/*
 * One control transfer from the host: the SETUP packet goes to the driver's
 * setup() (interrupts off, as from a controller's interrupt handler), then
 * the host waits for the data or status stage the driver queues on ep0.
 * Returns the bytes of an IN data stage (in udc->ctrl.buf), 0, or -EPIPE
 * (stall), -ETIMEDOUT, -ESHUTDOWN.
 */
static int iub_sim_udc_control(struct iub_sim_udc *udc, u8 type, u8 request,
			       u16 value, u16 index, u16 length)
{
	struct iub_sim_udc_ep *ep0 = &udc->ep[0];
	struct iub_sim_udc_ctrl *c = &udc->ctrl;
	struct usb_ctrlrequest ctrl;
	struct usb_gadget_driver *driver;
	unsigned long flags;
	int ret;

	iub_sim_udc_setup_packet(&ctrl, type, request, value, index, length);
	spin_lock_irqsave(&ep0->lock, flags);
	c->active = true;
	c->done = false;
	c->stalled = false;
	c->in = type & USB_DIR_IN;
	c->wlength = length;
	c->len = 0;
	spin_unlock_irqrestore(&ep0->lock, flags);

	spin_lock_irqsave(&udc->lock, flags);
	driver = iub_sim_udc_callee(udc);
	spin_unlock(&udc->lock);
	ret = driver ? driver->setup(&udc->gadget, &ctrl) : -ESHUTDOWN;
	local_irq_restore(flags);

	/* a positive value (USB_GADGET_DELAYED_STATUS) also means "wait" */
	if (ret >= 0)
		wait_event_timeout(udc->ep0_wait, iub_sim_udc_ctrl_finished(udc),
				   msecs_to_jiffies(IUB_SIM_UDC_CTRL_TIMEOUT_MS));

	spin_lock_irqsave(&ep0->lock, flags);
	if (ret < 0)
		ret = -EPIPE;		/* the driver refused: ep0 stalls */
	else if (c->stalled)
		ret = -EPIPE;
	else if (c->done)
		ret = c->len;
	else
		ret = READ_ONCE(udc->abort) ? -ESHUTDOWN : -ETIMEDOUT;
	c->active = false;
	spin_unlock_irqrestore(&ep0->lock, flags);
	if (ret == -EPIPE && !driver)
		ret = -ESHUTDOWN;
	return ret;
}

/*
 * Count the interfaces (alternate setting 0) and endpoints of a
 * configuration descriptor set.
 */
static void iub_sim_udc_parse_config(struct iub_sim_udc *udc, const u8 *buf,
				     unsigned int len)
{
	unsigned int off = 0, intfs = 0, eps = 0;
	unsigned long flags;

	while (off + 2 <= len && buf[off] >= 2 && off + buf[off] <= len) {
		if (buf[off + 1] == USB_DT_INTERFACE && buf[off] >= 4 &&
		    !buf[off + 3])
			intfs++;
		else if (buf[off + 1] == USB_DT_ENDPOINT)
			eps++;
		off += buf[off];
	}
	spin_lock_irqsave(&udc->lock, flags);
	udc->interfaces = intfs;
	udc->endpoints = eps;
	spin_unlock_irqrestore(&udc->lock, flags);
}

/*
 * The host sees the device: bus reset, then the address (a controller
 * handles SET_ADDRESS itself; the gadget driver never sees it), then the
 * descriptors, then SET_CONFIGURATION, after which the functions have
 * enabled their endpoints and data flows. Runs in the host work.
 */
static void iub_sim_udc_enumerate(struct iub_sim_udc *udc)
{
	struct usb_gadget *g = &udc->gadget;
	struct usb_gadget_driver *driver;
	const u8 *buf = udc->ctrl.buf;	/* written by ep0 while we wait */
	enum usb_device_speed spd;
	const char *step;
	unsigned int total;
	unsigned long flags;
	u8 config;
	int ret;

	spin_lock_irqsave(&udc->lock, flags);
	driver = iub_sim_udc_callee(udc);
	spd = udc->speed;
	if (driver) {
		udc->connected = true;
		udc->configured = false;
		udc->last_error = 0;
		udc->last_step = NULL;
	}
	spin_unlock_irqrestore(&udc->lock, flags);
	if (!driver)
		return;

	g->speed = spd;
	udc->ep[0].ep.maxpacket = spd >= USB_SPEED_SUPER ?
				  IUB_SIM_UDC_EP0_MAXPACKET : 64;

	/* bus reset: the core calls the driver's reset() and sets DEFAULT */
	spin_lock_irqsave(&udc->lock, flags);
	driver = iub_sim_udc_callee(udc);
	spin_unlock(&udc->lock);
	if (driver)
		usb_gadget_udc_reset(g, driver);
	local_irq_restore(flags);
	if (!driver)
		return;
	usb_gadget_set_state(g, USB_STATE_ADDRESS);

	step = "GET_DESCRIPTOR(DEVICE)";
	ret = iub_sim_udc_control(udc, USB_DIR_IN, USB_REQ_GET_DESCRIPTOR,
				  USB_DT_DEVICE << 8, 0, USB_DT_DEVICE_SIZE);
	if (ret >= 0 && (ret < USB_DT_DEVICE_SIZE || buf[1] != USB_DT_DEVICE ||
			 !buf[17]))
		ret = -EPROTO;
	if (ret < 0)
		goto failed;
	spin_lock_irqsave(&udc->lock, flags);
	udc->vendor = get_unaligned_le16(buf + 8);
	udc->product = get_unaligned_le16(buf + 10);
	spin_unlock_irqrestore(&udc->lock, flags);

	step = "GET_DESCRIPTOR(CONFIG)";
	ret = iub_sim_udc_control(udc, USB_DIR_IN, USB_REQ_GET_DESCRIPTOR,
				  USB_DT_CONFIG << 8, 0, USB_DT_CONFIG_SIZE);
	if (ret >= 0 && (ret < USB_DT_CONFIG_SIZE || buf[1] != USB_DT_CONFIG))
		ret = -EPROTO;
	if (ret < 0)
		goto failed;
	total = min_t(unsigned int, get_unaligned_le16(buf + 2),
		      IUB_SIM_UDC_CTRL_BUF);
	config = buf[5];

	step = "GET_DESCRIPTOR(CONFIG, all)";
	ret = iub_sim_udc_control(udc, USB_DIR_IN, USB_REQ_GET_DESCRIPTOR,
				  USB_DT_CONFIG << 8, 0, total);
	if (ret >= 0 && ret != total)
		ret = -EPROTO;
	if (ret < 0)
		goto failed;
	iub_sim_udc_parse_config(udc, buf, total);

	step = "SET_CONFIGURATION";
	ret = iub_sim_udc_control(udc, USB_DIR_OUT, USB_REQ_SET_CONFIGURATION,
				  config, 0, 0);
	if (ret < 0)
		goto failed;

	spin_lock_irqsave(&udc->lock, flags);
	udc->configured = true;
	udc->config_value = config;
	udc->enumerations++;
	spin_unlock_irqrestore(&udc->lock, flags);
	dev_dbg(udc->dev, "simulated host: configuration %u at %s\n", config,
		usb_speed_string(spd));
	return;

failed:
	spin_lock_irqsave(&udc->lock, flags);
	udc->last_error = ret;
	udc->last_step = step;
	spin_unlock_irqrestore(&udc->lock, flags);
	if (ret != -ESHUTDOWN)
		dev_warn(udc->dev, "simulated host: %s failed: %d\n", step, ret);
}

/*
 * The host goes away (cable pulled): like a controller's disconnect
 * interrupt, call the driver's disconnect() with interrupts off, then give
 * back whatever is still queued.
 */
static void iub_sim_udc_unplug(struct iub_sim_udc *udc)
{
	struct usb_gadget_driver *driver;
	unsigned long flags;
	unsigned int i;

	spin_lock_irq(&udc->lock);
	udc->connected = false;
	udc->configured = false;
	spin_unlock_irq(&udc->lock);
	/* no more transfers: the host is gone */
	iub_sim_udc_quiesce(udc);

	spin_lock_irqsave(&udc->lock, flags);
	driver = iub_sim_udc_callee(udc);
	spin_unlock(&udc->lock);
	if (driver)
		driver->disconnect(&udc->gadget);
	local_irq_restore(flags);

	for (i = 0; i < IUB_SIM_UDC_NUM_EPS; i++)
		iub_sim_udc_ep_nuke(&udc->ep[i], -ESHUTDOWN);
	udc->gadget.speed = USB_SPEED_UNKNOWN;
	usb_gadget_set_state(&udc->gadget, USB_STATE_NOTATTACHED);
}

static void iub_sim_udc_host_work(struct work_struct *work)
{
	struct iub_sim_udc *udc = container_of(work, struct iub_sim_udc,
					       host_work);
	bool attach, connected, want, configured;
	unsigned long flags;
	u64 request;
	int ret;

	spin_lock_irqsave(&udc->lock, flags);
	want = udc->want_host;
	connected = udc->connected;
	attach = want && udc->pullup && !udc->abort &&
		 iub_sim_udc_callee(udc);
	spin_unlock_irqrestore(&udc->lock, flags);

	if (connected && !want)
		iub_sim_udc_unplug(udc);
	else if (!connected && attach)
		iub_sim_udc_enumerate(udc);

	spin_lock_irqsave(&udc->lock, flags);
	request = udc->request;
	configured = udc->configured && !udc->abort;
	spin_unlock_irqrestore(&udc->lock, flags);
	if (!request)
		return;
	ret = -ENOTCONN;
	if (configured)
		ret = iub_sim_udc_control(udc, request >> 40, request >> 32,
					  request >> 16, request, 0);
	spin_lock_irqsave(&udc->lock, flags);
	udc->request = 0;
	udc->request_result = ret < 0 ? ret : 0;
	spin_unlock_irqrestore(&udc->lock, flags);
}

/**
 * iub_sim_udc_host_request() - the host sends one control request
 * @udc: controller
 * @request: bmRequestType << 40 | bRequest << 32 | wValue << 16 | wIndex;
 *	no data stage (wLength 0), so bmRequestType must say host-to-device
 *
 * Context: process, may sleep; returns once the request went through.
 *
 * Return: 0 (the driver acknowledged it), -EPIPE (it stalled), -ENOTCONN
 * (the host has not configured the device), -ETIMEDOUT, -ESHUTDOWN,
 * -EINVAL for a bad @request, -EBUSY while another one waits.
 */
int iub_sim_udc_host_request(struct iub_sim_udc *udc, u64 request)
{
	int ret;

	if (!request || request >> 48 || (request >> 40) & USB_DIR_IN)
		return -EINVAL;
	spin_lock_irq(&udc->lock);
	if (udc->request) {
		spin_unlock_irq(&udc->lock);
		return -EBUSY;
	}
	udc->request = request;
	spin_unlock_irq(&udc->lock);
	queue_work(udc->wq, &udc->host_work);
	flush_work(&udc->host_work);
	spin_lock_irq(&udc->lock);
	ret = udc->request ? -ESHUTDOWN : udc->request_result;
	udc->request = 0;
	spin_unlock_irq(&udc->lock);
	return ret;
}

/*
 * Stop the host work and keep it from calling the driver until @abort is
 * cleared again. Context: process; the core's connect_lock may be held
 * (the host work never takes it).
 */
static void iub_sim_udc_host_stop(struct iub_sim_udc *udc)
{
	spin_lock_irq(&udc->lock);
	udc->abort = true;
	spin_unlock_irq(&udc->lock);
	wake_up(&udc->ep0_wait);
	cancel_work_sync(&udc->host_work);
}

static void iub_sim_udc_host_reset(struct iub_sim_udc *udc)
{
	spin_lock_irq(&udc->lock);
	udc->abort = false;
	udc->connected = false;
	udc->configured = false;
	spin_unlock_irq(&udc->lock);
}

/**
 * iub_sim_udc_set_host() - plug the simulated host in or pull it out
 * @udc: controller
 * @present: true: a host is there and enumerates the device (when its
 *	pullup is on); false: the host goes away, the driver's disconnect()
 *	runs and queued requests complete with -ESHUTDOWN
 *
 * Returns once the host work has acted. Context: process, may sleep.
 */
void iub_sim_udc_set_host(struct iub_sim_udc *udc, bool present)
{
	spin_lock_irq(&udc->lock);
	udc->want_host = present;
	spin_unlock_irq(&udc->lock);
	queue_work(udc->wq, &udc->host_work);
	flush_work(&udc->host_work);
}

/* ---- usb_gadget_ops ------------------------------------------------------- */

static int iub_sim_udc_get_frame(struct usb_gadget *g)
{
	/* a 1 ms frame counter, 11 bits like the bus's */
	return (int)(div_u64(ktime_get_ns(), NSEC_PER_MSEC) & 0x7ff);
}

static int iub_sim_udc_set_selfpowered(struct usb_gadget *g, int value)
{
	g->is_selfpowered = !!value;
	return 0;
}

static int iub_sim_udc_pullup(struct usb_gadget *g, int on)
{
	struct iub_sim_udc *udc = to_sim_udc(g);

	if (on) {
		spin_lock_irq(&udc->lock);
		udc->pullup = true;
		spin_unlock_irq(&udc->lock);
		queue_work(udc->wq, &udc->host_work);
		return 0;
	}

	/*
	 * The host sees the device leave. The core calls the driver's
	 * disconnect() after this returns; the host work must be done.
	 */
	spin_lock_irq(&udc->lock);
	udc->pullup = false;
	spin_unlock_irq(&udc->lock);
	iub_sim_udc_host_stop(udc);
	iub_sim_udc_host_reset(udc);
	iub_sim_udc_quiesce(udc);
	g->speed = USB_SPEED_UNKNOWN;
	usb_gadget_set_state(g, USB_STATE_NOTATTACHED);
	return 0;
}

static int iub_sim_udc_start(struct usb_gadget *g,
			     struct usb_gadget_driver *driver)
{
	struct iub_sim_udc *udc = to_sim_udc(g);

	spin_lock_irq(&udc->lock);
	udc->driver = driver;
	spin_unlock_irq(&udc->lock);
	return 0;
}

static int iub_sim_udc_stop(struct usb_gadget *g)
{
	struct iub_sim_udc *udc = to_sim_udc(g);
	unsigned int i;

	iub_sim_udc_host_stop(udc);
	spin_lock_irq(&udc->lock);
	udc->driver = NULL;
	udc->connected = false;
	spin_unlock_irq(&udc->lock);
	iub_sim_udc_quiesce(udc);
	for (i = 0; i < IUB_SIM_UDC_NUM_EPS; i++)
		iub_sim_udc_ep_nuke(&udc->ep[i], -ESHUTDOWN);
	iub_sim_udc_host_reset(udc);
	g->speed = USB_SPEED_UNKNOWN;
	return 0;
}

static void iub_sim_udc_set_speed(struct usb_gadget *g,
				  enum usb_device_speed spd)
{
	struct iub_sim_udc *udc = to_sim_udc(g);

	spin_lock_irq(&udc->lock);
	if (spd == USB_SPEED_UNKNOWN || spd > udc->max_speed)
		spd = udc->max_speed;
	udc->speed = spd;
	spin_unlock_irq(&udc->lock);
}

static void iub_sim_udc_async_callbacks(struct usb_gadget *g, bool enable)
{
	struct iub_sim_udc *udc = to_sim_udc(g);

	if (enable) {
		spin_lock_irq(&udc->lock);
		udc->callbacks = true;
		spin_unlock_irq(&udc->lock);
		return;
	}
	/*
	 * From here on no callback may start, and none is running: the
	 * core relies on it before it calls the driver's unbind(), as it
	 * relies on synchronize_irq() for a real controller.
	 */
	spin_lock_irq(&udc->lock);
	udc->callbacks = false;
	udc->connected = false;
	udc->configured = false;
	spin_unlock_irq(&udc->lock);
	iub_sim_udc_host_stop(udc);
	iub_sim_udc_quiesce(udc);
	spin_lock_irq(&udc->lock);
	udc->abort = false;
	spin_unlock_irq(&udc->lock);
}

static const struct usb_gadget_ops iub_sim_udc_ops = {
	.get_frame = iub_sim_udc_get_frame,
	.set_selfpowered = iub_sim_udc_set_selfpowered,
	.pullup = iub_sim_udc_pullup,
	.udc_start = iub_sim_udc_start,
	.udc_stop = iub_sim_udc_stop,
	.udc_set_speed = iub_sim_udc_set_speed,
	.udc_async_callbacks = iub_sim_udc_async_callbacks,
};

/* ---- platform driver ------------------------------------------------------ */

static enum usb_device_speed iub_sim_udc_max_speed;

/* The gadget's last reference is gone: free the controller. */
static void iub_sim_udc_release(struct device *dev)
{
	struct iub_sim_udc *udc = to_sim_udc(dev_to_usb_gadget(dev));

	kfree(udc->ctrl.buf);
	kfree(udc);
}

static int iub_sim_udc_probe(struct platform_device *pdev)
{
	struct device *dma;
	struct iub_sim_udc *udc;
	unsigned int i;
	int ret;

	/*
	 * requests are DMA-mapped against this device: any address will do,
	 * in segments of any length (scatter-gather of whole DMABUFs), or of
	 * at most max_seg bytes, which the device then says. With
	 * a glue device, the glue does the DMA; the controller keeps the
	 * platform bus's default 32-bit mask (dma_dev=parent), like a dwc3
	 * core whose sysdev is its parent, or has none at all (hidden).
	 */
	dma = iub_sim_udc_dma == IUB_SIM_UDC_DMA_SELF ? &pdev->dev :
							 pdev->dev.parent;
	ret = dma_coerce_mask_and_coherent(dma, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	dma_set_max_seg_size(dma, max_seg ?: UINT_MAX);
	if (iub_sim_udc_dma == IUB_SIM_UDC_DMA_HIDDEN)
		pdev->dev.dma_mask = NULL;

	udc = kzalloc(sizeof(*udc), GFP_KERNEL);
	if (!udc)
		return -ENOMEM;
	udc->ctrl.buf = kzalloc(IUB_SIM_UDC_CTRL_BUF, GFP_KERNEL);
	if (!udc->ctrl.buf) {
		kfree(udc);
		return -ENOMEM;
	}
	udc->dev = &pdev->dev;
	udc->dma_dev = dma;
	udc->wq = iub_sim_udc_wq;
	spin_lock_init(&udc->lock);
	init_waitqueue_head(&udc->ep0_wait);
	INIT_WORK(&udc->host_work, iub_sim_udc_host_work);
	udc->max_speed = iub_sim_udc_max_speed;
	udc->max_seg = max_seg;
	udc->speed = udc->max_speed;
	udc->want_host = true;

	udc->gadget.name = IUB_SIM_UDC_NAME;
	udc->gadget.ops = &iub_sim_udc_ops;
	udc->gadget.max_speed = udc->max_speed;
	udc->gadget.speed = USB_SPEED_UNKNOWN;
	udc->gadget.sg_supported = 1;
	INIT_LIST_HEAD(&udc->gadget.ep_list);
	for (i = 0; i < IUB_SIM_UDC_NUM_EPS; i++)
		iub_sim_udc_ep_init(udc, i, rate);
	udc->gadget.ep0 = &udc->ep[0].ep;

	/* on failure, this drops the last reference: the release frees udc */
	ret = usb_add_gadget_udc_release(&pdev->dev, &udc->gadget,
					 iub_sim_udc_release);
	if (ret)
		return ret;
	platform_set_drvdata(pdev, udc);
	iub_sim_udc_debugfs_init(udc);
	return 0;
}

/*
 * Remove mirrors probe. usb_del_gadget_udc() unbinds a bound driver: pullup
 * off, disconnect(), unbind(), udc_stop; every endpoint is disabled on the
 * way and its requests complete with -ESHUTDOWN. Only then are the data
 * movers stopped for good, and the last reference frees the controller.
 */
static void iub_sim_udc_remove(struct platform_device *pdev)
{
	struct iub_sim_udc *udc = platform_get_drvdata(pdev);
	unsigned int i;

	iub_sim_udc_debugfs_exit(udc);
	usb_get_gadget(&udc->gadget);
	usb_del_gadget_udc(&udc->gadget);
	cancel_work_sync(&udc->host_work);
	for (i = 0; i < IUB_SIM_UDC_NUM_EPS; i++)
		iub_sim_udc_ep_shutdown(&udc->ep[i]);
	usb_put_gadget(&udc->gadget);
}

static struct platform_driver iub_sim_udc_driver = {
	.probe = iub_sim_udc_probe,
	.remove = iub_sim_udc_remove,
	.driver = {
		.name = IUB_SIM_UDC_NAME,
	},
};

static int iub_sim_udc_parse_speed(const char *s, enum usb_device_speed *out)
{
	if (sysfs_streq(s, "super"))
		*out = USB_SPEED_SUPER;
	else if (sysfs_streq(s, "high"))
		*out = USB_SPEED_HIGH;
	else if (sysfs_streq(s, "full"))
		*out = USB_SPEED_FULL;
	else
		return -EINVAL;
	return 0;
}

static const struct property_entry iub_sim_udc_sysdev_is_parent[] = {
	PROPERTY_ENTRY_BOOL("linux,sysdev_is_parent"),
	{ }
};

static int __init iub_sim_udc_init(void)
{
	struct platform_device_info info = {
		.name = IUB_SIM_UDC_NAME,
		.id = 0,
	};
	struct platform_device_info glue = {
		.name = IUB_SIM_UDC_NAME "-glue",
		.id = 0,
		.dma_mask = DMA_BIT_MASK(64),
	};
	int ret;

	ret = iub_sim_udc_parse_speed(speed, &iub_sim_udc_max_speed);
	if (ret) {
		pr_err("iub_sim_udc: speed must be super, high or full\n");
		return ret;
	}
	if (sysfs_streq(dma_dev, "self")) {
		iub_sim_udc_dma = IUB_SIM_UDC_DMA_SELF;
		info.dma_mask = DMA_BIT_MASK(64);
	} else if (sysfs_streq(dma_dev, "parent")) {
		iub_sim_udc_dma = IUB_SIM_UDC_DMA_PARENT;
		info.properties = iub_sim_udc_sysdev_is_parent;
	} else if (sysfs_streq(dma_dev, "hidden")) {
		iub_sim_udc_dma = IUB_SIM_UDC_DMA_HIDDEN;
	} else {
		pr_err("iub_sim_udc: dma_dev must be self, parent or hidden\n");
		return -EINVAL;
	}
	if (rate > IUB_SIM_UDC_RATE_MAX) {
		pr_err("iub_sim_udc: rate above %llu\n", IUB_SIM_UDC_RATE_MAX);
		return -EINVAL;
	}
	iub_sim_udc_wq = alloc_workqueue("iub-sim-udc", WQ_UNBOUND, 0);
	if (!iub_sim_udc_wq)
		return -ENOMEM;
	ret = platform_driver_register(&iub_sim_udc_driver);
	if (ret)
		goto err_wq;
	if (iub_sim_udc_dma != IUB_SIM_UDC_DMA_SELF) {
		/* no driver binds it: a bus device that only does DMA */
		iub_sim_udc_glue = platform_device_register_full(&glue);
		if (IS_ERR(iub_sim_udc_glue)) {
			ret = PTR_ERR(iub_sim_udc_glue);
			iub_sim_udc_glue = NULL;
			goto err_driver;
		}
		info.parent = &iub_sim_udc_glue->dev;
	}
	iub_sim_udc_pdev = platform_device_register_full(&info);
	if (IS_ERR(iub_sim_udc_pdev)) {
		ret = PTR_ERR(iub_sim_udc_pdev);
		goto err_glue;
	}
	if (!platform_get_drvdata(iub_sim_udc_pdev)) {
		ret = -ENODEV;	/* probe failed */
		goto err_device;
	}
	return 0;

err_device:
	platform_device_unregister(iub_sim_udc_pdev);
err_glue:
	if (iub_sim_udc_glue)
		platform_device_unregister(iub_sim_udc_glue);
err_driver:
	platform_driver_unregister(&iub_sim_udc_driver);
err_wq:
	destroy_workqueue(iub_sim_udc_wq);
	return ret;
}
module_init(iub_sim_udc_init);

static void __exit iub_sim_udc_exit(void)
{
	platform_device_unregister(iub_sim_udc_pdev);
	if (iub_sim_udc_glue)
		platform_device_unregister(iub_sim_udc_glue);
	platform_driver_unregister(&iub_sim_udc_driver);
	destroy_workqueue(iub_sim_udc_wq);
}
module_exit(iub_sim_udc_exit);

MODULE_DESCRIPTION("iio-usb-bridge test fixture: simulated scatter-gather USB device controller");
MODULE_AUTHOR("iio-usb-bridge developers");
MODULE_LICENSE("GPL");
