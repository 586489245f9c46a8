// SPDX-License-Identifier: GPL-2.0
/*
 * iub-iiod - serve libiio 0.24's USB protocol through the bridge.
 *
 * The device side of an unmodified libiio client on the USB host
 * (iio_info, iio_readdev, iio_writedev, ... with -u usb:), on the pipes of
 * the bridge's gadget function in protocol=libiio: pipe k is the port pair
 * NAME:in<k> / NAME:out<k>. Documentation/iiod-bridge.rst is the manual.
 *
 * Threads: the main thread waits for the function's events
 * (IUB_IOC_PORT_EVENT through IORING_OP_URING_CMD: OPEN_PIPE, CLOSE_PIPE,
 * RESET_PIPES, ONLINE, OFFLINE) and starts and stops one thread per served
 * pipe. A pipe's thread reads command lines from bulk OUT and answers on
 * bulk IN, every answer line its own transfer, through its own io_uring.
 *
 * The samples never pass through this program: an opened ADC captures into
 * DMABUFs (several captures in flight, so the converter runs on between
 * READBUFs) and READBUF sends the filled ranges out bulk IN with
 * IUB_IOC_TRANSFER, after their "<n>\n" and mask lines, on the same port (a
 * port completes transfers in submission order). WRITEBUF receives bulk OUT
 * into a DMABUF and plays it on the DAC's port. Only the text (commands,
 * replies, the XML) goes through the CPU, in one small mapped DMABUF per
 * pipe.
 *
 * The IIO side (the XML of the context, attributes, triggers) is libiio's
 * local backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <poll.h>

#include <iio.h>
#include <iio_usb_bridge_uring.h>
#include "iub_dmabuf.h"
#include "iiod_proto.h"

#ifndef IUB_VERSION
#define IUB_VERSION "unknown"
#endif

#define MAX_PIPES	4
#define MAX_BUFS	16
#define MAX_PORTS	IUB_PORTS_QUERY_MAX
#define PAGE		4096UL

/*
 * A pipe's text DMABUF: commands and attribute values land at offset 0
 * (bulk OUT, whole packets), replies are written from TEXT_REPLY on.
 */
#define TEXT_SIZE	(256 * 1024)
#define TEXT_REPLY	(64 * 1024)
#define LINE_MAX_LEN	4096

/* io_uring user_data: what completed (tag << 8 | buffer index) */
#define TAG_IN		1
#define TAG_OUT		2
#define TAG_CONV	3

/*
 * Bracket CPU access to a DMABUF (DMA_BUF_IOCTL_SYNC): cache maintenance on
 * a board that is not cache coherent. Not where every DMA mapping is
 * bounced (swiotlb=force, the test bed's bounce lane): there udmabuf syncs
 * its own bounce buffers, and would copy a stale one over what the bridge's
 * device wrote (see iub_dma_bounced()).
 */
static void cpu_sync(int fd, uint64_t flags)
{
	if (!iub_dma_bounced())
		iub_dmabuf_sync(fd, flags);
}

