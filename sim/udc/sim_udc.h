/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulated scatter-gather USB device controller (test fixture): private
 * structures shared by its three files.
 *
 *   sim_udc_core.c     module, platform device, gadget ops, the simulated
 *                      host (enumeration, disconnect)
 *   sim_udc_ep.c       endpoint ops, the request queue and the data mover
 *   sim_udc_debugfs.c  /sys/kernel/debug/iub-sim-udc/
 *
 * See Documentation/sim-udc.rst.
 */
#ifndef _IUB_SIM_UDC_H
#define _IUB_SIM_UDC_H

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/usb/ch9.h>
#include <linux/usb/gadget.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "../iub_sim_stream.h"

#define IUB_SIM_UDC_NAME	"iub-sim-udc"

/* ep0, then ep1in, ep1out, ep2in, ep2out, ... */
#define IUB_SIM_UDC_PAIRS	4
#define IUB_SIM_UDC_NUM_EPS	(1 + 2 * IUB_SIM_UDC_PAIRS)

/* Largest maxpacket of the data endpoints (SuperSpeed bulk) and of ep0. */
#define IUB_SIM_UDC_MAXPACKET		1024
#define IUB_SIM_UDC_EP0_MAXPACKET	512

/* Highest rate an endpoint accepts: 10 GB/s (keeps the pacing in 64 bits). */
#define IUB_SIM_UDC_RATE_MAX	10000000000ULL

/* Largest control transfer data stage the simulated host asks for. */
#define IUB_SIM_UDC_CTRL_BUF	4096

/* Longest give-back and dequeue delay debugfs accepts: 60 s, in us. */
#define IUB_SIM_UDC_DELAY_MAX_US	(60 * USEC_PER_SEC)

/* Scatterlist entries a request's snapshot covers, at most. */
#define IUB_SIM_UDC_SG_CHECK	64

/**
 * enum iub_sim_udc_dbg_id - per-endpoint debugfs files
 * @IUB_SIM_UDC_DBG_BYTES: bytes moved since the endpoint was enabled or reset
 * @IUB_SIM_UDC_DBG_REQUESTS: requests completed with status 0
 * @IUB_SIM_UDC_DBG_ERRORS: requests completed with an error status
 * @IUB_SIM_UDC_DBG_MISMATCHES: stream words that broke continuity (IN)
 * @IUB_SIM_UDC_DBG_ZLPS: zero-length packets sent or received
 * @IUB_SIM_UDC_DBG_QUEUED: requests queued now
 * @IUB_SIM_UDC_DBG_SG_REQUESTS: requests that came with a scatterlist
 * @IUB_SIM_UDC_DBG_PREMAPPED: requests the gadget driver had already mapped
 * @IUB_SIM_UDC_DBG_LONG_SEGS: requests refused for a segment longer than
 *	the max_seg module parameter
 * @IUB_SIM_UDC_DBG_RATE: bytes per second, 0 = as fast as possible
 * @IUB_SIM_UDC_DBG_PAUSE: 1 = the host stops polling the endpoint
 * @IUB_SIM_UDC_DBG_RESET: write: counters and stream state back to zero
 * @IUB_SIM_UDC_DBG_VERIFY: IN: check the stream format (default 1)
 * @IUB_SIM_UDC_DBG_FILL: OUT: write stream words into requests (default 1)
 * @IUB_SIM_UDC_DBG_SEED: OUT: seed of the stream; writing resets the position
 * @IUB_SIM_UDC_DBG_POSITION: OUT: bytes of the stream produced so far
 * @IUB_SIM_UDC_DBG_SHORT_NEXT: OUT: next request completes with at most this
 *	many bytes (one shot; -1 = none)
 * @IUB_SIM_UDC_DBG_OWNED: requests the controller owns now: queued, or
 *	finished or dequeued and not given back yet
 * @IUB_SIM_UDC_DBG_GIVEBACK_DELAY: microseconds between the end of a
 *	request and its give-back (default 0)
 * @IUB_SIM_UDC_DBG_DEQUEUE_DELAY: microseconds between usb_ep_dequeue()
 *	and the give-back with -ECONNRESET (default 0: inside the call)
 * @IUB_SIM_UDC_DBG_NR: number of ids
 */
