// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: DMABUF import and the fences of transfers.
 *
 * An open file attaches DMABUFs and names them by handle, one handle per
 * DMABUF. The module imports each DMABUF once, whichever files name it: a
 * buffer is attached and mapped once per DMA device that will access it
 * (the device that really performs the DMA: a dmaengine channel's device, a
 * UDC's DMA device) and direction, when a file that holds a port of that
 * device attaches it or claims the port, or on the first transfer through
 * that device in that direction, and stays mapped until the buffer is
 * released. One device at a time has a mapping that lets it write the
 * buffer: no memory is ever mapped twice for devices to write it, which
 * the DMA API does not allow (iub_buf_map()). Each transfer hands its
 * range to the device and back (iub_xfer_sync()), so mappings that bounce
 * or devices that are not cache coherent see and leave the right data.
 * Release happens in a worker, because the last reference may go in
 * io_uring task work or in a fence callback; where a handle's reference is
 * the last (BUF_DETACH, close()), at once.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/iosys-map.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "iub_compat.h"
#include "iub_priv.h"

IUB_IMPORT_NS(DMA_BUF);

/*
 * Every imported buffer that is still mapped: those handles name, those
 * transfers still hold, and released ones the release worker has not
 * unmapped yet. A DMABUF is on it at most once. iub_bufs_lock protects the
 * list and makes finding or adding a buffer one step; iub_bufs_released is
 * woken when a buffer leaves it, after iub_bufs_gone was counted up.
 */
static DEFINE_MUTEX(iub_bufs_lock);
static LIST_HEAD(iub_bufs);
static DECLARE_WAIT_QUEUE_HEAD(iub_bufs_released);
/* how many buffers have left iub_bufs; changed under iub_bufs_lock */
static atomic_t iub_bufs_gone = ATOMIC_INIT(0);

static void iub_buf_map_free(struct iub_buf *buf, struct iub_buf_map *map)
{
	/*
	 * No transfer uses the mapping: the CPU owns the buffer and may have
	 * written it since the last transfer ended. Unmapping a mapping the
	 * device may write hands the device side to the CPU (swiotlb copies
	 * its bounce buffer back, a non-coherent CPU invalidates its
	 * caches), so the device side gets the CPU's bytes first.
	 */
	if (map->need_sync && iub_map_writable(map->dir))
		dma_sync_sgtable_for_device(map->dev, map->sgt, map->dir);
	iub_segs_drop_cache(map);
	dma_buf_unmap_attachment_unlocked(map->attach, map->sgt, map->dir);
	dma_buf_detach(buf->dmabuf, map->attach);
	put_device(map->dev);
	kfree(map);
}

static void iub_buf_release_work(struct work_struct *work)
{
	struct iub_buf *buf = container_of(work, struct iub_buf, release_work);
	struct iub_buf_map *map, *tmp;

	if (buf->vaddr) {
		struct iosys_map vmap = IOSYS_MAP_INIT_VADDR(buf->vaddr);

		dma_buf_vunmap_unlocked(buf->dmabuf, &vmap);
	}
	list_for_each_entry_safe(map, tmp, &buf->maps, node)
		iub_buf_map_free(buf, map);
	dma_buf_put(buf->dmabuf);
	mutex_destroy(&buf->lock);

	/* unmapped: this DMABUF may be imported again */
	mutex_lock(&iub_bufs_lock);
	list_del(&buf->node);
	atomic_inc(&iub_bufs_gone);
	mutex_unlock(&iub_bufs_lock);
	wake_up_all(&iub_bufs_released);

	kfree_rcu(buf, rcu);
	/*
	 * From iub_issue_wq, which module exit destroys (waiting for us), so
	 * this function can still return; from iub_buf_put_now(), the
	 * caller's file holds the module.
	 */
	module_put(THIS_MODULE);
}

static void iub_buf_release(struct kref *ref)
{
	struct iub_buf *buf = container_of(ref, struct iub_buf, ref);

	queue_work(iub_issue_wq, &buf->release_work);
}

/**
 * iub_buf_put() - drop a reference to a buffer
 * @buf: the buffer
 *
 * Any context but hard IRQ; the last reference schedules the release.
 */
void iub_buf_put(struct iub_buf *buf)
{
	kref_put(&buf->ref, iub_buf_release);
}

/*
 * Drop a handle's reference in the process context of the command or the
 * close() that drops it: the last one unmaps right away, so that once
 * BUF_DETACH or close() returned the bridge maps the buffer no more
 * (unless transfers still hold it). An exporter may not expect its
 * mapping to go while userspace brackets CPU access on the same DMABUF
 * (the system heap syncs every attachment it thinks mapped, without
 * locking against unmap): the application's order is kept.
 */
static void iub_buf_put_now(struct iub_buf *buf)
{
	if (refcount_dec_and_test(&buf->ref.refcount))
		iub_buf_release_work(&buf->release_work);
}

/**
 * iub_buf_get() - look a handle up and take a reference
 * @ctx: the open file
 * @handle: the handle
 *
 * Return: the buffer, referenced, or NULL if @handle names none.
 */
struct iub_buf *iub_buf_get(struct iub_ctx *ctx, u32 handle)
{
	struct iub_buf *buf;

	rcu_read_lock();
	buf = xa_load(&ctx->bufs, handle);
	if (buf && !kref_get_unless_zero(&buf->ref))
		buf = NULL;
	rcu_read_unlock();
	return buf;
}

/**
 * iub_buf_get_next() - the first buffer of a file from a handle on
 * @ctx: the file
 * @handle: where to start; set to the handle found
 *
 * Return: the buffer, referenced, or NULL when there is none from
 * @handle on.
 */
struct iub_buf *iub_buf_get_next(struct iub_ctx *ctx, unsigned long *handle)
{
	struct iub_buf *buf;

	rcu_read_lock();
	for (;;) {
		buf = xa_find(&ctx->bufs, handle, ULONG_MAX, XA_PRESENT);
		if (!buf || kref_get_unless_zero(&buf->ref))
			break;
		(*handle)++;
	}
	rcu_read_unlock();
	return buf;
}

/*
 * The buffer of @dmabuf, referenced: the one already imported, or a new
 * one. Takes over the caller's reference to @dmabuf. Waits for a buffer of
 * @dmabuf that is being released to be unmapped first.
 */
static struct iub_buf *iub_buf_import(struct dma_buf *dmabuf)
{
	struct iub_buf *buf, *found;
	int gone;

	for (;;) {
		found = NULL;
		mutex_lock(&iub_bufs_lock);
		list_for_each_entry(buf, &iub_bufs, node) {
			if (buf->dmabuf == dmabuf) {
				found = buf;
				break;
			}
		}
		if (!found)
			break;
		if (kref_get_unless_zero(&found->ref)) {
			mutex_unlock(&iub_bufs_lock);
			/* the buffer holds a reference of its own */
			dma_buf_put(dmabuf);
			return found;
		}
		gone = atomic_read(&iub_bufs_gone);
		mutex_unlock(&iub_bufs_lock);
		/* released: its worker unmaps it soon, then it leaves the list */
		wait_event(iub_bufs_released,
			   atomic_read(&iub_bufs_gone) != gone);
	}

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf) {
		mutex_unlock(&iub_bufs_lock);
		dma_buf_put(dmabuf);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&buf->ref);
	buf->dmabuf = dmabuf;
	buf->size = dmabuf->size;
	mutex_init(&buf->lock);
	spin_lock_init(&buf->maps_lock);
	INIT_LIST_HEAD(&buf->maps);
	INIT_WORK(&buf->release_work, iub_buf_release_work);
	list_add_tail(&buf->node, &iub_bufs);
	mutex_unlock(&iub_bufs_lock);
	/* the release worker runs our code after the file may be closed */
	__module_get(THIS_MODULE);
	return buf;
}

