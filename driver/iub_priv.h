/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iio-usb-bridge: private definitions shared by the files of the module.
 *
 * Where things live:
 *   iub_main.c   module init/exit, the misc device, open/release of a context
 *   iub_cmd.c    the command table: argument checks and one handler each,
 *                and the blocking ioctl entry point
 *   iub_uring.c  the IORING_OP_URING_CMD entry point, completion through
 *                task work, and cancellation
 *   iub_defer.c  io_uring commands that would wait where io_uring issues
 *                them: issued later, in order, by the file's worker
 *   iub_req.c    the life of one asynchronous command (a request): where it
 *                is counted, completed exactly once, cancelled and waited for
 *   iub_dmabuf.c DMABUF import: handles, one mapping per DMA device, fences
 *   iub_port.c   the port registry: names, claims, counters, GET_PORTS
 *   iub_port_dma.c converter ports: the dmaengine channel of an IIO device
 *   iub_xfer.c   transfers: checks, implicit sync, start in order, complete
 *   iub_route.c  routes: two transfers chained by a fence, one completion
 *   iub_stream.c streams: a ring of routes, routed again in the kernel
 *   iub_trace.c  tracepoints (iub_trace.h)
 *
 * A command enters through iub_ioctl() or iub_uring_cmd(); both copy its
 * argument block once and call the handler that iub_cmd_lookup() finds. The
 * handler answers at once, or creates a struct iub_req and returns
 * -EIOCBQUEUED; the request then ends in iub_req_complete(), from any
 * context, and its result reaches userspace from task context.
 */
#ifndef _IUB_PRIV_H
#define _IUB_PRIV_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/dma-fence.h>
#include <linux/dmaengine.h>
#include <linux/dma-direction.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <linux/iio_usb_bridge.h>

struct dma_buf;
struct dma_buf_attachment;
struct dma_resv;
struct io_uring_cmd;
struct iub_port;
struct iub_req;
struct iub_stream_req;
struct sg_table;

/**
 * struct iub_ctx - state of one open file of /dev/iio-usb-bridge
 * @ref: held by the open file and by every request created on it, until
 *	the request is freed
 * @inflight: requests created on this file and not yet freed, plus those
 *	its streams reserved for their routes (&struct iub_req.charge);
 *	bounded by the max_inflight module parameter. Atomic, no lock.
 * @bufs: handle -> struct iub_buf; the xarray's own lock protects it, and
 *	a buffer is looked up under RCU with a reference taken
 * @attach_lock: serializes BUF_ATTACH and BUF_DETACH of this file, so that
 *	the check that no handle of the file names the buffer and the
 *	insertion of the new handle are one step
 * @defer_lock: protects @defer_list, @deferred and the inner request of
 *	each deferred command (iub_defer.c)
 * @defer_list: io_uring commands that could not be issued without waiting,
 *	in submission order, until @defer_work issues them
 * @deferred: deferred commands not issued yet (on @defer_list or being
 *	issued); while nonzero, later commands of the file follow them
 * @defer_work: issues @defer_list; holds a reference to the context while
 *	queued
 * @defer_idle: woken when @deferred drops to zero
 *
 * What the file owns (handles, claims) goes in iub_release(), at the last
 * close. The structure itself lives until the last request of the file is
 * freed (iub_ctx_put()): a request's result reaches userspace, and its
 * command's file reference goes, before a worker may drop the request's
 * last reference (&struct iub_xfer.wait_work). Ports claimed by the
 * context point back to it (&struct iub_port.owner) and are released in
 * iub_release().
 */
struct iub_ctx {
	struct kref ref;
	atomic_t inflight;
	struct xarray bufs;
	struct mutex attach_lock;	/* BUF_ATTACH/DETACH of this file */
	spinlock_t defer_lock;		/* the deferred commands */
	struct list_head defer_list;
	unsigned int deferred;
	struct work_struct defer_work;
	wait_queue_head_t defer_idle;
};