enum iub_sim_udc_dbg_id {
	IUB_SIM_UDC_DBG_BYTES,
	IUB_SIM_UDC_DBG_REQUESTS,
	IUB_SIM_UDC_DBG_ERRORS,
	IUB_SIM_UDC_DBG_MISMATCHES,
	IUB_SIM_UDC_DBG_ZLPS,
	IUB_SIM_UDC_DBG_QUEUED,
	IUB_SIM_UDC_DBG_SG_REQUESTS,
	IUB_SIM_UDC_DBG_PREMAPPED,
	IUB_SIM_UDC_DBG_LONG_SEGS,
	IUB_SIM_UDC_DBG_RATE,
	IUB_SIM_UDC_DBG_PAUSE,
	IUB_SIM_UDC_DBG_RESET,
	IUB_SIM_UDC_DBG_VERIFY,
	IUB_SIM_UDC_DBG_FILL,
	IUB_SIM_UDC_DBG_SEED,
	IUB_SIM_UDC_DBG_POSITION,
	IUB_SIM_UDC_DBG_SHORT_NEXT,
	IUB_SIM_UDC_DBG_OWNED,
	IUB_SIM_UDC_DBG_GIVEBACK_DELAY,
	IUB_SIM_UDC_DBG_DEQUEUE_DELAY,
	IUB_SIM_UDC_DBG_NR,
};

struct iub_sim_udc;
struct iub_sim_udc_ep;

/**
 * struct iub_sim_udc_dbg_file - what one debugfs file refers to
 * @ep: the endpoint
 * @id: which value
 */
struct iub_sim_udc_dbg_file {
	struct iub_sim_udc_ep *ep;
	enum iub_sim_udc_dbg_id id;
};

/**
 * struct iub_sim_udc_stats - counters of an endpoint
 * @bytes: bytes moved (read from IN requests, written to OUT requests)
 * @requests: requests completed with status 0
 * @errors: requests completed with an error (dequeue, disable, disconnect,
 *	unreachable memory)
 * @zlps: zero-length packets: IN requests of length 0, the extra packet of
 *	an IN request with @zero set, OUT requests completed with 0 bytes
 * @sg_requests: requests with a scatterlist (num_sgs != 0)
 * @premapped: requests whose memory the gadget driver had mapped already
 *	(sg_was_mapped, or a mapping of its own)
 * @long_segs: scatterlist requests refused with -EINVAL: a DMA segment
 *	longer than &struct iub_sim_udc.max_seg
 */
struct iub_sim_udc_stats {
	u64 bytes;
	u64 requests;
	u64 errors;
	u64 zlps;
	u64 sg_requests;
	u64 premapped;
	u64 long_segs;
};

/**
 * enum iub_sim_udc_req_state - who owns a request
 * @IUB_SIM_UDC_REQ_IDLE: the gadget driver
 * @IUB_SIM_UDC_REQ_QUEUED: the controller, on &iub_sim_udc_ep.queue (or
 *	about to go there: usb_ep_queue() is mapping it)
 * @IUB_SIM_UDC_REQ_DONE: the controller: the request ended and waits on
 *	&iub_sim_udc_ep.retire for its give-back (the give-back delay)
 * @IUB_SIM_UDC_REQ_DEQUEUED: the controller: usb_ep_dequeue() took it off
 *	the queue; it waits on &iub_sim_udc_ep.retire (the dequeue delay)
 */
enum iub_sim_udc_req_state {
	IUB_SIM_UDC_REQ_IDLE,
	IUB_SIM_UDC_REQ_QUEUED,
	IUB_SIM_UDC_REQ_DONE,
	IUB_SIM_UDC_REQ_DEQUEUED,
};

/**
 * struct iub_sim_udc_snap - what a request looked like when it was queued
 * @buf: req->buf
 * @sg: req->sg
 * @complete: req->complete
 * @context: req->context
 * @length: req->length
 * @num_sgs: req->num_sgs
 * @num_mapped_sgs: req->num_mapped_sgs, once mapped
 * @sg_entries: scatterlist entries covered by @sg_hash (0: none)
 * @sg_hash: hash of those entries, as the controller saw them
 *
 * The gadget API gives a queued request to the controller: until it is
 * given back, the gadget driver may neither change it nor free or reuse its
 * scatterlist. The controller compares the request with this snapshot when
 * it starts to move it and when it gives it back.
 */
