// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: one character device that moves data between DMABUFs,
 * IIO converters and a USB gadget function, driven by io_uring.
 *
 * This file owns the module's lifetime and the misc device: module
 * parameters, init/exit, and the per-open context.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "iub_priv.h"

unsigned int iub_max_inflight = 256;
module_param_named(max_inflight, iub_max_inflight, uint, 0444);
MODULE_PARM_DESC(max_inflight,
		 "Commands in flight at once per open file (default: 256)");

unsigned int iub_max_buffers = 64;
module_param_named(max_buffers, iub_max_buffers, uint, 0444);
MODULE_PARM_DESC(max_buffers,
		 "DMABUFs attached at once per open file (default: 64)");

/*
 * Deferred work: NOP completions, buffer releases, fence frees, transfers
 * that start after a fence. WQ_MEM_RECLAIM: it is on the path that
 * signals fences, which memory reclaim may wait for; its rescuer thread
 * is "kworker/R-iub". Drained at exit.
 */
struct workqueue_struct *iub_wq;

/*
 * Work that may wait for locks others hold, or flush other queues: io_uring
 * commands that could not be issued inline (iub_defer.c; a dmaengine
 * channel's terminate flushes its driver's queue) and buffer releases
 * (unmapping takes the reservation lock, whose holder may wait for a
 * fence that iub_wq signals). So not on the reclaim-safe iub_wq.
 * Destroyed, so waited for, at exit.
 */
struct workqueue_struct *iub_issue_wq;

static void iub_ctx_free(struct kref *ref)
{
	struct iub_ctx *ctx = container_of(ref, struct iub_ctx, ref);

	WARN_ON(atomic_read(&ctx->inflight));
	xa_destroy(&ctx->bufs);
	mutex_destroy(&ctx->attach_lock);
	kfree(ctx);
}

/**
 * iub_ctx_get() - a request of the file holds its context
 * @ctx: the context
 */
void iub_ctx_get(struct iub_ctx *ctx)
{
	kref_get(&ctx->ref);
}

/**
 * iub_ctx_put() - drop a reference to a context; the last one frees it
 * @ctx: the context
 *
 * Any context but hard interrupt.
 */
void iub_ctx_put(struct iub_ctx *ctx)
{
	kref_put(&ctx->ref, iub_ctx_free);
}

static int iub_open(struct inode *inode, struct file *file)
{
	struct iub_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	kref_init(&ctx->ref);
	atomic_set(&ctx->inflight, 0);
	xa_init_flags(&ctx->bufs, XA_FLAGS_ALLOC);
	mutex_init(&ctx->attach_lock);
	spin_lock_init(&ctx->defer_lock);
	INIT_LIST_HEAD(&ctx->defer_list);
	INIT_WORK(&ctx->defer_work, iub_defer_work);
	init_waitqueue_head(&ctx->defer_idle);
	file->private_data = ctx;
	return 0;
}

static int iub_release(struct inode *inode, struct file *file)
{
	struct iub_ctx *ctx = file->private_data;

	/*
	 * Every request's command holds the file until its result was
	 * delivered, so none is in flight; a worker may still hold a request
	 * whose result went out, and with it the context (iub_ctx_put()).
	 */
	iub_ports_release_ctx(ctx);
	iub_buf_detach_all(ctx);
	iub_ctx_put(ctx);
	return 0;
}

static const struct file_operations iub_fops = {
	.owner = THIS_MODULE,
	.open = iub_open,
	.release = iub_release,
	.unlocked_ioctl = iub_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.uring_cmd = iub_uring_cmd,
	.llseek = noop_llseek,
};

static struct miscdevice iub_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iio-usb-bridge",
	.fops = &iub_fops,
	.mode = 0600,	/* root only; udev/ grants a group where wanted */
};

static int __init iub_init(void)
{
	int ret;

	if (!iub_max_inflight || !iub_max_buffers || iub_max_buffers > U16_MAX)
		return -EINVAL;

	iub_wq = alloc_workqueue("iub", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!iub_wq)
		return -ENOMEM;
	iub_issue_wq = alloc_workqueue("iub-issue", WQ_UNBOUND, 0);
	if (!iub_issue_wq) {
		ret = -ENOMEM;
		goto err_destroy_wq;
	}

	ret = iub_port_dma_init();
	if (ret)
		goto err_destroy_wq;

	ret = misc_register(&iub_misc);
	if (ret)
		goto err_dma_exit;
	return 0;

err_dma_exit:
	iub_port_dma_exit();
	rcu_barrier();
err_destroy_wq:
	if (iub_issue_wq)
		destroy_workqueue(iub_issue_wq);
	destroy_workqueue(iub_wq);
	return ret;
}

static void __exit iub_exit(void)
{
	misc_deregister(&iub_misc);
	/*
	 * Nothing of ours is alive any more (every file, buffer, fence and
	 * foreign port holds a module reference), but the workers that
	 * dropped the last ones may still be returning: wait for them.
	 */
	drain_workqueue(iub_wq);
	iub_port_dma_exit();
	destroy_workqueue(iub_issue_wq);
	destroy_workqueue(iub_wq);
	rcu_barrier();	/* kfree_rcu() of ports and buffers */
}

module_init(iub_init);
module_exit(iub_exit);

MODULE_DESCRIPTION("Zero-copy DMABUF bridge between IIO converters and USB, over io_uring");
MODULE_AUTHOR("iio-usb-bridge developers");
MODULE_LICENSE("GPL");