/**
 * struct iub_buf_map - a buffer attached to and mapped for one DMA device
 *	in one direction
 * @node: in &struct iub_buf.maps
 * @dev: the device that performs the DMA (not the converter, not the UDC's
 *	parent when another device does its DMA)
 * @dir: iub_port_map_dir(): DMA_BIDIRECTIONAL for ports that fill
 *	buffers, DMA_TO_DEVICE for ports that empty them. A mapping the
 *	device may write is bidirectional so that, before it is unmapped,
 *	the CPU's bytes can be handed to the device side (a DMA_FROM_DEVICE
 *	sync for the device copies nothing into a bounce buffer), which the
 *	unmap then hands back unchanged (iub_buf_map_free()). One
 *	device-writable mapping per buffer at a time: the DMA API does not
 *	allow overlapping mappings that a device may write, and an exporter
 *	that bounces would copy one mapping's stale bounce buffer over what
 *	the other device wrote when it unmaps. A buffer that another device
 *	must fill next loses its idle writable mapping first (iub_buf_map()).
 * @attach: the DMABUF attachment to @dev
 * @sgt: the mapping; walked by DMA entries (sg_dma_address/sg_dma_len),
 *	never by CPU pages
 * @need_sync: some entry needs dma_sync_*() calls (dma_need_sync(): a
 *	bounce buffer, or a device that is not cache coherent); transfers
 *	then pass ownership of their range to the device and back
 *	(iub_xfer_sync())
 * @users: transfers that hold the mapping, from iub_xfer_create() to their
 *	release; protected by &struct iub_buf.maps_lock. Only a mapping
 *	without users leaves @maps before the buffer is released.
 * @segs: the segment tables of the ranges transferred on it lately
 *	(&struct iub_segs, most recently used first), so that a range moved
 *	again is not walked, split and allocated again (iub_xfer_segs());
 *	protected by &struct iub_buf.maps_lock, freed with the mapping
 * @nr_segs: tables on @segs, at most %IUB_SEGS_CACHED
 * @seg_entries: their segments in all, at most twice the entries of @sgt
 *	(iub_segs_fit())
 */
struct iub_buf_map {
	struct list_head node;
	struct device *dev;
	enum dma_data_direction dir;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	bool need_sync;
	unsigned int users;
	struct list_head segs;
	unsigned int nr_segs;
	unsigned int seg_entries;
};

/* Ranges whose segment tables a mapping keeps (&struct iub_buf_map.segs). */
#define IUB_SEGS_CACHED	32

/**
 * struct iub_segs - the DMA segments of one range of a mapping, built once
 * @ref: one for the mapping's cache while it is listed there, one for
 *	each transfer that uses it; the last put frees it
 * @node: in &struct iub_buf_map.segs, under &struct iub_buf.maps_lock
 * @offset: the range's start in the buffer
 * @length: its length
 * @max_seg: the longest segment of the port it was built for
 * @align: the alignment its segments were checked against
 * @sgt: the same segments as a DMA-side scatterlist (each entry's DMA
 *	address and length, no page), for hardware that takes one; built
 *	only when asked for (@sgt.sgl NULL otherwise)
 * @nents: entries of @v
 * @v: the segments
 *
 * Immutable once built: any number of transfers, on any port that DMAs
 * through the same mapping, read it at once. A transfer cut short after it
 * was prepared (a route's second stage) gets its own trimmed copy
 * (iub_segs_trim_vec(), iub_segs_trim_sgt()).
 */
struct iub_segs {
	refcount_t ref;
	struct list_head node;
	u32 offset;
	u32 length;
	u32 max_seg;
	u32 align;
	struct sg_table sgt;
	unsigned int nents;
	struct dma_vec v[] __counted_by(nents);
};

/**
 * struct iub_buf - an imported DMABUF
 * @ref: held by each handle that names the buffer (in any file) and by
 *	every transfer on it
 * @node: on the module's list of imported buffers (iub_dmabuf.c), until
 *	the release worker has unmapped it
 * @dmabuf: the DMABUF, referenced for as long as @ref is nonzero
 * @size: its size in bytes
 * @lock: serializes making and removing mappings, which may wait for the
 *	DMABUF's reservation lock
 * @maps_lock: protects @maps and each mapping's users; a spinlock, so
 *	that a transfer that must not wait can look its mapping up
 * @maps: &struct iub_buf_map, one per DMA device and direction; changed
 *	under @lock and @maps_lock, read under either
 * @release_work: unmaps, detaches and puts the DMABUF in process context
 *	after the last reference went (that may happen in task work)
 * @rcu: the buffer is freed after a grace period: handles are looked up
 *	under RCU
 * @vaddr: kernel mapping for ports whose hardware copies with the CPU,
 *	made on first use under @lock (dma_buf_vmap), NULL until then
 */