/* whether a handle of @ctx names @buf (a pointer comparison only) */
static bool iub_ctx_names(struct iub_ctx *ctx, struct iub_buf *buf)
{
	struct iub_buf *each;
	unsigned long handle;

	lockdep_assert_held(&ctx->attach_lock);
	xa_for_each(&ctx->bufs, handle, each) {
		if (each == buf)
			return true;
	}
	return false;
}

/**
 * iub_buf_attach() - import a DMABUF and give it a handle
 * @ctx: the open file
 * @fd: the DMABUF's file descriptor
 * @nowait: issued by io_uring, where waiting is not allowed: the buffer is
 *	not mapped for the file's ports here, but by its first transfer on
 *	each, which the file's worker then issues (iub_defer.c)
 *
 * The buffer is mapped for the ports the file holds (iub_buf_premap()).
 * A DMABUF is imported once, whatever files and handles name it: a file
 * that attaches a DMABUF another file has, or one it detached while
 * transfers still held it, gets a handle for that buffer and its mappings.
 * A file attaches a DMABUF once: a second attach while a handle of the
 * file names it is refused.
 *
 * Return: the handle (>= 0), -EBADF if @fd is no DMABUF, -EEXIST if the
 * file has this DMABUF attached already, -ENOSPC at the max_buffers limit,
 * -ENOMEM.
 */