struct iub_sim_udc_snap {
	void *buf;
	struct scatterlist *sg;
	void (*complete)(struct usb_ep *ep, struct usb_request *req);
	void *context;
	unsigned int length;
	unsigned int num_sgs;
	unsigned int num_mapped_sgs;
	unsigned int sg_entries;
	u32 sg_hash;
};

/**
 * struct iub_sim_udc_req - a request of this controller
 * @req: the gadget API's request, handed out by alloc_request
 * @ep: the endpoint it was allocated for; constant
 * @queue: entry in &iub_sim_udc_ep.queue or &iub_sim_udc_ep.retire;
 *	protected by the endpoint's lock
 * @state: who owns the request
 * @status: the status a request on &iub_sim_udc_ep.retire is given back
 *	with
 * @deadline: when a request on &iub_sim_udc_ep.retire is given back
 * @snap: the request as it was queued (data endpoints)
 * @sg: DMA walk: current scatterlist entry, NULL for a single buffer
 * @sg_left: DMA walk: entries left after @sg
 * @addr: DMA walk: DMA address of the next byte
 * @seg_left: DMA walk: bytes left in the current segment
 * @xfer_len: bytes this request moves: its length, or less for a short OUT
 * @started: the data mover has begun with this request
 * @mapped: this controller mapped the request and unmaps it at completion
 * @bad: the request differs from @snap (reported); its memory is not
 *	touched any more
 *
 * Everything but @req and @ep is protected by the endpoint's lock.
 */
struct iub_sim_udc_req {
	struct usb_request req;
	struct iub_sim_udc_ep *ep;
	struct list_head queue;
	enum iub_sim_udc_req_state state;
	int status;
	ktime_t deadline;
	struct iub_sim_udc_snap snap;
	struct scatterlist *sg;
	unsigned int sg_left;
	dma_addr_t addr;
	unsigned int seg_left;
	unsigned int xfer_len;
	bool started;
	bool mapped;
	bool bad;
};

/* debugfs "inject": at most this many bytes per host transfer */
#define IUB_SIM_UDC_INJECT_MAX	(1024 * 1024)
/* debugfs "capture": room for the captured IN transfers */
#define IUB_SIM_UDC_CAPTURE_BUF	(1024 * 1024)

/**
 * struct iub_sim_udc_hxfer - a bulk OUT transfer the scripted host sends
 * @node: in &iub_sim_udc_ep.script
 * @len: its bytes; a length that is not a multiple of the packet size
 *	ends with a short packet (the device's request ends there), one that
 *	is goes on into the host's next transfer, as libiio's does
 * @pos: bytes sent so far
 * @data: the bytes
 */
struct iub_sim_udc_hxfer {
	struct list_head node;
	unsigned int len;
	unsigned int pos;
	u8 data[];
};

/**
 * struct iub_sim_udc_ep - one endpoint
 * @ep: the gadget API's endpoint
 * @udc: the controller
 * @lock: protects everything below that is not marked otherwise, and the
 *	requests on @queue. The data mover holds it (interrupts off) while
 *	it touches a request's memory, so that dequeue and disable never
 *	pull a request from under it.
 * @queue: queued requests, in order
 * @retire: requests that ended or were dequeued and wait for their
 *	give-back, in the order they ended
 * @is_in: direction (IN: device to host); constant
 * @num: endpoint number (0 for ep0); constant
 * @enabled: enabled by the gadget driver
 * @halted: halted (set_halt); the host polls nothing
 * @wedged: halted and the host may not clear it
 * @shutdown: the controller is going away; nothing re-arms @work or @timer
 * @paused: debugfs "pause": the host does not poll this endpoint
 * @verify: IN: check the stream format
 * @fill: OUT: write stream words
 * @rate: bytes per second, 0 = as fast as possible, at most
 *	IUB_SIM_UDC_RATE_MAX
 * @pace_last: pacing: when @pace_credit was last topped up
 * @pace_credit: pacing: token bucket, in bytes times NSEC_PER_SEC (so that
 *	no fraction of a byte is lost); capped at IUB_SIM_UDC_BURST_STEPS
 *	steps
 * @check: IN: the stream verifier, continuous across requests
 * @carry: IN: bytes of a word split across segments or requests
 * @carry_len: number of valid bytes in @carry
 * @seed: OUT: seed of the stream the host sends
 * @position: OUT: bytes of the stream produced
 * @short_next: OUT: the next request completes with at most this many
 *	bytes; negative = no short packet pending
 * @giveback_delay: time between the end of a request and its give-back
 *	(what a controller's event interrupt takes); 0 = at once
 * @dequeue_delay: time between usb_ep_dequeue() and the give-back (a
 *	controller whose "end transfer" command completes late, like dwc3);
 *	0 = inside usb_ep_dequeue()
 * @last_deadline: give-back time of the last request that ended, so that
 *	ended requests are given back in order even when @giveback_delay
 *	changes
 * @retire_done: requests on @retire that ended (not dequeued ones)
 * @script: OUT: host transfers written to debugfs "inject", oldest first
 * @scripted: OUT: something was injected: the host sends only @script
 *	(nothing while it is empty), no stream
 * @capture_n: IN: the next this many requests are captured into @cap_buf
 *	rather than verified
 * @cap_buf: IN: captured requests, each a record of a native u32 length
 *	and the bytes, oldest first; allocated by the first "capture" write
 * @cap_len: bytes used in @cap_buf
 * @cap_rec: offset of the record of the request moving now, or -1; the
 *	records before it are complete
 * @stats: counters
 * @work: the data mover; runs on &iub_sim_udc.wq
 * @timer: pacing: queues @work when the next step is due
 * @retire_timer: queues @work when the first request on @retire is due
 * @dbg: debugfs file descriptions (constant after probe)
 * @dbg_dir: debugfs directory of the endpoint
 */