struct iub_buf {
	struct kref ref;
	struct list_head node;
	struct dma_buf *dmabuf;
	size_t size;
	struct mutex lock;		/* serializes changes of @maps */
	spinlock_t maps_lock;		/* @maps, each mapping's users */
	struct list_head maps;
	struct work_struct release_work;
	struct rcu_head rcu;
	void *vaddr;
};

/**
 * struct iub_fence - the fence a transfer publishes in its buffer's dma_resv
 * @base: the fence; signalled, in submission order per port, when the
 *	transfer ends (with an error if it failed)
 * @lock: the fence's own lock, never shared with another fence
 * @free_work: frees the fence and drops its module reference, from
 *	iub_wq, after the fence's last reference went
 *
 * Lifetime: anyone may hold a reference to the fence (the DMABUF's
 * dma_resv, a sync_file exported from it, another driver waiting), for as
 * long as they like, after our file, our buffer and our transfer are
 * gone. Its ops and lock are ours, so each initialized fence holds a
 * reference to this module (rmmod is refused while one is alive) until
 * @free_work has run; module exit drains iub_wq, so that worker can still
 * return after its module_put().
 */
struct iub_fence {
	struct dma_fence base;
	spinlock_t lock;		/* this fence's only */
	struct work_struct free_work;
};

struct iub_xfer;
struct iub_event_req;

/**
 * struct iub_port_ops - what a kind of port does
 * @owner: the module whose code these are. A port of another module than
 *	the bridge (the USB function) holds a reference to it from
 *	iub_port_add() until the port is freed: transfers call @release and
 *	@destroy when they are freed, which can be long after the port was
 *	unregistered (a CQE reaped late)
 * @prepare: process context, at submission: check the transfer against the
 *	port and build what starting it needs (e.g. a DMA vector)
 * @start: start the transfer's data movement; any context, called with
 *	&struct iub_port.lock held, so it must not sleep, and the transfer's
 *	completion must not run inside it (it would take that lock).
 *	Returns 0 or -errno (the transfer then completes with that error);
 *	-EAGAIN means "not now": the transfer stays first in line until
 *	iub_port_kick() (e.g. a USB port that is not configured by the host)
 * @rearm: for a cyclic transfer whose period ended: whether @start must
 *	be called again (software repetition) or the hardware repeats
 * @cancel: process context: stop the hardware; when it returns, no
 *	completion of a started transfer runs any more
 * @finish: give back what the transfer borrowed from the hardware side
 *	(e.g. a USB request) as it ends; any context, no lock held. May be
 *	NULL
 * @release: free what @prepare built; process context
 * @destroy: free the port after its last reference; may be NULL
 * @event_take: take the oldest event queued for the port's function
 *	(IUB_IOC_PORT_EVENT): the event (>= 0), -EAGAIN when none is queued,
 *	or -ESHUTDOWN when the function is gone. Any context. NULL: the port
 *	has no events (-EOPNOTSUPP)
 * @event_wait: give a committed event request the next event: at once if
 *	one is queued (or the function is gone), else when it comes. Any
 *	context
 * @event_cancel: end a waiting event request with -ECANCELED, unless an
 *	event ended it already. Any context
 * @start_in_worker: a transfer that waited for a fence starts from a
 *	worker, never from the fence callback: @start takes locks (a UDC's)
 *	that are not safe under a fence's lock, which may be taken in hard
 *	interrupt context (a dma_fence_array signals from irq_work)
 */
struct iub_port_ops {
	struct module *owner;
	int (*prepare)(struct iub_xfer *x);
	int (*start)(struct iub_xfer *x);
	bool (*rearm)(struct iub_xfer *x);
	void (*cancel)(struct iub_port *port);
	void (*finish)(struct iub_xfer *x);
	void (*release)(struct iub_xfer *x);
	void (*destroy)(struct iub_port *port);
	int (*event_take)(struct iub_port *port);
	void (*event_wait)(struct iub_port *port, struct iub_event_req *er);
	void (*event_cancel)(struct iub_port *port, struct iub_event_req *er);
	bool start_in_worker;
};