int iub_buf_attach(struct iub_ctx *ctx, int fd, bool nowait)
{
	struct dma_buf *dmabuf;
	struct iub_buf *buf;
	u32 handle;
	int ret;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return -EBADF;

	mutex_lock(&ctx->attach_lock);
	buf = iub_buf_import(dmabuf);
	if (IS_ERR(buf)) {
		mutex_unlock(&ctx->attach_lock);
		return PTR_ERR(buf);
	}
	if (iub_ctx_names(ctx, buf)) {
		ret = -EEXIST;
		goto err_put_buf;
	}
	ret = xa_alloc(&ctx->bufs, &handle, buf,
		       XA_LIMIT(0, iub_max_buffers - 1), GFP_KERNEL);
	if (ret) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto err_put_buf;
	}
	/* the handle may be detached once the lock is dropped: hold @buf */
	kref_get(&buf->ref);
	mutex_unlock(&ctx->attach_lock);
	if (!nowait)
		iub_ports_premap(ctx, buf);
	iub_buf_put(buf);
	return handle;

err_put_buf:
	mutex_unlock(&ctx->attach_lock);
	iub_buf_put(buf);
	return ret;
}

/**
 * iub_buf_detach() - forget a handle
 * @ctx: the open file
 * @handle: the handle
 *
 * Transfers in flight keep the buffer until they end.
 *
 * Return: 0, or -ENOENT if @handle names no buffer.
 */
int iub_buf_detach(struct iub_ctx *ctx, u32 handle)
{
	struct iub_buf *buf;

	mutex_lock(&ctx->attach_lock);
	buf = xa_erase(&ctx->bufs, handle);
	mutex_unlock(&ctx->attach_lock);
	if (!buf)
		return -ENOENT;
	iub_buf_put_now(buf);
	return 0;
}

/**
 * iub_buf_detach_all() - forget every handle of a closing file
 * @ctx: the open file
 */
void iub_buf_detach_all(struct iub_ctx *ctx)
{
	struct iub_buf *buf;
	unsigned long handle;

	mutex_lock(&ctx->attach_lock);
	xa_for_each(&ctx->bufs, handle, buf) {
		xa_erase(&ctx->bufs, handle);
		iub_buf_put_now(buf);
	}
	mutex_unlock(&ctx->attach_lock);
}

static struct iub_buf_map *iub_buf_find_map(struct iub_buf *buf,
					    struct device *dev,
					    enum dma_data_direction dir)
{
	struct iub_buf_map *map;

	lockdep_assert_held(&buf->maps_lock);
	list_for_each_entry(map, &buf->maps, node) {
		if (map->dev == dev && map->dir == dir)
			return map;
	}
	return NULL;
}

/* The mapping for @dev and @dir if there is one, with a use if @use. */
static struct iub_buf_map *iub_buf_lookup_map(struct iub_buf *buf,
					      struct device *dev,
					      enum dma_data_direction dir,
					      bool use)
{
	struct iub_buf_map *map;
	unsigned long flags;

	spin_lock_irqsave(&buf->maps_lock, flags);
	map = iub_buf_find_map(buf, dev, dir);
	if (map && use)
		map->users++;
	spin_unlock_irqrestore(&buf->maps_lock, flags);
	return map;
}

/**
 * iub_buf_map_put() - a transfer no longer uses its mapping
 * @buf: the buffer
 * @map: from iub_buf_map() with %IUB_MAP_USE
 *
 * Any context. The mapping stays until the buffer is released or another
 * device must write the buffer.
 */
void iub_buf_map_put(struct iub_buf *buf, struct iub_buf_map *map)
{
	unsigned long flags;

	spin_lock_irqsave(&buf->maps_lock, flags);
	WARN_ON(!map->users--);
	spin_unlock_irqrestore(&buf->maps_lock, flags);
}

/*
 * Another device's mapping that lets it write the buffer, which a new
 * writable mapping for @dev would overlap: taken off the list if no
 * transfer uses it (*@evict, to be unmapped by the caller), else -EBUSY.
 * With @buf->lock held.
 */
static int iub_buf_evict_writer(struct iub_buf *buf, struct device *dev,
				bool may_evict, struct iub_buf_map **evict)
{
	struct iub_buf_map *map;
	int ret = 0;

	lockdep_assert_held(&buf->lock);
	*evict = NULL;
	spin_lock_irq(&buf->maps_lock);
	list_for_each_entry(map, &buf->maps, node) {
		if (!iub_map_writable(map->dir) || map->dev == dev)
			continue;
		if (map->users || !may_evict) {
			ret = -EBUSY;
		} else {
			list_del(&map->node);
			*evict = map;
		}
		break;
	}
	spin_unlock_irq(&buf->maps_lock);
	return ret;
}