struct iub_sim_udc_ep {
	struct usb_ep ep;
	struct iub_sim_udc *udc;
	spinlock_t lock;	/* see @lock above */
	struct list_head queue;
	struct list_head retire;
	bool is_in;
	u8 num;
	bool enabled;
	bool halted;
	bool wedged;
	bool shutdown;
	bool paused;
	bool verify;
	bool fill;
	u64 rate;
	ktime_t pace_last;
	u64 pace_credit;
	struct iub_sim_stream_check check;
	u8 carry[IUB_SIM_STREAM_WORD_SIZE];
	unsigned int carry_len;
	u32 seed;
	u64 position;
	s64 short_next;
	ktime_t giveback_delay;
	ktime_t dequeue_delay;
	ktime_t last_deadline;
	unsigned int retire_done;
	struct list_head script;
	bool scripted;
	unsigned int capture_n;
	u8 *cap_buf;
	unsigned int cap_len;
	int cap_rec;
	struct iub_sim_udc_stats stats;
	struct work_struct work;
	struct hrtimer timer;
	struct hrtimer retire_timer;
	struct iub_sim_udc_dbg_file dbg[IUB_SIM_UDC_DBG_NR];
	struct dentry *dbg_dir;
};

/**
 * struct iub_sim_udc_ctrl - the control transfer the simulated host runs
 * @active: a control transfer waits for its data or status stage
 * @done: the stage came (a request on ep0 was completed)
 * @stalled: the gadget driver stalled ep0
 * @in: the data stage goes to the host
 * @wlength: wLength of the SETUP packet
 * @len: bytes of the data stage the host received
 * @buf: what the host received (IUB_SIM_UDC_CTRL_BUF bytes)
 *
 * Protected by the lock of ep0.
 */
struct iub_sim_udc_ctrl {
	bool active;
	bool done;
	bool stalled;
	bool in;
	u16 wlength;
	unsigned int len;
	u8 *buf;
};