/**
 * struct iub_port - one port: a converter's DMA channel (or a USB endpoint)
 * @node: in the list of the kind's ports (e.g. converter ports), owned by
 *	the kind
 * @id: the port's number in the UAPI and its index in the registry
 * @name: "device:channel"
 * @kind: %IUB_PORT_CONVERTER or %IUB_PORT_USB
 * @ref: held by the registry while the port is registered, and by every
 *	transfer on it; the last put calls @ops->destroy
 * @direction: %IUB_DIR_TO_MEM or %IUB_DIR_FROM_MEM; valid when present
 * @ops: the kind's operations
 * @present: its hardware is there (channel requested, endpoint bound);
 *	written under iub_ports_lock and @lock
 * @owner: the context that claimed the port, or NULL; written under both
 *	iub_ports_lock and @lock, so either protects a read (the transfer
 *	path also peeks with READ_ONCE())
 * @lost_owner: the context whose claim the converter's removal dropped:
 *	its transfers, routes and cancels on the port get -ESHUTDOWN rather
 *	than -EPERM (iub_port_not_ours()) until the port is claimed again or
 *	that file closes. Written like @owner; compared, never dereferenced
 * @dma_dev: the device that performs the DMA, where buffers are attached
 *	and mapped; NULL for a port whose hardware reaches memory through
 *	the CPU (see iub_buf_vmap()). Set before @present; stable while the
 *	port is claimed
 * @align: required alignment of offsets and lengths
 * @max_transfer: largest transfer in bytes
 * @max_seg: longest DMA segment the hardware takes (the DMA device's
 *	dma_get_max_seg_size(), on USB ports at most what every UDC's
 *	descriptor holds; a multiple of @align); longer ones are split.
 *	0: no limit (USB ports on the CPU path)
 * @caps: %IUB_PORT_F_DMA_VEC, %IUB_PORT_F_SLAVE_SG, %IUB_PORT_F_CYCLIC,
 *	%IUB_PORT_F_USB_SG, %IUB_PORT_F_USB_CPU, %IUB_PORT_F_ONLINE; the
 *	kind may change them later under @lock
 * @conv_devname: converter ports: name of the converter's device
 * @conv_chan: converter ports: name of its DMA channel
 * @conv_dev: converter ports: the converter's device, referenced
 * @chan: converter ports: the DMA channel, requested by the bridge; set
 *	under iub_ports_lock, cleared and given back under @cancel_lock,
 *	iub_ports_lock and @lock, so that the port's cancel (which holds
 *	@cancel_lock) and start (@lock) never use a channel given back
 * @lock: protects @pending, @running, @cancelling, @cancel_ended, @seqno,
 *	@gap_start and the counters; taken with interrupts disabled (DMA
 *	callbacks take it)
 * @pending: transfers submitted and not yet started, in submission order
 * @running: transfers started and not yet ended, in submission order
 * @cancelling: a cancel is under way: nothing new starts until it is over
 * @cancel_ended: started transfers that the hardware ended with an error
 *	while @cancelling (counted for iub_xfer_end_port()'s result)
 * @fence_context: the dma_fence context of this port's transfers
 * @seqno: the last fence sequence number used
 * @bytes: bytes moved by successful transfers
 * @transfers: successful transfers
 * @errors: failed or cancelled transfers
 * @gap_start: converter ports: when the last running transfer ended
 *	(iub_port_gap_open()), while nothing was started after it; 0 when no
 *	gap is open (the port was claimed, cancelled or released since, or
 *	something runs). Protected by @lock
 * @gaps: gaps closed by a transfer's start (iub_port_gap_close())
 * @gap_ns: their total length
 * @cancel_lock: serializes cancellations of this port (process context)
 * @failed: transfers that could not start from a fence callback, to be
 *	ended by @kick_work; protected by @lock
 * @ending: iub_port_kick() calls ending failed transfers outside @lock;
 *	nothing behind them starts meanwhile. Protected by @lock
 * @kick_work: ends @failed and starts what is ready: a fence callback
 *	runs under the signalling fence's lock, where ending a transfer
 *	(signalling its fence) must not happen
 * @stream: the stream running on the port, or NULL: only its transfers
 *	are queued on the port meanwhile (-EBUSY for others). Set and
 *	cleared by the stream (iub_stream.c) under @lock, cleared before the
 *	stream completes: PORT_CANCEL takes a reference to the stream's
 *	request under @lock (iub_stream_end_port())
 * @rcu: lookups are lockless: the kind frees the port after a grace period
 */
struct iub_port {
	struct list_head node;
	u32 id;
	char name[IUB_PORT_NAME_LEN];
	u32 kind;
	struct kref ref;
	u32 direction;
	const struct iub_port_ops *ops;
	bool present;
	struct iub_ctx *owner;
	struct iub_ctx *lost_owner;
	struct device *dma_dev;
	u32 align;
	u32 max_transfer;
	u32 max_seg;
	u32 caps;