/* whether some entry of @sgt needs dma_sync_*() for @dev */
static bool iub_sgt_need_sync(struct device *dev, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (dma_need_sync(dev, sg_dma_address(sg)))
			return true;
	}
	return false;
}

/**
 * iub_buf_map() - the buffer's mapping for a DMA device and direction,
 *	made on first use
 * @buf: the buffer, referenced by the caller
 * @dev: the device that will perform the DMA
 * @dir: iub_port_map_dir() of the port: DMA_BIDIRECTIONAL (the device
 *	fills the buffer) or DMA_TO_DEVICE
 * @flags: %IUB_MAP_NOWAIT: only return a mapping that exists (-EAGAIN if
 *	none): making one takes the buffer's reservation lock, which another
 *	driver may hold for long. %IUB_MAP_USE: for a transfer, which holds
 *	the mapping until iub_buf_map_put(); without it (iub_buf_premap()),
 *	no other device's mapping is removed for this one.
 *
 * Process context; may sleep the first time a device is seen. The mapping
 * is made under the buffer's reservation lock and lives as long as @buf,
 * except that one device at a time may write a buffer: a writable
 * mapping for @dev first removes another device's writable mapping if no
 * transfer uses it. A file maps its buffers for its ports' devices when
 * it attaches a buffer or claims a port (iub_buf_premap()), so that
 * transfers find their mapping made.
 *
 * Return: the mapping, or an ERR_PTR(): -EAGAIN, -EBUSY (transfers of
 * another device that writes the buffer are in flight), or the
 * exporter's error (-EIO where it cannot map the buffer for @dev, for
 * example a piece larger than bounce buffering can map).
 */
struct iub_buf_map *iub_buf_map(struct iub_buf *buf, struct device *dev,
				enum dma_data_direction dir,
				unsigned int flags)
{
	bool use = flags & IUB_MAP_USE;
	struct iub_buf_map *map, *evict = NULL;
	int ret;

	map = iub_buf_lookup_map(buf, dev, dir, use);
	if (map)
		return map;
	/* dma_buf_attach() itself takes the reservation lock */
	if (flags & IUB_MAP_NOWAIT)
		return ERR_PTR(-EAGAIN);

	mutex_lock(&buf->lock);
	map = iub_buf_lookup_map(buf, dev, dir, use);
	if (map)
		goto out_unlock;
	if (iub_map_writable(dir)) {
		ret = iub_buf_evict_writer(buf, dev, use, &evict);
		if (ret) {
			map = ERR_PTR(ret);
			goto out_unlock;
		}
		if (evict)
			iub_buf_map_free(buf, evict);
	}

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map) {
		map = ERR_PTR(-ENOMEM);
		goto out_unlock;
	}
	map->dev = get_device(dev);
	map->dir = dir;
	INIT_LIST_HEAD(&map->segs);
	map->attach = dma_buf_attach(buf->dmabuf, dev);
	if (IS_ERR(map->attach)) {
		ret = PTR_ERR(map->attach);
		goto err_free_map;
	}
	map->sgt = dma_buf_map_attachment_unlocked(map->attach, dir);
	if (IS_ERR(map->sgt)) {
		ret = PTR_ERR(map->sgt);
		goto err_detach;
	}
	map->need_sync = iub_sgt_need_sync(dev, map->sgt);
	map->users = use;
	spin_lock_irq(&buf->maps_lock);
	list_add_tail(&map->node, &buf->maps);
	spin_unlock_irq(&buf->maps_lock);
	goto out_unlock;

err_detach:
	dma_buf_detach(buf->dmabuf, map->attach);
err_free_map:
	put_device(map->dev);
	kfree(map);
	map = ERR_PTR(ret);
out_unlock:
	mutex_unlock(&buf->lock);
	return map;
}

/**
 * iub_buf_premap() - map a buffer for a port before its first transfer
 * @buf: the buffer, referenced by the caller
 * @port: a port claimed by a file that has @buf attached
 *
 * Process context; may wait. Called when a file attaches a buffer or
 * claims a port, so that an io_uring transfer, which must not wait for the
 * buffer's reservation lock where io_uring issues it, finds the mapping
 * made. A failure is not reported here: the transfer meets it again. No
 * mapping is made where another device may write the buffer already.
 */