/**
 * struct iub_sim_udc - the simulated controller
 * @gadget: the gadget, registered with usb_add_gadget_udc_release()
 * @dev: the platform device "iub-sim-udc.0": the gadget's parent
 * @dma_dev: the device requests are DMA-mapped against (64-bit DMA mask):
 *	@dev, or with the module parameter dma_dev=parent or hidden its
 *	parent, the glue device "iub-sim-udc-glue.0"
 * @ep: ep0 and the data endpoints
 * @wq: workqueue of the data movers and of @host_work
 * @lock: protects the fields below marked "udc lock"
 * @driver: the bound gadget driver; udc lock
 * @callbacks: the core allows calls into @driver (udc_async_callbacks); udc lock
 * @pullup: the gadget driver wants to be connected; udc lock
 * @want_host: debugfs: a host is plugged in (default 1); udc lock
 * @abort: the host work must stop waiting (pullup off, removal); udc lock
 * @connected: the host has seen the device (reset done); udc lock
 * @configured: SET_CONFIGURATION succeeded; udc lock
 * @speed: speed of the next connection: the lower of @max_speed and the
 *	driver's; udc lock
 * @config_value: bConfigurationValue the host selected; udc lock
 * @enumerations: completed enumerations; udc lock
 * @last_error: error of the last failed enumeration step, 0 if none; udc lock
 * @last_step: name of that step; udc lock
 * @vendor: idVendor the host read; udc lock
 * @product: idProduct the host read; udc lock
 * @interfaces: interfaces of the configuration the host read; udc lock
 * @endpoints: endpoint descriptors in that configuration; udc lock
 * @request: debugfs: a control request without data stage for the host
 *	to send once configured (bmRequestType << 40 | bRequest << 32 |
 *	wValue << 16 | wIndex), 0 when none is waiting; udc lock
 * @request_result: what @request got: 0, -EPIPE (stalled), -ENOTCONN
 *	(not configured), -ETIMEDOUT or -ESHUTDOWN; udc lock
 * @host_work: the simulated host: enumerates or disconnects as @pullup,
 *	@want_host and @connected say, then sends @request; the only caller
 *	of the driver's setup() and (for a debugfs disconnect) disconnect()
 * @ep0_wait: woken when ep0 completes a stage or @abort is set
 * @ctrl: the control transfer in progress
 * @max_speed: highest speed (module parameter); constant
 * @max_seg: longest DMA segment of a scatterlist request, what its
 *	descriptors hold; 0: any (module parameter); constant
 * @misuse: gadget API violations the controller caught since probe
 * @dbg_root: /sys/kernel/debug/iub-sim-udc
 */
struct iub_sim_udc {
	struct usb_gadget gadget;
	struct device *dev;
	struct device *dma_dev;
	struct iub_sim_udc_ep ep[IUB_SIM_UDC_NUM_EPS];
	struct workqueue_struct *wq;

	spinlock_t lock;	/* protects the "udc lock" fields */
	struct usb_gadget_driver *driver;
	bool callbacks;
	bool pullup;
	bool want_host;
	bool abort;
	bool connected;
	bool configured;
	enum usb_device_speed speed;
	u8 config_value;
	u64 enumerations;
	int last_error;
	const char *last_step;
	u16 vendor;
	u16 product;
	unsigned int interfaces;
	unsigned int endpoints;
	u64 request;
	int request_result;

	struct work_struct host_work;
	wait_queue_head_t ep0_wait;
	struct iub_sim_udc_ctrl ctrl;

	enum usb_device_speed max_speed;
	u32 max_seg;
	atomic_t misuse;
	struct dentry *dbg_root;
};

static inline struct iub_sim_udc_ep *to_sim_ep(struct usb_ep *ep)
{
	return container_of(ep, struct iub_sim_udc_ep, ep);
}

static inline struct iub_sim_udc_req *to_sim_req(struct usb_request *req)
{
	return container_of(req, struct iub_sim_udc_req, req);
}

static inline struct iub_sim_udc *to_sim_udc(struct usb_gadget *g)
{
	return container_of(g, struct iub_sim_udc, gadget);
}

/* sim_udc_ep.c */
void iub_sim_udc_ep_init(struct iub_sim_udc *udc, unsigned int i, u64 rate);
void iub_sim_udc_ep_shutdown(struct iub_sim_udc_ep *ep);
void iub_sim_udc_ep_nuke(struct iub_sim_udc_ep *ep, int status);
void iub_sim_udc_ep_kick(struct iub_sim_udc_ep *ep);
void iub_sim_udc_ep_reset_stream_locked(struct iub_sim_udc_ep *ep);
int iub_sim_udc_ep_inject(struct iub_sim_udc_ep *ep,
			  struct iub_sim_udc_hxfer *hx);
void iub_sim_udc_ep_pace_reset_locked(struct iub_sim_udc_ep *ep);
void iub_sim_udc_quiesce(struct iub_sim_udc *udc);
unsigned int iub_sim_udc_ep_owned_locked(struct iub_sim_udc_ep *ep);

/* sim_udc_core.c */
void iub_sim_udc_set_host(struct iub_sim_udc *udc, bool present);
int iub_sim_udc_host_request(struct iub_sim_udc *udc, u64 request);

/* sim_udc_debugfs.c */
void iub_sim_udc_debugfs_init(struct iub_sim_udc *udc);
void iub_sim_udc_debugfs_exit(struct iub_sim_udc *udc);

#endif /* _IUB_SIM_UDC_H */