	char *conv_devname;
	char *conv_chan;
	struct device *conv_dev;
	struct dma_chan *chan;

	spinlock_t lock;		/* queues, state, counters */
	struct list_head pending;
	struct list_head running;
	bool cancelling;
	unsigned int cancel_ended;
	u64 fence_context;
	u64 seqno;
	u64 bytes;
	u64 transfers;
	u64 errors;
	ktime_t gap_start;
	u64 gaps;
	u64 gap_ns;
	struct mutex cancel_lock;	/* one cancellation at a time */
	struct list_head failed;
	unsigned int ending;
	struct work_struct kick_work;
	struct iub_stream_req *stream;
	struct rcu_head rcu;
};

/* The direction a port's buffers are mapped in (&struct iub_buf_map.dir). */
static inline enum dma_data_direction
iub_port_map_dir(const struct iub_port *port)
{
	return port->direction == IUB_DIR_TO_MEM ? DMA_BIDIRECTIONAL :
						   DMA_TO_DEVICE;
}

/* Whether a mapping in @dir lets its device write the buffer. */
static inline bool iub_map_writable(enum dma_data_direction dir)
{
	return dir != DMA_TO_DEVICE;
}

/**
 * union iub_cmd_arg - the argument block of a command, copied from userspace
 * @query: for %IUB_IOC_GET_FEATURES and %IUB_IOC_GET_PORTS
 * @nop: for %IUB_IOC_NOP
 * @attach: for %IUB_IOC_BUF_ATTACH
 * @detach: for %IUB_IOC_BUF_DETACH
 * @claim: for %IUB_IOC_PORT_CLAIM, _RELEASE, _CANCEL and _EVENT
 * @xfer: for %IUB_IOC_TRANSFER
 * @route: for %IUB_IOC_ROUTE
 * @stream: for %IUB_IOC_STREAM
 * @raw: the block as bytes, at most %IUB_CMD_SIZE_MAX
 */
union iub_cmd_arg {
	struct iub_query query;
	struct iub_nop nop;
	struct iub_buf_attach attach;
	struct iub_buf_detach detach;
	struct iub_port_claim claim;
	struct iub_transfer xfer;
	struct iub_route route;
	struct iub_stream_cmd stream;
	u8 raw[IUB_CMD_SIZE_MAX];
};

/**
 * struct iub_cmd - one command being dispatched
 * @ctx: the context of the file the command was issued on
 * @op: the command number (IUB_IOC_*)
 * @arg: kernel copy of the argument block; handlers read only this copy
 * @ioucmd: the io_uring command, or NULL for an ioctl
 * @issue_flags: io_uring issue flags (only with @ioucmd)
 * @nowait: the command must not wait for locks others may hold for long
 *	(io_uring's %IO_URING_F_NONBLOCK): -EAGAIN instead, before its
 *	request exists, and the command is deferred (iub_defer.c)
 * @parent: a deferred command being issued by the file's worker: the
 *	request the handler creates passes its result on to this one
 * @req: the request created by the handler, if it returned -EIOCBQUEUED
 * @stream: a stream's worker routing a range again: the transfers it
 *	creates are the stream's (&struct iub_port.stream), and a wait for
 *	a reservation lock ends when the stream stops
 *
 * Lives on the stack of the entry point for the duration of the dispatch.
 */
struct iub_cmd {
	struct iub_ctx *ctx;
	unsigned int op;
	union iub_cmd_arg arg;
	struct io_uring_cmd *ioucmd;
	unsigned int issue_flags;
	bool nowait;
	struct iub_req *parent;
	struct iub_req *req;
	struct iub_stream_req *stream;
};

/**
 * struct iub_req_ops - what a kind of request does
 * @cancel: make the request end promptly; the request must then reach
 *	iub_req_complete() (with -ECANCELED if it did not finish first).
 *	Called at most once, in process context, never from the completion
 *	path. May be NULL for requests that always end on their own quickly.
 * @release: free what the request holds besides itself, before it is
 *	freed; process context. May be NULL.
 */
struct iub_req_ops {
	void (*cancel)(struct iub_req *req);
	void (*release)(struct iub_req *req);
};