void iub_buf_premap(struct iub_buf *buf, struct iub_port *port)
{
	if (port->dma_dev)
		iub_buf_map(buf, port->dma_dev, iub_port_map_dir(port), 0);
	else
		iub_buf_vmap(buf, false);
}

/**
 * iub_buf_vmap() - a kernel address of the buffer, for CPU-driven ports
 * @buf: the buffer, referenced by the caller
 * @nowait: only return a mapping that exists (-EAGAIN if none)
 *
 * For hardware that moves data with the CPU (a UDC without DMA, like
 * dummy_hcd), made once per buffer and kept until it is released. Process
 * context.
 *
 * Return: the address, or an ERR_PTR() (-EOPNOTSUPP for I/O memory).
 */
void *iub_buf_vmap(struct iub_buf *buf, bool nowait)
{
	struct iosys_map map;
	void *vaddr;
	int ret;

	vaddr = READ_ONCE(buf->vaddr);
	if (vaddr)
		return vaddr;
	if (nowait)
		return ERR_PTR(-EAGAIN);	/* it takes the reservation lock */
	mutex_lock(&buf->lock);
	vaddr = buf->vaddr;
	if (vaddr)
		goto out_unlock;
	ret = dma_buf_vmap_unlocked(buf->dmabuf, &map);
	if (ret) {
		vaddr = ERR_PTR(ret);
		goto out_unlock;
	}
	if (map.is_iomem) {
		dma_buf_vunmap_unlocked(buf->dmabuf, &map);
		vaddr = ERR_PTR(-EOPNOTSUPP);
		goto out_unlock;
	}
	vaddr = map.vaddr;
	WRITE_ONCE(buf->vaddr, vaddr);
out_unlock:
	mutex_unlock(&buf->lock);
	return vaddr;
}
EXPORT_SYMBOL_GPL(iub_buf_vmap);

static const char *iub_fence_driver_name(struct dma_fence *fence)
{
	return "iio-usb-bridge";
}

static const char *iub_fence_timeline_name(struct dma_fence *fence)
{
	return "transfer";
}

static void iub_fence_free_work(struct work_struct *work)
{
	struct iub_fence *fence = container_of(work, struct iub_fence,
					       free_work);

	dma_fence_free(&fence->base);
	/* module exit drains iub_wq, so this function can still return */
	module_put(THIS_MODULE);
}

/*
 * The last reference went, in any context (a dma_fence_put() in another
 * driver's interrupt handler): free from iub_wq, where dropping the module
 * reference is safe.
 */
static void iub_fence_release(struct dma_fence *base)
{
	struct iub_fence *fence = container_of(base, struct iub_fence, base);

	queue_work(iub_wq, &fence->free_work);
}

static const struct dma_fence_ops iub_fence_ops = {
	.get_driver_name = iub_fence_driver_name,
	.get_timeline_name = iub_fence_timeline_name,
	.release = iub_fence_release,
};

/**
 * iub_fence_alloc() - allocate the fence of a transfer
 *
 * Process context. Until iub_fence_init(), free it with kfree().
 *
 * Return: the fence, or NULL.
 */
struct iub_fence *iub_fence_alloc(void)
{
	return kzalloc(sizeof(struct iub_fence), GFP_KERNEL);
}

/**
 * iub_fence_init() - give a transfer's fence its place on the port's timeline
 * @fence: from iub_fence_alloc()
 * @port: the port; the fence gets its context and next sequence number
 *
 * Called with @port->lock held, at the moment the transfer takes its place
 * in the port's queue, so that sequence numbers follow completion order.
 * The fence then holds one reference: the transfer's; and it holds the
 * module until it is freed (see &struct iub_fence).
 */
void iub_fence_init(struct iub_fence *fence, struct iub_port *port)
{
	lockdep_assert_held(&port->lock);
	/* the caller's file holds the module already: this cannot fail */
	__module_get(THIS_MODULE);
	INIT_WORK(&fence->free_work, iub_fence_free_work);
	spin_lock_init(&fence->lock);
	dma_fence_init(&fence->base, &iub_fence_ops, &fence->lock,
		       port->fence_context, ++port->seqno);
}

/**
 * iub_fence_signal() - signal the fence of an ended transfer
 * @fence: the fence
 * @error: 0, or the transfer's negative errno
 *
 * Any context, no port lock held: callbacks on the fence run from here and
 * may start transfers on other ports.
 */
void iub_fence_signal(struct iub_fence *fence, int error)
{
	bool cookie = dma_fence_begin_signalling();

	if (error)
		dma_fence_set_error(&fence->base, error);
	dma_fence_signal(&fence->base);
	dma_fence_end_signalling(cookie);
}