static bool verbose;
static unsigned int nbufs = 4;

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (verbose) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		fprintf(stderr, "[%5lld.%03ld] ", (long long)ts.tv_sec,
			ts.tv_nsec / 1000000);
	}
	fputs("iub-iiod: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

#define dbg(...) do { if (verbose) logmsg(__VA_ARGS__); } while (0)

static size_t round_up(size_t v, size_t a)
{
	return a ? (v + a - 1) / a * a : v;
}

/**
 * struct cbuf - one DMABUF of an opened converter
 * @fd: the DMABUF
 * @h: its bridge handle
 * @busy: a transfer on it is in flight
 * @done: capture: it has completed and not been sent out entirely yet
 * @requeue: capture: sent out; capture into it again once the IN
 *	transfers of this READBUF have completed
 * @res: result of its last transfer
 */
struct cbuf {
	int fd;
	int h;
	bool busy;
	bool done;
	bool requeue;
	int res;
};

/**
 * struct conv - the device a pipe has opened (one per pipe, as libiio's
 * USB backend gives every buffer a pipe of its own)
 * @dev: the device in the local context
 * @output: a DAC: WRITEBUF; else an ADC: READBUF
 * @cyclic: OPEN ... CYCLIC
 * @port: its converter port
 * @align: the port's alignment
 * @ss: bytes of one scan of every channel (what the DMA moves)
 * @mask: the channels of that scan; @words: 32-bit words of it
 * @len: bytes of each buffer's transfer
 * @b: the DMABUFs; @nb: how many
 * @head: capture: the buffer READBUF takes data from; playback: the next
 * @consumed: capture: bytes of @head already sent
 */
struct conv {
	struct iio_device *dev;
	bool output;
	bool cyclic;
	uint32_t port;
	uint32_t align;
	size_t ss;
	uint32_t mask[IIOD_MASK_WORDS];
	unsigned int words;
	size_t len;
	struct cbuf b[MAX_BUFS];
	unsigned int nb;
	unsigned int head;
	size_t consumed;
};

struct daemon;

/**
 * struct pipe - one libiio pipe and the thread that serves it
 * @d: the daemon
 * @k: its number
 * @in_port, @out_port: the USB ports of the pair
 * @in_max: largest IN transfer
 * @out_align: OUT lengths are multiples of this (the link's packet size)
 * @thr: the thread; @running: it was started and not joined yet
 * @stop: set by the main thread: end the thread
 * @exited: the thread has ended (by itself: its transfers were cancelled)
 * @conv_port: the opened device's converter port, -1: none (for the
 *	main thread, which cancels it should the thread not end)
 * @ring: the thread's io_uring
 * @text_fd, @text, @text_h: the text DMABUF, mapped, and its handle
 * @reply_off: where the next reply goes in the text DMABUF
 * @inflight: transfers in flight on @ring
 * @in_pending: IN transfers of the current answer in flight
 * @in_err: the first error of those
 * @out_done, @out_res: the OUT transfer in flight completed, with this
 * @line, @line_len: received bytes of the command line being read
 * @line_dropped: the line got longer than @line: dropped up to its end
 * @conv: the opened device, or NULL
 * @timeout_ms: TIMEOUT; 0: none
 */
struct pipe {
	struct daemon *d;
	unsigned int k;
	uint32_t in_port, out_port;
	uint32_t in_max, out_align;
	pthread_t thr;
	bool running;
	atomic_bool stop;
	atomic_bool exited;
	atomic_int conv_port;
	struct io_uring ring;
	int text_fd;
	uint8_t *text;
	int text_h;
	size_t reply_off;
	unsigned int inflight;
	unsigned int in_pending;
	int in_err;
	bool out_done;
	int out_res;
	char line[LINE_MAX_LEN];
	size_t line_len;
	bool line_dropped;
	struct conv *conv;
	unsigned int timeout_ms;
};

/**
 * struct daemon - the daemon's state
 * @fd: /dev/iio-usb-bridge (shared by every thread; claims are per file)
 * @ports, @nports: the bridge's ports, as GET_PORTS listed them at start
 * @fn: the function's name (port prefix)
 * @ctx: libiio's local context; @xml, @xml_len: its XML
 * @xml_h: handle of the DMABUF holding the XML and "\n"
 * @pipes, @npipes: the function's pipes
 * @lock: protects @conv_owner
 * @conv_owner: pipe number + 1 that has claimed a converter port, by port
 */
struct daemon {
	int fd;
	struct iub_port_info ports[MAX_PORTS];
	unsigned int nports;
	const char *fn;
	struct iio_context *ctx;
	char *xml;
	size_t xml_len;
	int xml_h;
	struct pipe pipes[MAX_PIPES];
	unsigned int npipes;
	pthread_mutex_t lock;
	unsigned int conv_owner[MAX_PORTS];
};

/* --- the bridge --------------------------------------------------------- */

static int bridge_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int port_cmd(int fd, unsigned long cmd, uint32_t port)
{
	struct iub_port_claim c = { .port = port };
	int ret = ioctl(fd, cmd, &c);

	return ret < 0 ? -errno : ret;
}

static int get_ports(struct daemon *d)
{
	struct iub_query q = {
		.data = (uintptr_t)d->ports, .size = sizeof(d->ports),
	};
	int n = ioctl(d->fd, IUB_IOC_GET_PORTS, &q);

	if (n < 0)
		return -errno;
	d->nports = n < MAX_PORTS ? n : MAX_PORTS;
	return 0;
}

static const struct iub_port_info *port_by_name(struct daemon *d, const char *name)
{
	unsigned int i;

	for (i = 0; i < d->nports; i++)
		if (!strcmp(d->ports[i].name, name))
			return &d->ports[i];
	return NULL;
}

/* a DMABUF of at least @size bytes, attached; returns the handle */
static int buf_new(struct daemon *d, size_t size, int *fdp)
{
	struct iub_buf_attach a = { 0 };
	int fd, h;

	size = round_up(size, PAGE);
	fd = iub_dmabuf_alloc(IUB_DMABUF_UDMABUF, size);
	if (fd < 0)
		fd = iub_dmabuf_alloc(IUB_DMABUF_HEAP, size);
	if (fd < 0)
		return fd;
	a.fd = fd;
	h = ioctl(d->fd, IUB_IOC_BUF_ATTACH, &a);
	if (h < 0) {
		h = -errno;
		close(fd);
		return h;
	}
	*fdp = fd;
	return h;
}

static void buf_free(struct daemon *d, int fd, int h)
{
	struct iub_buf_detach b = { .handle = (uint32_t)h };

	if (h >= 0)
		bridge_ioctl(d->fd, IUB_IOC_BUF_DETACH, &b);
	if (fd >= 0)
		close(fd);
}

/* --- a pipe's ring ------------------------------------------------------- */

static void on_cqe(struct pipe *p, uint64_t ud, int res)
{
	struct cbuf *b;

	p->inflight--;
	switch (ud >> 8) {
	case TAG_IN:
		p->in_pending--;
		if (res < 0 && !p->in_err)
			p->in_err = res;
		break;
	case TAG_OUT:
		p->out_done = true;
		p->out_res = res;
		break;
	case TAG_CONV:
		if (!p->conv)
			break;
		b = &p->conv->b[ud & 0xff];
		b->busy = false;
		b->done = true;
		b->res = res;
		if (res < 0 && res != -ECANCELED)
			logmsg("pipe %u: %s transfer failed: %s\n", p->k,
			       p->conv->output ? "playback" : "capture",
			       strerror(-res));
		break;
	}
}

/*
 * Wait for one completion and handle it; @ms > 0: at most that long.
 * Returns 0, -ETIME, or another -errno of io_uring.
 */
static int reap(struct pipe *p, unsigned int ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L,
	};
	struct io_uring_cqe *cqe;
	int ret;

	do {
		ret = ms ? io_uring_wait_cqe_timeout(&p->ring, &cqe, &ts) :
			   io_uring_wait_cqe(&p->ring, &cqe);
	} while (ret == -EINTR);
	if (ret < 0)
		return ret;
	on_cqe(p, cqe->user_data, cqe->res);
	io_uring_cqe_seen(&p->ring, cqe);
	return 0;
}

static int submit_xfer(struct pipe *p, uint64_t ud, uint32_t port, int h,
		       size_t off, size_t len, uint32_t flags)
{
	struct iub_transfer t = {
		.handle = (uint16_t)h, .port = (uint16_t)port, .flags = flags,
		.offset = (uint32_t)off, .length = (uint32_t)len,
	};
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	/*
	 * What ended already, first: when the host closes the pipe the
	 * kernel ends its transfers, and nothing more may go out on it (the
	 * pipe's next user would read it as its own reply)
	 */
	while (!io_uring_peek_cqe(&p->ring, &cqe)) {
		on_cqe(p, cqe->user_data, cqe->res);
		io_uring_cqe_seen(&p->ring, cqe);
	}
	if ((ud >> 8) == TAG_IN && (p->in_err || atomic_load(&p->stop)))
		return p->in_err ? p->in_err : -ECANCELED;
	sqe = io_uring_get_sqe(&p->ring);
	if (!sqe)
		return -EBUSY;
	if (iub_prep_cmd(sqe, p->d->fd, IUB_IOC_TRANSFER, &t, sizeof(t)))
		return -EINVAL;
	sqe->user_data = ud;
	ret = io_uring_submit(&p->ring);
	if (ret < 0)
		return ret;
	p->inflight++;
	if ((ud >> 8) == TAG_IN)
		p->in_pending++;
	return 0;
}

/* wait until the IN transfers of the answer have completed */
static int flush_in(struct pipe *p)
{
	int ret;

	while (p->in_pending) {
		ret = reap(p, 0);
		if (ret < 0)
			return ret;
	}
	p->reply_off = TEXT_REPLY;
	ret = p->in_err;
	p->in_err = 0;
	return ret;
}