/* bits of iub_req.state */
#define IUB_REQ_COMPLETED	0	/* iub_req_complete() ran */
#define IUB_REQ_CANCELLED	1	/* iub_req_cancel() ran */
#define IUB_REQ_ARMED		2	/* iub_req_arm(): ->cancel can find it */
#define IUB_REQ_CANCEL_RAN	3	/* ->cancel was called (at most once) */

/**
 * struct iub_req - one asynchronous command
 * @ctx: the context it was issued on
 * @ops: cancellation behaviour of this kind of request
 * @ioucmd: the io_uring command to complete, or NULL when an ioctl caller
 *	waits on @done
 * @done: completed for an ioctl caller once @result is set
 * @result: the result, set once by iub_req_complete()
 * @result2: extra result for a 32-byte CQE (routes), 0 otherwise
 * @parent_done: for a request that is part of another (a route's stage,
 *	the inner request of a deferred command): called by
 *	iub_req_complete() instead of delivering the result
 * @parent: the deferred command's request, for iub_defer_inner_done()
 * @state: %IUB_REQ_COMPLETED, %IUB_REQ_CANCELLED, %IUB_REQ_ARMED and
 *	%IUB_REQ_CANCEL_RAN, each set once with test_and_set_bit(); they are
 *	what makes completion exactly-once, and a cancel that arrives before
 *	the request is on its port(s) effective once it is
 * @ref: the request's own reference, dropped when its result was
 *	delivered, plus one held by a submitter that still uses it
 * @charge: requests of the file's max_inflight budget this request holds
 *	until it is freed: 1; a stream's also those of its routes
 *	(iub_req_charge()), whose own requests then hold none. Set before
 *	the request is visible, not changed after
 *
 * Embedded at the start of the kind's own structure (struct iub_xfer, the
 * NOP's), which iub_req_alloc() allocates. Freed by iub_req_put() after
 * the result was delivered: in the task work that posts the CQE, or by the
 * ioctl caller after the wait.
 */
struct iub_req {
	struct iub_ctx *ctx;
	const struct iub_req_ops *ops;
	struct io_uring_cmd *ioucmd;
	struct completion done;
	int result;
	u64 result2;
	unsigned long state;
	refcount_t ref;
	unsigned int charge;
	void (*parent_done)(struct iub_req *req);
	struct iub_req *parent;
};

/**
 * struct iub_event_req - an IUB_IOC_PORT_EVENT waiting for its event
 * @req: the request (first member)
 * @port: the port it names; held until the request is freed
 * @node: in the waiters of the port's function, while it waits; owned
 *	and locked by the port's kind (&struct iub_port_ops.event_wait)
 */
struct iub_event_req {
	struct iub_req req;
	struct iub_port *port;
	struct list_head node;
};

/* states of struct iub_xfer */
enum iub_xfer_state {
	IUB_XFER_WAITING,	/* on port->pending, its wait fence not signalled */
	IUB_XFER_READY,		/* on port->pending, free to start */
	IUB_XFER_ABORT,		/* on port->pending, to end with @abort_error */
	IUB_XFER_RUNNING,	/* on port->running */
	IUB_XFER_ENDED,		/* off both lists, result known */
};

/**
 * struct iub_xfer - one transfer: a request that moves a buffer range
 * @req: the request (first member)
 * @port: the port, claimed by the request's context
 * @buf: the buffer, referenced
 * @map: @buf's mapping for @port's DMA device, NULL for a port without
 *	one
 * @offset: byte offset in the buffer
 * @length: bytes
 * @flags: %IUB_XFER_* flags
 * @state: &enum iub_xfer_state; protected by @port->lock
 * @node: in @port->pending or @port->running; protected by @port->lock
 * @fence: our fence in @buf's dma_resv, or NULL with %IUB_XFER_NO_SYNC;
 *	our own reference, dropped when the transfer is freed
 * @wait: the fence to wait for before starting, referenced, or NULL
 * @wait_cb: callback on @wait
 * @wait_work: takes @wait's signal from the callback to process context
 *	(&struct iub_port_ops.start_in_worker, hard interrupt context); holds
 *	a reference to the request while queued
 * @cookie: dmaengine cookie of the running descriptor
 * @dma_priv: what the port's ->prepare built (vector, scatterlist, USB
 *	request)
 * @dma_nents: entries in @dma_priv
 * @t_submit: when the transfer was submitted, for the latency tracepoint
 * @route: the route this transfer is a stage of, or NULL
 * @abort_error: set (under @port->lock) before the transfer may start:
 *	it then ends with this error instead of starting (a route's second
 *	stage after its first failed)
 * @dev_owned: the range was handed to the device (iub_xfer_sync()) when
 *	the transfer started; it is handed back to the CPU when it ends,
 *	before its fence signals. Under @port->lock.
 * @stream: the stream whose route this transfer is a stage of, or NULL;
 *	compared with &struct iub_port.stream, and asked whether it stops
 *	only while the stream's worker, which holds it, queues the transfer
 */
struct iub_xfer {
	struct iub_req req;
	struct iub_port *port;
	struct iub_buf *buf;
	struct iub_buf_map *map;
	u32 offset;
	u32 length;
	u32 flags;
	enum iub_xfer_state state;
	struct list_head node;
	struct iub_fence *fence;
	struct dma_fence *wait;
	struct dma_fence_cb wait_cb;
	struct work_struct wait_work;
	dma_cookie_t cookie;
	void *dma_priv;
	unsigned int dma_nents;
	ktime_t t_submit;
	struct iub_route_req *route;
	int abort_error;
	bool dev_owned;
	struct iub_stream_req *stream;
};

/* iub_main.c */
void iub_ctx_get(struct iub_ctx *ctx);
void iub_ctx_put(struct iub_ctx *ctx);
extern unsigned int iub_max_inflight;
extern unsigned int iub_max_buffers;
extern struct workqueue_struct *iub_wq;
extern struct workqueue_struct *iub_issue_wq;

/**
 * struct iub_cmd_desc - one entry of the command table
 * @op: the full command number, so that a wrong size or direction in an
 *	otherwise known number is an unknown command
 * @handle: checks the argument block and executes the command; returns a
 *	result, a negative errno, or -EIOCBQUEUED after creating a request.
 *	Once a request exists, its result goes only through
 *	iub_req_complete(), never through the return value.
 * @user_ctx: the handler needs the submitter's context (its memory, its
 *	file table): never deferred to a worker (iub_defer.c)
 */
struct iub_cmd_desc {
	unsigned int op;
	int (*handle)(struct iub_cmd *cmd);
	bool user_ctx;
};

/* iub_cmd.c */
const struct iub_cmd_desc *iub_cmd_lookup(unsigned int op);
long iub_ioctl(struct file *file, unsigned int op, unsigned long arg);
void iub_event_req_complete(struct iub_event_req *er, int result);

/* iub_uring.c */
int iub_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
void iub_uring_attach(struct iub_req *req, unsigned int issue_flags);
void iub_uring_complete(struct iub_req *req);

/* iub_defer.c */
int iub_defer(struct iub_cmd *cmd);
bool iub_defer_pending(struct iub_ctx *ctx);
int iub_defer_wait(struct iub_ctx *ctx);
void iub_defer_work(struct work_struct *work);
void iub_defer_inner_done(struct iub_req *inner);

/* iub_req.c */
struct iub_req *iub_req_alloc(struct iub_cmd *cmd,
			      const struct iub_req_ops *ops, size_t size);
void iub_req_commit(struct iub_cmd *cmd, struct iub_req *req);
void iub_req_arm(struct iub_req *req);
void iub_req_get(struct iub_req *req);
void iub_req_put(struct iub_req *req);
int iub_req_charge(struct iub_req *req, unsigned int n);
void iub_req_complete(struct iub_req *req, int result);
void iub_req_cancel(struct iub_req *req);
int iub_req_wait(struct iub_req *req);

/* iub_dmabuf.c */
int iub_buf_attach(struct iub_ctx *ctx, int fd, bool nowait);
int iub_buf_detach(struct iub_ctx *ctx, u32 handle);
void iub_buf_detach_all(struct iub_ctx *ctx);
struct iub_buf *iub_buf_get(struct iub_ctx *ctx, u32 handle);
void iub_buf_put(struct iub_buf *buf);
void iub_buf_map_put(struct iub_buf *buf, struct iub_buf_map *map);
/* iub_buf_map() flags */
#define IUB_MAP_NOWAIT	BIT(0)	/* only a mapping that exists, else -EAGAIN */
#define IUB_MAP_USE	BIT(1)	/* take a use for a transfer */
struct iub_buf_map *iub_buf_map(struct iub_buf *buf, struct device *dev,
				enum dma_data_direction dir,
				unsigned int flags);