/*
 * Queue bytes of an answer as one IN transfer of the text DMABUF; @line:
 * the host reads it with a longer transfer, so end it with a zero-length
 * packet should it fill its last packet exactly.
 */
static int reply_bytes(struct pipe *p, const void *data, size_t len, bool line)
{
	size_t off;
	int ret;

	if (!len)
		return 0;
	if (len > TEXT_SIZE - TEXT_REPLY)
		return -E2BIG;
	if (p->reply_off + len > TEXT_SIZE) {
		ret = flush_in(p);
		if (ret < 0)
			return ret;
	}
	off = p->reply_off;
	cpu_sync(p->text_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memcpy(p->text + off, data, len);
	cpu_sync(p->text_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	p->reply_off = off + len;
	/*
	 * The text DMABUF's parts are reused only once the transfers that
	 * use them completed: no fences (a CPU write would wait for them)
	 */
	return submit_xfer(p, (uint64_t)TAG_IN << 8, p->in_port, p->text_h,
			   off, len, IUB_XFER_NO_SYNC | (line ? IUB_XFER_ZLP : 0));
}

/* an integer line, "%li\n" as iiod's print_value() */
static int reply_int(struct pipe *p, long v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%li\n", v);

	return reply_bytes(p, b, n, true);
}

/*
 * Receive @len bytes from bulk OUT into @h at @off, in one transfer of
 * whole packets: it ends when they are there, or at the host's short
 * packet. Returns the bytes received or -errno.
 */
static int recv_out(struct pipe *p, int h, size_t off, size_t len)
{
	int ret;

	p->out_done = false;
	ret = submit_xfer(p, (uint64_t)TAG_OUT << 8, p->out_port, h, off,
			  round_up(len, p->out_align),
			  h == p->text_h ? IUB_XFER_NO_SYNC : 0);
	if (ret < 0)
		return ret;
	while (!p->out_done) {
		ret = reap(p, 0);
		if (ret < 0)
			return ret;
	}
	return p->out_res;
}

/* bytes that arrived from OUT into the text DMABUF at offset 0 */
static void text_read(struct pipe *p, void *dst, size_t len)
{
	cpu_sync(p->text_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	memcpy(dst, p->text, len);
	cpu_sync(p->text_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/*
 * The next command line (without "\r\n") into p->line, one packet at a
 * time, so that nothing that follows the line is taken with it. Returns
 * the line's length or -errno (the pipe was closed: ECANCELED; the link
 * went down: ESHUTDOWN).
 */
static int read_line(struct pipe *p)
{
	char *nl;
	int ret;

	p->line_len = 0;
	for (;;) {
		if (atomic_load(&p->stop))
			return -ECANCELED;
		ret = recv_out(p, p->text_h, 0, p->out_align);
		if (ret < 0)
			return ret;
		if (p->line_len + ret >= sizeof(p->line)) {
			/* too long for any command: drop it up to its end */
			p->line_len = 0;
			p->line_dropped = true;
		}
		text_read(p, p->line + p->line_len, ret);
		p->line_len += ret;
		p->line[p->line_len] = '\0';
		nl = memchr(p->line, '\n', p->line_len);
		if (nl && p->line_dropped) {
			p->line_dropped = false;
			p->line[0] = '\0';
			return -EMSGSIZE;	/* answered -EINVAL */
		}
		if (nl) {
			if (nl > p->line && nl[-1] == '\r')
				nl--;
			*nl = '\0';
			return nl - p->line;
		}
	}
}

/* --- the IIO side -------------------------------------------------------- */

static struct iio_device *find_dev(struct daemon *d, const char *id)
{
	struct iio_device *dev = iio_context_find_device(d->ctx, id);

	return dev;
}

static bool dev_is_output(const struct iio_device *dev)
{
	unsigned int i;

	for (i = 0; i < iio_device_get_channels_count(dev); i++) {
		const struct iio_channel *c = iio_device_get_channel(dev, i);

		if (iio_channel_is_scan_element(c))
			return iio_channel_is_output(c);
	}
	return false;
}

/*
 * The scan the converter's DMA moves: every scan element, in the order of
 * their indexes (the local context's channel order, as in the XML; a
 * channel's bit in the mask is its position), each aligned to its own size.
 */
static int scan_layout(const struct iio_device *dev, struct conv *c)
{
	unsigned int i, n = iio_device_get_channels_count(dev);
	size_t off = 0, largest = 1;

	memset(c->mask, 0, sizeof(c->mask));
	c->words = (n + 31) / 32;
	if (c->words > IIOD_MASK_WORDS)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		const struct iio_channel *ch = iio_device_get_channel(dev, i);
		const struct iio_data_format *f;
		size_t sz;

		if (!iio_channel_is_scan_element(ch) || iio_channel_get_index(ch) < 0)
			continue;
		f = iio_channel_get_data_format(ch);
		sz = f->length / 8 * (f->repeat ? f->repeat : 1);
		if (!sz)
			continue;
		off = round_up(off, f->length / 8) + sz;
		if (f->length / 8 > largest)
			largest = f->length / 8;
		c->mask[i / 32] |= 1U << (i % 32);
	}
	c->ss = round_up(off, largest);
	return c->ss ? 0 : -EINVAL;
}

/*
 * The converter port of @dev: "<its parent device>:" + a channel name,
 * copied into @out. Returns 0 or -ENODEV.
 */
static int conv_port(struct daemon *d, const struct iio_device *dev,
		     bool output, struct iub_port_info *out)
{
	char path[PATH_MAX], real[PATH_MAX], *parent, *slash;
	unsigned int i;
	int ret = -ENODEV;
	size_t len;

	snprintf(path, sizeof(path), "/sys/bus/iio/devices/%s/..",
		 iio_device_get_id(dev));
	if (!realpath(path, real))
		return -ENODEV;
	slash = strrchr(real, '/');
	parent = slash ? slash + 1 : real;
	len = strlen(parent);
	pthread_mutex_lock(&d->lock);
	get_ports(d);
	for (i = 0; i < d->nports; i++) {
		const struct iub_port_info *pi = &d->ports[i];

		if (pi->kind == IUB_PORT_CONVERTER &&
		    !strncmp(pi->name, parent, len) && pi->name[len] == ':' &&
		    pi->direction == (output ? IUB_DIR_FROM_MEM : IUB_DIR_TO_MEM)) {
			*out = *pi;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* --- opened devices ------------------------------------------------------ */

static int capture(struct pipe *p, unsigned int i)
{
	struct conv *c = p->conv;
	int ret;

	ret = submit_xfer(p, (uint64_t)TAG_CONV << 8 | i, c->port, c->b[i].h, 0,
			  c->len, 0);
	if (!ret) {
		c->b[i].busy = true;
		c->b[i].done = false;
		c->b[i].requeue = false;
	}
	return ret;
}

/*
 * Close the opened device: @drain: a DAC plays what it was given (within
 * the timeout); then every transfer on the port is cancelled and waited for.
 */
static void conv_close(struct pipe *p, bool drain)
{
	struct daemon *d = p->d;
	struct conv *c = p->conv;
	unsigned int i, ms = 0;
	bool busy;

	if (!c)
		return;
	for (;;) {
		busy = false;
		for (i = 0; i < c->nb; i++)
			busy |= c->b[i].busy;
		if (!busy)
			break;
		if (!drain || c->cyclic || ms >= 5000) {
			port_cmd(d->fd, IUB_IOC_PORT_CANCEL, c->port);
			if (reap(p, 1000) == -ETIME)
				logmsg("pipe %u: converter port still busy after cancel\n", p->k);
		} else if (reap(p, 100) == -ETIME) {
			ms += 100;
		}
	}
	port_cmd(d->fd, IUB_IOC_PORT_RELEASE, c->port);
	atomic_store(&p->conv_port, -1);
	pthread_mutex_lock(&d->lock);
	d->conv_owner[c->port] = 0;
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < c->nb; i++)
		buf_free(d, c->b[i].fd, c->b[i].h);
	dbg("pipe %u: closed %s\n", p->k, iio_device_get_id(c->dev));
	free(c);
	p->conv = NULL;
}

static int conv_open(struct pipe *p, const struct iiod_req *r)
{
	struct daemon *d = p->d;
	struct iub_port_info port, *pi = &port;
	struct iio_device *dev;
	struct conv *c;
	unsigned int i;
	bool subset = true, empty = true, full = true;
	int ret;

	dev = find_dev(d, r->dev);
	if (!dev)
		return -ENODEV;
	if (p->conv)
		return -EBUSY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < MAX_BUFS; i++)
		c->b[i].fd = c->b[i].h = -1;
	c->dev = dev;
	c->output = dev_is_output(dev);
	c->cyclic = r->cyclic;
	ret = scan_layout(dev, c);
	if (ret)
		goto free;
	ret = -EINVAL;
	if (r->mask_words != c->words)
		goto free;
	for (i = 0; i < c->words; i++) {
		subset &= !(r->mask[i] & ~c->mask[i]);
		empty &= !r->mask[i];
		full &= r->mask[i] == c->mask[i];
	}
	/*
	 * The DMA moves every channel: an ADC sends them all and the client
	 * demultiplexes (READBUF's mask says which it gets); a DAC takes
	 * what the client muxed as is, so it must send every channel.
	 */
	if (!subset || empty || (c->output && !full) || !r->num ||
	    (c->cyclic && !c->output))
		goto free;
	if (conv_port(d, dev, c->output, pi)) {
		logmsg("pipe %u: %s (%s) has no converter port in the bridge\n",
		       p->k, r->dev, iio_device_get_name(dev) ?: "");
		ret = -ENODEV;
		goto free;
	}
	c->port = pi->id;
	c->align = pi->align ? pi->align : 1;
	c->len = round_up(r->num * c->ss, c->align);
	if (c->len > pi->max_transfer || c->len > UINT32_MAX / 2) {
		ret = -E2BIG;
		goto free;
	}
	pthread_mutex_lock(&d->lock);
	if (c->port >= MAX_PORTS || d->conv_owner[c->port]) {
		pthread_mutex_unlock(&d->lock);
		ret = -EBUSY;
		goto free;
	}
	d->conv_owner[c->port] = p->k + 1;
	pthread_mutex_unlock(&d->lock);
	ret = port_cmd(d->fd, IUB_IOC_PORT_CLAIM, c->port);
	if (ret < 0) {
		pthread_mutex_lock(&d->lock);
		d->conv_owner[c->port] = 0;
		pthread_mutex_unlock(&d->lock);
		goto free;
	}
	p->conv = c;
	atomic_store(&p->conv_port, (int)c->port);
	c->nb = c->cyclic ? 1 : nbufs;
	for (i = 0; i < c->nb; i++) {
		/* OUT receives whole packets: room for the last one */
		size_t size = c->output ? round_up(c->len, p->out_align) : c->len;

		c->b[i].h = buf_new(d, size, &c->b[i].fd);
		if (c->b[i].h < 0) {
			ret = c->b[i].h;
			goto close;
		}
	}
	if (!c->output) {
		for (i = 0; i < c->nb; i++) {
			ret = capture(p, i);
			if (ret < 0)
				goto close;
		}
	}
	dbg("pipe %u: opened %s on %s: %" PRIu64 " samples of %zu bytes, %u buffers%s\n",
	    p->k, r->dev, pi->name, r->num, c->ss, c->nb, c->cyclic ? ", cyclic" : "");
	return 0;
close:
	conv_close(p, false);
	return ret;
free:
	free(c);
	return ret;
}

static bool conv_is(struct pipe *p, const char *id)
{
	struct iio_device *dev = find_dev(p->d, id);

	return p->conv && dev == p->conv->dev;
}

/*
 * READBUF: @want bytes (whole scans) of the capture stream, in chunks that
 * each follow their "<n>\n" line (the mask line after the first), each a
 * transfer of a captured range out bulk IN.
 */
static int readbuf(struct pipe *p, uint64_t asked)
{
	struct conv *c = p->conv;
	char mask[IIOD_MASK_WORDS * 8 + 2];
	size_t want, sent = 0, n, avail;
	bool first = true;
	struct cbuf *b;
	unsigned int i;
	int ret = 0;

	if (!c || c->output)
		return reply_int(p, -EBADF);
	want = asked - asked % c->ss;
	if (!want)
		return reply_int(p, 0);
	while (sent < want) {
		b = &c->b[c->head];
		if (b->requeue) {
			/* every buffer was sent in this READBUF: wait for them */
			ret = flush_in(p);
			if (ret < 0)
				return ret;
			for (i = 0; i < c->nb; i++)
				if (c->b[i].requeue && (ret = capture(p, i)) < 0)
					return ret;
		}
		while (!b->done) {
			ret = reap(p, p->timeout_ms);
			if (ret == -ETIME) {
				ret = reply_int(p, -ETIMEDOUT);
				goto out;
			}
			if (ret < 0)
				return ret;
			if (atomic_load(&p->stop))
				return -ECANCELED;
		}
		if (b->res < 0) {
			/* the error in place of a chunk; capture goes on */
			ret = reply_int(p, b->res == -ECANCELED ? -EIO : b->res);
			b->done = false;
			capture(p, c->head);
			c->head = (c->head + 1) % c->nb;
			c->consumed = 0;
			goto out;
		}
		avail = (size_t)b->res - c->consumed;
		n = want - sent;
		if (n > avail)
			n = avail;
		if (n > p->in_max)
			n = p->in_max;
		if (n) {
			ret = reply_int(p, (long)n);
			if (!ret && first)
				ret = reply_bytes(p, mask,
						  iiod_mask_format(c->mask, c->words, mask),
						  false);
			if (!ret)
				ret = submit_xfer(p, (uint64_t)TAG_IN << 8, p->in_port,
						  b->h, c->consumed, n, 0);
			if (ret < 0)
				return ret;
			first = false;
			c->consumed += n;
			sent += n;
		}
		if (c->consumed == (size_t)b->res) {
			b->done = false;
			b->requeue = true;
			c->head = (c->head + 1) % c->nb;
			c->consumed = 0;
		}
	}
	/* fewer bytes than asked (whole scans only): a 0 chunk ends it */
	if (sent < asked)
		ret = reply_int(p, 0);
out:
	if (ret < 0)
		return ret;
	ret = flush_in(p);
	if (ret < 0)
		return ret;
	for (i = 0; i < c->nb; i++)
		if (c->b[i].requeue && (ret = capture(p, i)) < 0)
			return ret;
	return 0;
}

/*
 * WRITEBUF: "0\n", then the host's bytes from bulk OUT into the next
 * DMABUF, which the DAC then plays (cyclic: until CLOSE), then "<n>\n".
 */
static int writebuf(struct pipe *p, uint64_t n)
{
	struct conv *c = p->conv;
	struct cbuf *b;
	size_t play;
	int ret;

	if (!c || !c->output)
		return reply_int(p, -EBADF);
	if (!n || n > c->len)
		return reply_int(p, -EINVAL);
	b = &c->b[c->head];
	if (b->busy && c->cyclic)
		port_cmd(p->d->fd, IUB_IOC_PORT_CANCEL, c->port);
	while (b->busy) {
		ret = reap(p, 0);
		if (ret < 0)
			return ret;
	}
	if (b->done && b->res < 0 && b->res != -ECANCELED) {
		b->done = false;
		return reply_int(p, b->res);
	}
	ret = reply_int(p, 0);
	if (ret < 0)
		return ret;
	ret = recv_out(p, b->h, 0, n);
	if (ret < 0)
		return ret;
	if ((uint64_t)ret != n)
		logmsg("pipe %u: WRITEBUF of %" PRIu64 " bytes got %d\n", p->k, n, ret);
	play = (size_t)ret - (size_t)ret % c->align;
	if (play) {
		ret = submit_xfer(p, (uint64_t)TAG_CONV << 8 | c->head, c->port,
				  b->h, 0, play, c->cyclic ? IUB_XFER_CYCLIC : 0);
		if (ret < 0)
			return ret;
		b->busy = true;
		b->done = false;
		c->head = (c->head + 1) % c->nb;
	}
	ret = reply_int(p, (long)n);
	return ret < 0 ? ret : flush_in(p);
}

/* --- attributes ---------------------------------------------------------- */

static struct iio_channel *find_chn(struct iio_device *dev, const struct iiod_req *r)
{
	return iio_device_find_channel(dev, r->chn, r->kind == IIOD_ATTR_OUTPUT);
}

static int read_attr(struct pipe *p, const struct iiod_req *r)
{
	const size_t size = TEXT_SIZE - TEXT_REPLY - 64;
	struct iio_device *dev = find_dev(p->d, r->dev);
	struct iio_channel *chn;
	ssize_t ret;
	char *buf;

	if (!dev)
		return reply_int(p, -ENODEV);
	buf = malloc(size);
	if (!buf)
		return reply_int(p, -ENOMEM);
	switch (r->kind) {
	case IIOD_ATTR_DEVICE:
		ret = iio_device_attr_read(dev, r->attr, buf, size - 1);
		break;
	case IIOD_ATTR_DEBUG:
		ret = iio_device_debug_attr_read(dev, r->attr, buf, size - 1);
		break;
	case IIOD_ATTR_BUFFER:
		ret = iio_device_buffer_attr_read(dev, r->attr, buf, size - 1);
		break;
	default:
		chn = find_chn(dev, r);
		ret = chn ? iio_channel_attr_read(chn, r->attr, buf, size - 1) :
			    -ENXIO;
		break;
	}
	if (ret >= 0) {
		/* "<n>\n", then the value and "\n" in one transfer (n + 1) */
		size_t n = (size_t)ret;

		buf[n] = '\n';
		ret = reply_int(p, (long)n);
		if (!ret)
			ret = reply_bytes(p, buf, n + 1, false);
	} else {
		ret = reply_int(p, (long)ret);
	}
	free(buf);
	return (int)ret;
}

static int write_attr(struct pipe *p, const struct iiod_req *r)
{
	struct iio_device *dev = find_dev(p->d, r->dev);
	size_t len = r->num, got = 0;
	struct iio_channel *chn;
	ssize_t ret;
	char *buf;

	/* the value follows the line whatever happens: take it first */
	if (len > TEXT_REPLY)
		return -E2BIG;	/* cannot keep the stream in step: end the pipe */
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	while (got < len) {
		ret = recv_out(p, p->text_h, 0, len - got);
		if (ret < 0) {
			free(buf);
			return (int)ret;
		}
		text_read(p, buf + got, (size_t)ret);
		got += (size_t)ret;
	}
	buf[len] = '\0';
	if (!dev) {
		ret = -ENODEV;
	} else {
		switch (r->kind) {
		case IIOD_ATTR_DEVICE:
			ret = iio_device_attr_write_raw(dev, r->attr, buf, len);
			break;
		case IIOD_ATTR_DEBUG:
			ret = iio_device_debug_attr_write_raw(dev, r->attr, buf, len);
			break;
		case IIOD_ATTR_BUFFER:
			ret = iio_device_buffer_attr_write_raw(dev, r->attr, buf, len);
			break;
		default:
			chn = find_chn(dev, r);
			ret = chn ? iio_channel_attr_write_raw(chn, r->attr, buf, len) :
				    -ENXIO;
			break;
		}
	}
	free(buf);
	return reply_int(p, (long)ret);
}

static int gettrig(struct pipe *p, const struct iiod_req *r)
{
	struct iio_device *dev = find_dev(p->d, r->dev);
	const struct iio_device *trig = NULL;
	const char *name;
	char buf[256];
	int ret, n;

	if (!dev)
		return reply_int(p, -ENODEV);
	ret = iio_device_get_trigger(dev, &trig);
	if (ret < 0 || !trig || !(name = iio_device_get_name(trig)))
		return reply_int(p, ret < 0 ? ret : 0);
	n = snprintf(buf, sizeof(buf), "%s\n", name);
	ret = reply_int(p, n - 1);
	return ret < 0 ? ret : reply_bytes(p, buf, n, false);
}

static int settrig(struct pipe *p, const struct iiod_req *r)
{
	struct iio_device *dev = find_dev(p->d, r->dev), *trig = NULL;

	if (!dev)
		return reply_int(p, -ENODEV);
	if (r->trig) {
		trig = find_dev(p->d, r->trig);
		if (!trig)
			return reply_int(p, -ENOENT);
	}
	return reply_int(p, iio_device_set_trigger(dev, trig));
}

/* --- a pipe's thread ----------------------------------------------------- */

static int handle(struct pipe *p, char *line)
{
	struct daemon *d = p->d;
	unsigned int maj, min;
	struct iiod_req r;
	char buf[64], tag[8];
	int n, ret;

	dbg("pipe %u: %s\n", p->k, line);
	switch (iiod_parse(line, &r)) {
	case IIOD_EMPTY:
		return 0;
	case IIOD_VERSION:
		iio_library_get_version(&maj, &min, tag);
		n = snprintf(buf, sizeof(buf), "%u.%u.%-7.7s\n", maj, min, tag);
		return reply_bytes(p, buf, n, true);
	case IIOD_PRINT:
		ret = reply_int(p, (long)d->xml_len);
		/* the XML and its "\n", read by the host as len + 1 bytes */
		return ret < 0 ? ret :
			submit_xfer(p, (uint64_t)TAG_IN << 8, p->in_port, d->xml_h,
				    0, d->xml_len + 1, IUB_XFER_NO_SYNC);
	case IIOD_TIMEOUT:
		p->timeout_ms = r.num > UINT_MAX ? UINT_MAX : (unsigned int)r.num;
		return reply_int(p, 0);
	case IIOD_OPEN:
		return reply_int(p, conv_open(p, &r));
	case IIOD_CLOSE:
		if (!conv_is(p, r.dev))
			return reply_int(p, find_dev(d, r.dev) ? -EBADF : -ENODEV);
		/* a DAC plays what it was given first; an ADC stops at once */
		conv_close(p, p->conv->output);
		return reply_int(p, 0);
	case IIOD_READ:
		return read_attr(p, &r);
	case IIOD_WRITE:
		return write_attr(p, &r);
	case IIOD_READBUF:
		if (!conv_is(p, r.dev))
			return reply_int(p, find_dev(d, r.dev) ? -EBADF : -ENODEV);
		return readbuf(p, r.num);
	case IIOD_WRITEBUF:
		if (!conv_is(p, r.dev))
			return reply_int(p, find_dev(d, r.dev) ? -EBADF : -ENODEV);
		return writebuf(p, r.num);
	case IIOD_GETTRIG:
		return gettrig(p, &r);
	case IIOD_SETTRIG:
		return settrig(p, &r);
	case IIOD_SET_BUFFERS_COUNT:
		/* the daemon keeps its own number of buffers (--buffers) */
		return reply_int(p, find_dev(d, r.dev) ? 0 : -ENODEV);
	case IIOD_EXIT:
		/* USB has no session to end: drop the opened device */
		conv_close(p, false);
		return 0;
	case IIOD_HELP:
		return reply_int(p, -ENOSYS);
	case IIOD_BINARY:	/* libiio 1.0 falls back to this protocol */
	case IIOD_ZPRINT:	/* no zstd */
	case IIOD_BAD:
	default:
		return reply_int(p, -EINVAL);
	}
}

static void *pipe_main(void *arg)
{
	struct pipe *p = arg;
	int ret;

	for (;;) {
		ret = read_line(p);
		if (ret == -EMSGSIZE) {
			/* a line longer than any command: like iiod, -EINVAL */
			ret = reply_int(p, -EINVAL);
			if (!ret)
				ret = flush_in(p);
			if (ret < 0)
				break;
			continue;
		}
		if (ret < 0)
			break;
		ret = handle(p, p->line);
		if (!ret)
			ret = flush_in(p);
		if (ret < 0)
			break;
	}
	/*
	 * The host closed the pipe (ECANCELED), or the link or the function
	 * went away: its transfers in flight end with ESHUTDOWN, and one
	 * submitted after its ports were unregistered finds no port (ENODEV)
	 */
	if (ret != -ECANCELED && ret != -ESHUTDOWN && ret != -ENODEV)
		logmsg("pipe %u: ends: %s\n", p->k, strerror(-ret));
	else
		dbg("pipe %u: ends: %s\n", p->k, strerror(-ret));
	/* what the host will not read any more */
	port_cmd(p->d->fd, IUB_IOC_PORT_CANCEL, p->in_port);
	port_cmd(p->d->fd, IUB_IOC_PORT_CANCEL, p->out_port);
	conv_close(p, false);
	while (p->inflight && reap(p, 1000) == 0)
		;
	atomic_store(&p->exited, true);
	return NULL;
}

static int pipe_start(struct daemon *d, unsigned int k)
{
	struct pipe *p = &d->pipes[k];
	const struct iub_port_info *in, *out;
	char name[IUB_PORT_NAME_LEN + 8];
	int ret;

	if (p->running)
		return 0;
	pthread_mutex_lock(&d->lock);
	get_ports(d);
	snprintf(name, sizeof(name), "%s:in%u", d->fn, k);
	in = port_by_name(d, name);
	snprintf(name, sizeof(name), "%s:out%u", d->fn, k);
	out = port_by_name(d, name);
	if (in && out) {
		p->in_port = in->id;
		p->out_port = out->id;
		p->in_max = in->max_transfer;
		p->out_align = out->align ? out->align : 512;
	}
	pthread_mutex_unlock(&d->lock);
	if (!in || !out)
		return -ENODEV;
	p->inflight = p->in_pending = 0;
	p->in_err = 0;
	p->reply_off = TEXT_REPLY;
	p->conv = NULL;
	p->timeout_ms = 0;
	atomic_store(&p->stop, false);
	atomic_store(&p->exited, false);
	atomic_store(&p->conv_port, -1);
	ret = io_uring_queue_init(64, &p->ring, 0);
	if (ret < 0)
		return ret;
	ret = pthread_create(&p->thr, NULL, pipe_main, p);
	if (ret) {
		io_uring_queue_exit(&p->ring);
		return -ret;
	}
	p->running = true;
	dbg("pipe %u: serving %s:in%u/%s:out%u (OUT packets of %u bytes)\n",
	    k, d->fn, k, d->fn, k, p->out_align);
	return 0;
}

static void pipe_stop(struct daemon *d, unsigned int k)
{
	struct pipe *p = &d->pipes[k];
	unsigned int tries = 0;
	struct timespec ts;
	int cp;

	if (!p->running)
		return;
	atomic_store(&p->stop, true);
	for (;;) {
		port_cmd(d->fd, IUB_IOC_PORT_CANCEL, p->in_port);
		port_cmd(d->fd, IUB_IOC_PORT_CANCEL, p->out_port);
		/* a thread waiting for its converter (a DAC that plays on) */
		cp = atomic_load(&p->conv_port);
		if (++tries > 10 && cp >= 0)
			port_cmd(d->fd, IUB_IOC_PORT_CANCEL, (uint32_t)cp);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!pthread_timedjoin_np(p->thr, NULL, &ts))
			break;
	}
	io_uring_queue_exit(&p->ring);
	p->running = false;
	dbg("pipe %u: stopped\n", k);
}

/* --- set-up and the event loop ------------------------------------------- */

static int load_context(struct daemon *d)
{
	const char *xml;
	uint8_t *map;
	int fd;

	d->ctx = iio_create_local_context();
	if (!d->ctx)
		return -errno;
	xml = iio_context_get_xml(d->ctx);
	if (!xml)
		return -EIO;
	d->xml_len = strlen(xml);
	d->xml_h = buf_new(d, d->xml_len + 1, &fd);
	if (d->xml_h < 0)
		return d->xml_h;
	map = mmap(NULL, round_up(d->xml_len + 1, PAGE), PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	cpu_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memcpy(map, xml, d->xml_len);
	map[d->xml_len] = '\n';
	cpu_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	munmap(map, round_up(d->xml_len + 1, PAGE));
	close(fd);
	return 0;
}

static int pipe_init(struct daemon *d, unsigned int k)
{
	struct pipe *p = &d->pipes[k];
	void *map;

	p->d = d;
	p->k = k;
	p->text_h = buf_new(d, TEXT_SIZE, &p->text_fd);
	if (p->text_h < 0)
		return p->text_h;
	map = mmap(NULL, TEXT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, p->text_fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	p->text = map;
	return 0;
}

/* the function's pipes: NAME:in<k> and NAME:out<k> for k = 0, 1, ... */
static int find_pipes(struct daemon *d)
{
	char name[IUB_PORT_NAME_LEN + 8];
	unsigned int k, i;
	int ret;

	if (!d->fn) {
		/* the first USB port names the function */
		for (i = 0; i < d->nports && !d->fn; i++)
			if (d->ports[i].kind == IUB_PORT_USB) {
				char *colon = strchr(d->ports[i].name, ':');

				if (colon)
					d->fn = strndup(d->ports[i].name,
							colon - d->ports[i].name);
			}
		if (!d->fn)
			return -ENODEV;
	}
	for (k = 0; k < MAX_PIPES; k++) {
		const struct iub_port_info *in, *out;

		snprintf(name, sizeof(name), "%s:in%u", d->fn, k);
		in = port_by_name(d, name);
		snprintf(name, sizeof(name), "%s:out%u", d->fn, k);
		out = port_by_name(d, name);
		if (!in || !out)
			break;
		ret = port_cmd(d->fd, IUB_IOC_PORT_CLAIM, in->id);
		if (ret < 0)
			return ret;
		ret = port_cmd(d->fd, IUB_IOC_PORT_CLAIM, out->id);
		if (ret < 0)
			return ret;
		ret = pipe_init(d, k);
		if (ret < 0)
			return ret;
	}
	d->npipes = k;
	return k ? 0 : -ENODEV;
}

static void stop_all(struct daemon *d)
{
	unsigned int k;

	for (k = 0; k < d->npipes; k++)
		pipe_stop(d, k);
}

static void start_all(struct daemon *d)
{
	unsigned int k;
	int ret;

	for (k = 0; k < d->npipes; k++) {
		ret = pipe_start(d, k);
		if (ret < 0)
			logmsg("pipe %u: cannot serve it: %s\n", k, strerror(-ret));
	}
}

/*
 * The host configured the function: the OUT ports' packet size is the
 * link's only now (1024 before), and a pipe served with another one (the
 * daemon started before the host came) would wait for bytes the host never
 * sends: serve such pipes anew.
 */
static void restart_for_link(struct daemon *d)
{
	const struct iub_port_info *out;
	char name[IUB_PORT_NAME_LEN + 8];
	unsigned int k, align;

	for (k = 0; k < d->npipes; k++) {
		if (!d->pipes[k].running)
			continue;
		pthread_mutex_lock(&d->lock);
		get_ports(d);
		snprintf(name, sizeof(name), "%s:out%u", d->fn, k);
		out = port_by_name(d, name);
		align = out && out->align ? out->align : d->pipes[k].out_align;
		pthread_mutex_unlock(&d->lock);
		if (align != d->pipes[k].out_align)
			pipe_stop(d, k);
	}
}

static const char *event_name(unsigned int code)
{
	static const char *const names[] = {
		"?", "ONLINE", "OFFLINE", "RESET_PIPES", "OPEN_PIPE",
		"CLOSE_PIPE", "LOST",
	};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] : "?";
}

/* returns 0 to go on, 1 to stop, < 0 on a fatal error */
static int on_event(struct daemon *d, int res)
{
	unsigned int code = IUB_EVENT_CODE(res), v = IUB_EVENT_VALUE(res);
	int ret;

	dbg("event %s %u\n", event_name(code), v);
	switch (code) {
	case IUB_EVENT_OPEN_PIPE:
		if (v >= d->npipes) {
			logmsg("OPEN_PIPE %u: the function has %u pipes\n", v, d->npipes);
			break;
		}
		/*
		 * Served already (since the daemon started, or ONLINE): keep
		 * the thread, whose OUT transfer may hold the host's first
		 * command by now. Its state is clean: a host that opened
		 * the pipe before sent RESET_PIPES or CLOSE_PIPE since,
		 * which ended the thread.
		 */
		if (d->pipes[v].running && !atomic_load(&d->pipes[v].exited))
			break;
		pipe_stop(d, v);
		ret = pipe_start(d, v);
		if (ret < 0)
			logmsg("pipe %u: cannot serve it: %s\n", v, strerror(-ret));
		break;
	case IUB_EVENT_CLOSE_PIPE:
		if (v < d->npipes)
			pipe_stop(d, v);
		break;
	case IUB_EVENT_RESET_PIPES:
	case IUB_EVENT_OFFLINE:
		stop_all(d);
		break;
	case IUB_EVENT_ONLINE:
		/*
		 * Served anew: the OUT ports' packet size is the link's only
		 * now (a daemon started before the host came read 1024)
		 */
		restart_for_link(d);
		start_all(d);
		break;
	case IUB_EVENT_LOST:
		logmsg("%u events lost: serving every pipe anew\n", v);
		stop_all(d);
		start_all(d);
		break;
	default:
		logmsg("unknown event %u (%u)\n", code, v);
		break;
	}
	return 0;
}

static int event_loop(struct daemon *d, int sfd)
{
	struct iub_port_claim ev = { .port = d->pipes[0].in_port };
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	bool ev_armed = false, sig_armed = false;
	int ret, res;
	uint64_t ud;

	ret = io_uring_queue_init(8, &ring, 0);
	if (ret < 0)
		return ret;
	for (;;) {
		if (!ev_armed) {
			sqe = io_uring_get_sqe(&ring);
			if (iub_prep_cmd(sqe, d->fd, IUB_IOC_PORT_EVENT, &ev, sizeof(ev)))
				return -EINVAL;
			sqe->user_data = 1;
			ev_armed = true;
		}
		if (!sig_armed) {
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_poll_add(sqe, sfd, POLLIN);
			sqe->user_data = 2;
			sig_armed = true;
		}
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR)
			break;
		if (io_uring_peek_cqe(&ring, &cqe))
			continue;
		ud = cqe->user_data;
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (ud == 2) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				dbg("signal %u: stopping\n", si.ssi_signo);
			ret = 0;
			break;
		}
		ev_armed = false;
		if (res == -EINTR || res == -EAGAIN)
			continue;
		if (res < 0) {
			if (res == -ENOTTY || res == -EOPNOTSUPP || res == -EINVAL)
				logmsg("the bridge module has no IUB_IOC_PORT_EVENT (too old?): %s\n",
				       strerror(-res));
			else if (res == -ESHUTDOWN || res == -ENODEV)
				logmsg("the USB function went away: %s\n", strerror(-res));
			else
				logmsg("PORT_EVENT: %s\n", strerror(-res));
			ret = res;
			break;
		}
		ret = on_event(d, res);
		if (ret)
			break;
	}
	io_uring_queue_exit(&ring);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: iub-iiod [OPTIONS]\n"
		"       iub-iiod --help | --version\n"
		"\n"
		"Serve libiio 0.24's USB protocol (iio_info, iio_readdev, iio_writedev\n"
		"-u usb:) on the pipes of the bridge's USB function in protocol=libiio,\n"
		"with the local IIO devices; the samples move through the bridge.\n"
		"\n"
		"  -f, --function NAME  the function's port prefix (configfs\n"
		"                       functions/iio_usb_bridge.NAME); default: the\n"
		"                       first USB function the bridge lists\n"
		"  -b, --buffers N      DMABUFs per opened converter, 1 to %d: captures\n"
		"                       in flight (default 4)\n"
		"  -v, --verbose        log every command and event to stderr\n"
		"  -h, --help           this text\n"
		"      --version        the version of iub-iiod\n"
		"\n"
		"Exit status: 0 on SIGINT/SIGTERM, 1 on an error (the function went\n"
		"away, the module lacks IUB_IOC_PORT_EVENT), 2 on a bad command line.\n",
		MAX_BUFS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "function", required_argument, NULL, 'f' },
		{ "buffers", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 0x100 },
		{ 0 }
	};
	struct daemon *d;
	struct iub_features feat = { 0 };
	struct iub_query q = { .data = (uintptr_t)&feat, .size = sizeof(feat) };
	sigset_t sigs;
	char *end;
	int c, ret, sfd;

	d = calloc(1, sizeof(*d));
	if (!d)
		return 1;
	while ((c = getopt_long(argc, argv, "f:b:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			d->fn = optarg;
			break;
		case 'b':
			nbufs = strtoul(optarg, &end, 10);
			if (*end || !nbufs || nbufs > MAX_BUFS) {
				fprintf(stderr, "iub-iiod: --buffers: 1 to %d\n", MAX_BUFS);
				return 2;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 0x100:
			printf("iub-iiod (iio-usb-bridge) %s\n", IUB_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	pthread_mutex_init(&d->lock, NULL);
	/* signals are read from a signalfd by the event loop, in every thread */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);

	d->fd = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		logmsg("%s: %s\n", IUB_DEVICE_PATH, strerror(errno));
		return 1;
	}
	if (ioctl(d->fd, IUB_IOC_GET_FEATURES, &q) < 0 ||
	    !(feat.features & IUB_FEAT_PORT_EVENTS)) {
		logmsg("the bridge module has no port events (IUB_FEAT_PORT_EVENTS)\n");
		return 1;
	}
	ret = get_ports(d);
	if (!ret)
		ret = load_context(d);
	if (ret < 0) {
		logmsg("local IIO context: %s\n", strerror(-ret));
		return 1;
	}
	ret = find_pipes(d);
	if (ret < 0) {
		logmsg("no pipes of function %s: %s (protocol=libiio, bound?)\n",
		       d->fn ? d->fn : "(none)", strerror(-ret));
		return 1;
	}
	logmsg("function %s: %u pipes, %u IIO devices, XML of %zu bytes\n",
	       d->fn, d->npipes, iio_context_get_devices_count(d->ctx), d->xml_len);
	/*
	 * Serve every pipe now: a host that opened them before this daemon
	 * (re)started sends its next command without a new OPEN_PIPE.
	 */
	start_all(d);
	ret = event_loop(d, sfd);
	stop_all(d);
	iio_context_destroy(d->ctx);
	close(d->fd);
	return ret < 0 ? 1 : 0;
}