void *iub_buf_vmap(struct iub_buf *buf, bool nowait);
void iub_buf_premap(struct iub_buf *buf, struct iub_port *port);
struct iub_buf *iub_buf_get_next(struct iub_ctx *ctx, unsigned long *handle);
struct iub_fence *iub_fence_alloc(void);
void iub_fence_init(struct iub_fence *fence, struct iub_port *port);
void iub_fence_signal(struct iub_fence *fence, int error);

/* iub_port.c */
extern struct mutex iub_ports_lock;
unsigned int iub_ports_count(void);
int iub_ports_get_info(struct iub_ctx *ctx, const struct iub_query *q);
int iub_port_claim(struct iub_ctx *ctx, u32 id);
void iub_ports_premap(struct iub_ctx *ctx, struct iub_buf *buf);
int iub_port_release(struct iub_ctx *ctx, u32 id);
int iub_port_cancel_cmd(struct iub_ctx *ctx, u32 id, bool drain);
void iub_ports_release_ctx(struct iub_ctx *ctx);
struct iub_port *iub_port_get_claimed(struct iub_ctx *ctx, u32 id);
int iub_port_not_ours(struct iub_port *port, struct iub_ctx *ctx);
void iub_port_put(struct iub_port *port);
int iub_port_add(struct iub_port *port);
void iub_port_unregister(struct iub_port *port, int error);
void iub_port_gap_open(struct iub_port *port);
void iub_port_gap_close(struct iub_port *port);
void iub_port_gap_forget(struct iub_port *port);

/* iub_port_dma.c */
int iub_port_dma_init(void);
void iub_port_dma_exit(void);
int iub_port_dma_resolve(struct iub_port *port);

/* iub_xfer.c */
int iub_xfer_submit(struct iub_cmd *cmd);
struct iub_xfer *iub_xfer_create(struct iub_cmd *cmd,
				 const struct iub_transfer *t);
int iub_xfer_lock_early(struct iub_cmd *cmd, struct dma_resv *resv,
			bool *locked);
int iub_xfer_lock_late(struct iub_cmd *cmd, struct dma_resv *resv,
		       bool locked, struct iub_req *req);
void iub_xfer_cancel(struct iub_xfer *x);
int iub_xfer_enqueue(struct iub_xfer *x);
void iub_xfer_go(struct iub_xfer *x);
void iub_xfer_fail(struct iub_xfer *x, int error);
void iub_xfer_destroy(struct iub_xfer *x);
void iub_xfer_done(struct iub_xfer *x, int result);
unsigned int iub_xfer_segments(struct iub_xfer *x, struct dma_vec *v);
int iub_xfer_sgt(struct iub_xfer *x, struct sg_table *sgt);
struct iub_segs *iub_xfer_segs(struct iub_xfer *x, bool sgt);
void iub_segs_put(struct iub_segs *segs);
void iub_segs_drop_cache(struct iub_buf_map *map);
struct dma_vec *iub_segs_trim_vec(const struct iub_segs *segs, u32 len,
				  unsigned int *n);
int iub_segs_trim_sgt(const struct iub_segs *segs, u32 len,
		      struct sg_table *sgt);
unsigned int iub_vec_trim(struct dma_vec *v, unsigned int n, u32 len);
unsigned int iub_sgt_trim(struct sg_table *sgt, u32 len);

int iub_xfer_check(const struct iub_transfer *t, const struct iub_port *port);
#if IS_ENABLED(CONFIG_KUNIT)
/* stateless checks, visible to the KUnit tests (tests/kunit/) */
int iub_route_pass_on(int result, u32 align, u32 *length);
int iub_route_outcome(int r0, int r1, u64 *info);
#endif
void iub_xfer_dma_period(struct iub_xfer *x);
int iub_xfer_end_port(struct iub_port *port, int error);
void iub_port_kick(struct iub_port *port);
void iub_port_kick_work(struct work_struct *work);

/* iub_route.c */
struct iub_route_req;
int iub_route_submit(struct iub_cmd *cmd);
int iub_route_start(struct iub_cmd *cmd, const struct iub_route *rt,
		    void (*done)(struct iub_req *req), void *owner,
		    struct iub_req **out);
void *iub_route_owner(struct iub_req *req);
void iub_route_stage_end(struct iub_xfer *x, int result);

/* iub_stream.c */
int iub_stream_submit(struct iub_cmd *cmd);
bool iub_stream_stopping(struct iub_stream_req *s);
int iub_stream_end_port(struct iub_port *port, bool cancel);

#endif /* _IUB_PRIV_H */
