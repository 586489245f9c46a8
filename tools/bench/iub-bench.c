// SPDX-License-Identifier: GPL-2.0
/*
 * iub-bench - one measurement of the benchmark (Documentation/benchmark.rst):
 * stream from the simulated ADCs to the USB host through one path, for a
 * while, and print one JSON line: throughput, the guest's CPU time, the
 * syscalls the device side made, and whether the data arrived intact.
 *
 *   iub-bench --path PATH --udc dummy|sg [--size BYTES] [--inflight N]
 *             [--streams K] [--seconds S] [--min-buffers M] [--recv PATH]
 *             [--perf-ctl CTL_FIFO,ACK_FIFO] [--wait-tracer S]
 *             [--buffer udmabuf|hugetlb|heap] [--rate BYTES_PER_S]
 *
 * PATH:
 *   copy        read() from the IIO DMA-buffer ADC (fileio), write() to a
 *               FunctionFS bulk IN endpoint
 *   pair        IIO DMABUF enqueue + FunctionFS DMABUF transfer of the same
 *               DMABUF (upstream's zero-copy pair; needs an SG UDC)
 *   mixed       IIO DMABUF enqueue, write() of the mmap'ed DMABUF to
 *               FunctionFS
 *   bridge      io_uring IUB_IOC_ROUTE: ADC -> DMABUF -> bulk IN, in the kernel
 *   sourcesink  nothing on the device side: the kernel's f_sourcesink
 *               (configured by the caller) is the ceiling
 *   capture     no USB: bridge transfers from the ADC into the DMABUFs, the
 *               cost of the simulated converter itself (a reference)
 *
 * K streams use the ADCs iub-sim-adc-dmabuf.0..K-1 (FunctionFS paths) or
 * iub-sim-adc.0..K-1 (bridge) and K bulk IN endpoints; one thread per
 * stream for the FunctionFS paths, one io_uring for all of them for the
 * bridge. The caller loads the modules and, for bridge and sourcesink,
 * creates and binds the gadget; iub-bench sets up FunctionFS itself.
 *
 * Each stream runs for --seconds and at least --min-buffers buffers, and
 * ends on a whole MiB (the host side's transfer size). On dummy_hcd the
 * host side is iub-bench-recv, started here through `chroot /host` (--recv
 * is its path there); it verifies every byte. On the simulated SG UDC the
 * fixture verifies every byte itself (debugfs counters).
 *
 * Syscalls are counted in this program, in the streaming loop only (not
 * setup and teardown): every read, write, ioctl, poll and io_uring_enter.
 *
 * The JSON line's "lane" is "bounced" when the kernel bounces every DMA
 * mapping (swiotlb=force on its command line: tools/bench/run.sh --bounce),
 * else "coherent". In the bounced lane the mixed path waits for the ADC
 * with poll() instead of DMA_BUF_IOCTL_SYNC (see run_mixed()).
 *
 * --perf-ctl: the control and ack FIFOs of a `perf record -D -1 --control`
 * (started disabled): perf samples exactly the measurement window.
 * --buffer: the DMABUFs of the DMABUF paths come from udmabuf (4 KiB
 * pages, the default), udmabuf over 2 MiB hugetlb pages (reserved by the
 * caller: /proc/sys/vm/nr_hugepages) or the system dma-heap.
 * --wait-tracer: between the setup and the measurement, wait (at most S
 * seconds) for a tracer to attach: strace -c -f then sees the whole
 * measurement, and its attach interrupts no write().
 *
 * --rate: the gap-free trial of a path (Documentation/benchmark.rst, "The
 * highest gap-free rate"). The simulated ADC channel of each stream runs in
 * real-time mode at that many bytes per second for --seconds (the hold):
 * its samples come by its clock, and what comes while no buffer is queued
 * is lost (debugfs "realtime", "rate", "dropped_bytes" of iub-sim-dma). At
 * the end of the hold the channel goes back to its default mode (it waits
 * for its buffers) for the rest of the run; the first drop seen (polled
 * every 50 ms) ends the run early. The JSON line adds the rate, the bytes
 * dropped, the ADC port's gaps (the bridge's paths: struct
 * iub_port_info.gaps), the share of the rate delivered and whether the
 * path held the rate: nothing dropped, no gap, the data verified and at
 * least 95 % of the rate delivered. The channels' realtime and rate are
 * set back to 0 when this program exits (SIGKILL aside: bench-guest.sh
 * checks after each trial).
 */
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <endian.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>

#include <iio_usb_bridge_uring.h>
#include "bench_util.h"

#define MAX_STREAMS	2
/*
 * Buffers in flight per stream. 32 x 2 streams: the bridge's default
 * max_buffers (64 attachments per file) is the limit; its max_inflight (256
 * requests per file, one per route) is far above. FunctionFS, the IIO DMA
 * buffer and f_sourcesink have no limit of their own below it.
 */
#define MAX_INFLIGHT	32
/* FunctionFS copies each write() into a kmalloc()ed buffer on a UDC without
 * SG: larger ones fail (and warn). So does a coherent IIO fileio block. */
#define MAX_KMALLOC	(4 * MIB)

/* The simulated provider's fastest rate, bytes per second (IUB_SIM_MAX_RATE) */
#define SIM_MAX_RATE	1000000000000ULL
#define SIM_DEBUGFS	"/sys/kernel/debug/iub-sim-dma"
/* a trial holds when at least this share of its rate arrived */
#define RATE_KEPT	0.95

#define FFS_GADGET	"/sys/kernel/config/usb_gadget/iub-bench-ffs"
#define FFS_FUNC	"ffs.iubbench"
#define FFS_MNT		"/run/iub-bench-ffs"

enum { SC_READ, SC_WRITE, SC_IOCTL, SC_POLL, SC_URING, SC_NR };
static const char * const sc_names[SC_NR] = { "read", "write", "ioctl", "poll", "io_uring_enter" };
static unsigned long long nsys[SC_NR];
static volatile int counting;

static inline void count(int k)
{
	if (counting)
		__atomic_fetch_add(&nsys[k], 1, __ATOMIC_RELAXED);
}

static ssize_t x_read(int fd, void *b, size_t n) { count(SC_READ); return read(fd, b, n); }
static ssize_t x_write(int fd, const void *b, size_t n) { count(SC_WRITE); return write(fd, b, n); }
static int x_ioctl(int fd, unsigned long req, void *arg) { count(SC_IOCTL); return ioctl(fd, req, arg); }
static int x_poll(struct pollfd *p, nfds_t n, int ms) { count(SC_POLL); return poll(p, n, ms); }

enum path { P_COPY, P_PAIR, P_MIXED, P_BRIDGE, P_SOURCESINK, P_CAPTURE, P_STREAM, P_NR };
static const char * const path_names[P_NR] = {
	"copy", "pair", "mixed", "bridge", "sourcesink", "capture", "stream",
};

static struct {
	enum path path;
	bool sg;		/* the simulated SG UDC, else dummy_hcd */
	size_t size;
	unsigned int inflight, streams, min_bufs;
	double seconds;
	const char *recv;
	const char *perf_ctl;
	double delay;
	enum iub_dmabuf_src buf_src;	/* --buffer: where the DMABUFs come from */
	uint64_t rate;		/* --rate: real-time ADC, bytes per second */
} cfg = { .size = MIB, .inflight = 8, .streams = 1, .seconds = 3 };

static const char *const buf_names[] = {
	[IUB_DMABUF_UDMABUF] = "udmabuf",
	[IUB_DMABUF_HEAP] = "heap",
	[IUB_DMABUF_HUGETLB] = "hugetlb",
};

struct buf {
	int fd;
	void *map;
	int handle;		/* bridge */
	enum { B_IDLE, B_ADC, B_USB } state;
};

struct stream {
	int idx;
	/* FunctionFS */
	int ep;
	size_t max_write;
	/* the fixture's endpoint (SG UDC) */
	char fix[16];
	/* IIO */
	char iio_dir[256];
	int iio_dev, iio_buf;
	size_t iio_block;
	void *cbuf;		/* copy path's buffer */
	struct buf bufs[MAX_INFLIGHT];
	/* bridge ports */
	int from, to;
	/* the ADC's simulated channel in real-time mode (--rate) */
	int chan;
	uint64_t dropped0, dropped;
	uint64_t gaps0, gap_ns0, gaps, gap_ns;
	/* progress */
	uint64_t submitted, done, at_first;
	unsigned long nsub;
	double first, last;
	int err;
	char errmsg[160];
	pthread_t thr;
};

static struct stream streams[MAX_STREAMS];
static double t_start;
static volatile sig_atomic_t interrupted;
/* --rate: the ADC dropped samples, the run ends */
static volatile int overrun;
static int ffs_ep0 = -1;
static bool ffs_mounted;
static char refused[160];

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iub-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void stream_fail(struct stream *s, int err, const char *what)
{
	if (s->err)
		return;
	s->err = err ? err : EIO;
	snprintf(s->errmsg, sizeof(s->errmsg), "stream %d: %s: %s", s->idx,
		 what, strerror(s->err));
}

/* Whether stream @s submits another buffer. */
static bool keep_going(const struct stream *s)
{
	if (interrupted || overrun || s->err)
		return false;
	if (now() - t_start < cfg.seconds || s->nsub < cfg.min_bufs)
		return true;
	/*
	 * The IIO DMA buffer's fileio never resets the index of the next
	 * block to read (fileio.next_dequeue, 6.12): after a capture that
	 * read an odd number of its two blocks, the next one gets its first
	 * two blocks swapped. End on an even number of blocks.
	 */
	if (cfg.path == P_COPY && (s->submitted / s->iio_block) % 2)
		return true;
	return s->submitted % MIB != 0;	/* end on a whole MiB */
}

static void submitted(struct stream *s)
{
	s->submitted += cfg.size;
	s->nsub++;
}

static void completed(struct stream *s, uint64_t bytes)
{
	double t = now();

	s->done += bytes;
	if (!s->first) {
		s->first = t;
		s->at_first = s->done;
	}
	s->last = t;
}

/* ---- FunctionFS -------------------------------------------------------------- */

static unsigned char *put_intf(unsigned char *p, unsigned int neps)
{
	*p++ = USB_DT_INTERFACE_SIZE;
	*p++ = USB_DT_INTERFACE;
	*p++ = 0;		/* bInterfaceNumber */
	*p++ = 0;		/* bAlternateSetting */
	*p++ = (unsigned char)neps;
	*p++ = USB_CLASS_VENDOR_SPEC;
	*p++ = 0;
	*p++ = 0;
	*p++ = 1;		/* iInterface */
	return p;
}

static unsigned char *put_ep(unsigned char *p, unsigned int n, unsigned int maxp)
{
	*p++ = USB_DT_ENDPOINT_SIZE;
	*p++ = USB_DT_ENDPOINT;
	*p++ = (unsigned char)(USB_DIR_IN | n);
	*p++ = USB_ENDPOINT_XFER_BULK;
	*p++ = maxp & 0xff;
	*p++ = maxp >> 8;
	*p++ = 0;
	return p;
}

static unsigned char *put_comp(unsigned char *p)
{
	*p++ = USB_DT_SS_EP_COMP_SIZE;
	*p++ = USB_DT_SS_ENDPOINT_COMP;
	*p++ = 15;		/* bMaxBurst, as the bridge's function */
	*p++ = 0;
	*p++ = 0;
	*p++ = 0;
	return p;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

/* Descriptors: one vendor interface with K bulk IN endpoints. */
static int ffs_write_descs(int ep0, unsigned int k)
{
	static const char str[] = "iub-bench";
	unsigned char d[512], s[64], *p = d + 24;
	unsigned int i;

	p = put_intf(p, k);
	for (i = 1; i <= k; i++)
		p = put_ep(p, i, 64);
	p = put_intf(p, k);
	for (i = 1; i <= k; i++)
		p = put_ep(p, i, 512);
	p = put_intf(p, k);
	for (i = 1; i <= k; i++)
		p = put_comp(put_ep(p, i, 1024));
	put_le32(d, FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	put_le32(d + 4, (uint32_t)(p - d));
	put_le32(d + 8, FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC |
		 FUNCTIONFS_HAS_SS_DESC);
	put_le32(d + 12, 1 + k);
	put_le32(d + 16, 1 + k);
	put_le32(d + 20, 1 + 2 * k);
	if (write(ep0, d, p - d) != p - d)
		return -errno;

	put_le32(s, FUNCTIONFS_STRINGS_MAGIC);
	put_le32(s + 4, 16 + 2 + sizeof(str));
	put_le32(s + 8, 1);	/* str_count */
	put_le32(s + 12, 1);	/* lang_count */
	s[16] = 0x09;
	s[17] = 0x04;
	memcpy(s + 18, str, sizeof(str));
	if (write(ep0, s, 18 + sizeof(str)) != (ssize_t)(18 + sizeof(str)))
		return -errno;
	return 0;
}

static void ffs_teardown(void)
{
	for (unsigned int i = 0; i < cfg.streams; i++)
		if (streams[i].ep >= 0) {
			close(streams[i].ep);
			streams[i].ep = -1;
		}
	write_str(FFS_GADGET "/UDC", "\n");
	if (ffs_ep0 >= 0)
		close(ffs_ep0);
	ffs_ep0 = -1;
	if (ffs_mounted)
		umount(FFS_MNT);
	ffs_mounted = false;
	unlink(FFS_GADGET "/configs/c.1/" FFS_FUNC);
	rmdir(FFS_GADGET "/configs/c.1");
	rmdir(FFS_GADGET "/functions/" FFS_FUNC);
	rmdir(FFS_GADGET);
}

/* A configfs gadget with FunctionFS, bound to the UDC and configured. */
static void ffs_setup(const char *udc)
{
	struct usb_functionfs_event ev;
	double until;
	char p[128];

	ffs_teardown();		/* leftovers of an interrupted run */
	if (mkdir(FFS_GADGET, 0755) ||
	    write_str(FFS_GADGET "/idVendor", "0x1d6b") ||
	    write_str(FFS_GADGET "/idProduct", "0x0104") ||
	    mkdir(FFS_GADGET "/configs/c.1", 0755) ||
	    mkdir(FFS_GADGET "/functions/" FFS_FUNC, 0755) ||
	    symlink(FFS_GADGET "/functions/" FFS_FUNC, FFS_GADGET "/configs/c.1/" FFS_FUNC))
		die("configfs gadget %s: %s", FFS_GADGET, strerror(errno));
	mkdir(FFS_MNT, 0755);
	if (mount("iubbench", FFS_MNT, "functionfs", 0, NULL))
		die("mount functionfs: %s", strerror(errno));
	ffs_mounted = true;
	ffs_ep0 = open(FFS_MNT "/ep0", O_RDWR | O_CLOEXEC);
	if (ffs_ep0 < 0 || ffs_write_descs(ffs_ep0, cfg.streams))
		die("FunctionFS ep0: %s", strerror(errno));
	if (write_str(FFS_GADGET "/UDC", udc))
		die("bind %s: %s", udc, strerror(errno));
	/* the host configured us: FUNCTIONFS_ENABLE */
	for (until = now() + 20;;) {
		struct pollfd pf = { .fd = ffs_ep0, .events = POLLIN };

		if (now() > until)
			die("FunctionFS: the host never configured the gadget");
		if (poll(&pf, 1, 200) != 1)
			continue;
		if (read(ffs_ep0, &ev, sizeof(ev)) != sizeof(ev))
			die("FunctionFS ep0 event: %s", strerror(errno));
		if (ev.type == FUNCTIONFS_ENABLE)
			break;
	}
	for (unsigned int i = 0; i < cfg.streams; i++) {
		snprintf(p, sizeof(p), FFS_MNT "/ep%u", i + 1);
		streams[i].ep = open(p, O_RDWR | O_CLOEXEC);
		if (streams[i].ep < 0)
			die("%s: %s", p, strerror(errno));
		/* without SG, FunctionFS kmalloc()s a bounce buffer per write */
		streams[i].max_write = cfg.sg ? cfg.size :
			cfg.size < MAX_KMALLOC ? cfg.size : MAX_KMALLOC;
	}
}

/* write() @len bytes to FunctionFS, in pieces of at most s->max_write. */
static int ffs_write_all(struct stream *s, const void *p, size_t len)
{
	while (len) {
		size_t n = len < s->max_write ? len : s->max_write;
		ssize_t w = x_write(s->ep, p, n);

		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p = (const char *)p + w;
		len -= (size_t)w;
	}
	return 0;
}

/* ---- IIO ------------------------------------------------------------------------- */

/* The DMA-buffer ADC of stream @s: 2 channels (8-byte scans), buffer off. */
static void iio_setup(struct stream *s)
{
	char label[64], dev[64];
	int n;

	snprintf(label, sizeof(label), "iub-sim-adc-dmabuf.%d", s->idx);
	n = iio_find(label, s->iio_dir, sizeof(s->iio_dir));
	if (n < 0)
		die("no IIO device labelled %s (IUB_SIM_DMABUF_ARGS=count=%u?)",
		    label, cfg.streams);
	if (iio_attr(s->iio_dir, "buffer0/enable", 0) ||
	    iio_attr(s->iio_dir, "buffer0/in_voltage0_en", 1) ||
	    iio_attr(s->iio_dir, "buffer0/in_voltage1_en", 1))
		die("%s: cannot configure the buffer", label);
	/* fileio: two blocks of length * 8 / 2 bytes each */
	s->iio_block = cfg.size < MAX_KMALLOC ? cfg.size : MAX_KMALLOC;
	if (iio_attr(s->iio_dir, "buffer0/length", (long long)(s->iio_block * 2 / 8)))
		die("%s: buffer length: %s", label, strerror(errno));
	snprintf(dev, sizeof(dev), "/dev/iio:device%d", n);
	s->iio_dev = open(dev, O_RDWR | O_CLOEXEC);
	if (s->iio_dev < 0)
		die("%s: %s", dev, strerror(errno));
	s->iio_buf = -1;
}

static void iio_teardown(struct stream *s)
{
	if (s->iio_dir[0])
		iio_attr(s->iio_dir, "buffer0/enable", 0);
	for (unsigned int i = 0; i < cfg.inflight; i++) {
		struct buf *b = &s->bufs[i];

		if (b->fd < 0)
			continue;
		if (cfg.path == P_PAIR && s->ep >= 0)
			ioctl(s->ep, FUNCTIONFS_DMABUF_DETACH, &b->fd);
		if (s->iio_buf >= 0)
			ioctl(s->iio_buf, IIO_BUFFER_DMABUF_DETACH_IOCTL, &b->fd);
		if (b->map)
			munmap(b->map, cfg.size);
		close(b->fd);
		b->fd = -1;
	}
	if (s->iio_buf >= 0)
		close(s->iio_buf);
	if (s->iio_dev >= 0)
		close(s->iio_dev);
	s->iio_buf = s->iio_dev = -1;
}

/* DMABUFs attached to the IIO buffer (and, for the pair, to FunctionFS). */
static void iio_dmabuf_setup(struct stream *s)
{
	int idx = 0;

	if (ioctl(s->iio_dev, IIO_BUFFER_GET_FD_IOCTL, &idx) < 0)
		die("IIO_BUFFER_GET_FD_IOCTL: %s", strerror(errno));
	s->iio_buf = idx;
	for (unsigned int i = 0; i < cfg.inflight; i++) {
		struct buf *b = &s->bufs[i];

		b->fd = iub_dmabuf_alloc(cfg.buf_src, cfg.size);
		if (b->fd < 0)
			die("%s: %zu bytes: %s", iub_dmabuf_src_name(cfg.buf_src),
			    cfg.size, strerror(-b->fd));
		if (cfg.path == P_MIXED) {
			b->map = mmap(NULL, cfg.size, PROT_READ, MAP_SHARED, b->fd, 0);
			if (b->map == MAP_FAILED)
				die("mmap: %s", strerror(errno));
		}
		if (ioctl(s->iio_buf, IIO_BUFFER_DMABUF_ATTACH_IOCTL, &b->fd))
			die("IIO_BUFFER_DMABUF_ATTACH: %s", strerror(errno));
		if (cfg.path == P_PAIR &&
		    ioctl(s->ep, FUNCTIONFS_DMABUF_ATTACH, &b->fd)) {
			snprintf(refused, sizeof(refused),
				 "FUNCTIONFS_DMABUF_ATTACH: %s (%s)%s",
				 strerrorname_np(errno), strerror(errno),
				 errno == EPERM ? ": the UDC has no sg_supported" : "");
			return;
		}
	}
	if (iio_attr(s->iio_dir, "buffer0/enable", 1))
		die("enable the IIO buffer: %s", strerror(errno));
}

static int iio_enqueue(struct stream *s, struct buf *b)
{
	struct iio_dmabuf req = { .fd = (__u32)b->fd, .bytes_used = cfg.size };

	if (x_ioctl(s->iio_buf, IIO_BUFFER_DMABUF_ENQUEUE_IOCTL, &req))
		return -errno;
	b->state = B_ADC;
	submitted(s);
	return 0;
}

/* ---- the paths ------------------------------------------------------------------ */

/* copy: read() a buffer from the IIO fileio interface, write() it out. */
static void *run_copy(void *arg)
{
	struct stream *s = arg;

	if (iio_attr(s->iio_dir, "buffer0/enable", 1)) {
		stream_fail(s, errno, "enable the IIO buffer");
		return NULL;
	}
	while (keep_going(s)) {
		size_t fill = 0;
		ssize_t n;
		int ret;

		while (fill < cfg.size) {
			n = x_read(s->iio_dev, (char *)s->cbuf + fill, cfg.size - fill);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				stream_fail(s, errno, "read() from the IIO buffer");
				return NULL;
			}
			fill += (size_t)n;
		}
		submitted(s);
		ret = ffs_write_all(s, s->cbuf, cfg.size);
		if (ret) {
			stream_fail(s, -ret, "write() to FunctionFS");
			return NULL;
		}
		completed(s, cfg.size);
	}
	return NULL;
}

/*
 * pair: N DMABUFs cycle through the ADC (IIO enqueue) and USB (FunctionFS
 * DMABUF transfer). Both complete in order; one poll() waits for whichever
 * comes first: the oldest ADC buffer filled (POLLIN: its write fence) or
 * the oldest USB buffer sent (POLLOUT: every fence).
 */
static void *run_pair(void *arg)
{
	struct stream *s = arg;
	unsigned int a = 0, u = 0, n = cfg.inflight, i;

	for (i = 0; i < n; i++)
		if (iio_enqueue(s, &s->bufs[i])) {
			stream_fail(s, errno, "IIO_BUFFER_DMABUF_ENQUEUE");
			return NULL;
		}
	for (;;) {
		struct buf *ba = &s->bufs[a], *bu = &s->bufs[u];
		struct pollfd pf[2];
		int np = 0, ia = -1, iu = -1;

		if (ba->state == B_ADC) {
			ia = np;
			pf[np++] = (struct pollfd){ .fd = ba->fd, .events = POLLIN };
		}
		if (bu->state == B_USB) {
			iu = np;
			pf[np++] = (struct pollfd){ .fd = bu->fd, .events = POLLOUT };
		}
		if (!np)
			break;
		if (x_poll(pf, np, 10000) <= 0) {
			stream_fail(s, errno ? errno : ETIMEDOUT, "poll() on the DMABUFs");
			break;
		}
		if (ia >= 0 && (pf[ia].revents & POLLIN)) {
			struct usb_ffs_dmabuf_transfer_req r = {
				.fd = ba->fd, .length = cfg.size,
			};

			if (x_ioctl(s->ep, FUNCTIONFS_DMABUF_TRANSFER, &r)) {
				stream_fail(s, errno, "FUNCTIONFS_DMABUF_TRANSFER");
				break;
			}
			ba->state = B_USB;
			a = (a + 1) % n;
		}
		if (iu >= 0 && (pf[iu].revents & POLLOUT)) {
			completed(s, cfg.size);
			bu->state = B_IDLE;
			if (keep_going(s) && iio_enqueue(s, bu)) {
				stream_fail(s, errno, "IIO_BUFFER_DMABUF_ENQUEUE");
				break;
			}
			u = (u + 1) % n;
		}
	}
	return NULL;
}

/*
 * mixed: N DMABUFs in the ADC; the oldest one is written out with write()
 * from its CPU mapping, between DMA_BUF_IOCTL_SYNC START (which waits for
 * the ADC's fence) and END, and goes back to the ADC.
 *
 * When the kernel bounces every mapping (swiotlb=force in /proc/cmdline,
 * the bounced lane), the wait is poll(POLLIN) on the DMABUF instead:
 * udmabuf's CPU-access sync copies its own (stale) bounce buffer over the
 * pages there (upstream, 6.12), so the data written out would be
 * udmabuf's doing, not the path's. What reaches the host then is what the
 * IIO DMABUF path left in memory (it never syncs its mapping for the CPU:
 * the row shows how much of it is wrong).
 */
static void *run_mixed(void *arg)
{
	struct stream *s = arg;
	unsigned int n = cfg.inflight, i;

	for (i = 0; i < n; i++)
		if (iio_enqueue(s, &s->bufs[i])) {
			stream_fail(s, errno, "IIO_BUFFER_DMABUF_ENQUEUE");
			return NULL;
		}
	for (i = 0;; i = (i + 1) % n) {
		struct buf *b = &s->bufs[i];
		struct dma_buf_sync sync = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
		int ret;

		if (b->state != B_ADC)
			break;
		if (iub_dma_bounced()) {
			struct pollfd pf = { .fd = b->fd, .events = POLLIN };

			if (x_poll(&pf, 1, 10000) != 1) {
				stream_fail(s, errno ? errno : ETIMEDOUT,
					    "poll() on the DMABUF");
				break;
			}
		} else if (x_ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &sync)) {
			stream_fail(s, errno, "DMA_BUF_IOCTL_SYNC");
			break;
		}
		ret = ffs_write_all(s, b->map, cfg.size);
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
		if (!iub_dma_bounced())
			x_ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &sync);
		if (ret) {
			stream_fail(s, -ret, "write() to FunctionFS");
			break;
		}
		completed(s, cfg.size);
		b->state = B_IDLE;
		if (keep_going(s) && iio_enqueue(s, b)) {
			stream_fail(s, errno, "IIO_BUFFER_DMABUF_ENQUEUE");
			break;
		}
	}
	return NULL;
}

/* ---- the bridge ------------------------------------------------------------------ */

static int bridge_fd = -1;

static int port_find(const char *name, struct iub_port_info *out)
{
	static struct iub_port_info p[256];
	struct iub_query q = { .data = (__u64)(uintptr_t)p, .size = sizeof(p) };
	int n = ioctl(bridge_fd, IUB_IOC_GET_PORTS, &q);

	for (int i = 0; i < n && i < 256; i++)
		if (!strcmp(p[i].name, name)) {
			*out = p[i];
			return p[i].id;
		}
	return -1;
}

static void bridge_setup(void)
{
	char name[64];
	double until;

	bridge_fd = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (bridge_fd < 0)
		die("%s: %s", IUB_DEVICE_PATH, strerror(errno));
	for (unsigned int k = 0; k < cfg.streams; k++) {
		struct stream *s = &streams[k];
		struct iub_port_info info;
		struct iub_port_claim c = { 0 };

		snprintf(name, sizeof(name), "iub-sim-adc.%u:rx", k);
		s->from = port_find(name, &info);
		c.port = (__u16)s->from;
		if (s->from < 0 || ioctl(bridge_fd, IUB_IOC_PORT_CLAIM, &c))
			die("port %s: %s", name, s->from < 0 ? "none" : strerror(errno));
		if (cfg.path == P_CAPTURE)
			goto buffers;
		snprintf(name, sizeof(name), "usb0:in%u", k);
		/* the host configures the gadget: the port comes online */
		for (until = now() + 20;; usleep(50000)) {
			s->to = port_find(name, &info);
			if (s->to >= 0 && (info.flags & IUB_PORT_F_ONLINE))
				break;
			if (now() > until)
				die("port %s never came online", name);
		}
		c.port = (__u16)s->to;
		if (ioctl(bridge_fd, IUB_IOC_PORT_CLAIM, &c))
			die("claim %s: %s", name, strerror(errno));
buffers:
		for (unsigned int i = 0; i < cfg.inflight; i++) {
			struct buf *b = &s->bufs[i];
			struct iub_buf_attach a = { 0 };

			b->fd = iub_dmabuf_alloc(cfg.buf_src, cfg.size);
			if (b->fd < 0)
				die("%s: %zu bytes: %s", iub_dmabuf_src_name(cfg.buf_src),
				    cfg.size, strerror(-b->fd));
			a.fd = b->fd;
			b->handle = ioctl(bridge_fd, IUB_IOC_BUF_ATTACH, &a);
			if (b->handle < 0)
				die("IUB_IOC_BUF_ATTACH: %s", strerror(errno));
		}
	}
}

static void bridge_teardown(void)
{
	for (unsigned int k = 0; k < cfg.streams; k++)
		for (unsigned int i = 0; i < cfg.inflight; i++)
			if (streams[k].bufs[i].fd >= 0) {
				close(streams[k].bufs[i].fd);
				streams[k].bufs[i].fd = -1;
			}
	if (bridge_fd >= 0)
		close(bridge_fd);	/* releases ports and buffers */
	bridge_fd = -1;
}

/* A route of buffer @i of @s (capture: a transfer from the ADC only). */
static void bridge_prep(struct io_uring *ring, struct stream *s, unsigned int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (cfg.path == P_CAPTURE)
		iub_prep_transfer(sqe, bridge_fd, (__u16)s->bufs[i].handle,
				  (__u16)s->from, 0, (__u32)cfg.size, 0);
	else
		iub_prep_route(sqe, bridge_fd, (__u16)s->bufs[i].handle,
			       (__u16)s->from, (__u16)s->to, 0,
			       (__u32)cfg.size, 0);
	sqe->user_data = (__u64)s->idx << 16 | i;
	submitted(s);
}

/* One ring for all streams: a route per buffer, resubmitted as it completes. */
static void run_bridge(void)
{
	unsigned int inflight = 0, k, i;
	struct io_uring ring;

	if (io_uring_queue_init(4 * MAX_INFLIGHT * MAX_STREAMS, &ring, IORING_SETUP_CQE32))
		die("io_uring_queue_init");
	for (k = 0; k < cfg.streams; k++)
		for (i = 0; i < cfg.inflight; i++) {
			bridge_prep(&ring, &streams[k], i);
			inflight++;
		}
	while (inflight) {
		struct io_uring_cqe *cqe;

		count(SC_URING);
		if (io_uring_submit_and_wait(&ring, 1) < 0 && errno != EINTR)
			break;
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			struct stream *s = &streams[cqe->user_data >> 16];
			unsigned int b = cqe->user_data & 0xffff;
			int res = cqe->res;

			io_uring_cqe_seen(&ring, cqe);
			inflight--;
			if (res < 0) {
				stream_fail(s, -res, "route");
				continue;
			}
			completed(s, (uint64_t)res);
			if (!keep_going(s))
				continue;
			bridge_prep(&ring, s, b);
			inflight++;
		}
		for (k = 0; k < cfg.streams; k++)
			if (streams[k].err && inflight) {
				struct iub_port_claim c = { .port = (__u16)streams[k].from };

				ioctl(bridge_fd, IUB_IOC_PORT_CANCEL, &c);
				c.port = (__u16)streams[k].to;
				if (cfg.path != P_CAPTURE)
					ioctl(bridge_fd, IUB_IOC_PORT_CANCEL, &c);
			}
	}
	io_uring_queue_exit(&ring);
}

/* The byte counter of port @id (one ioctl). */
static uint64_t port_bytes(int id)
{
	static struct iub_port_info p[256];
	struct iub_query q = { .data = (__u64)(uintptr_t)p, .size = sizeof(p) };
	int n = x_ioctl(bridge_fd, IUB_IOC_GET_PORTS, &q);

	for (int i = 0; i < n && i < 256; i++)
		if ((int)p[i].id == id)
			return p[i].bytes;
	return 0;
}

/*
 * The bridge with one IUB_IOC_STREAM per stream over all its buffers: the
 * kernel recycles them. The TO port's counter, polled until the first
 * bytes went out, starts the measurement window; then one wait for the
 * run's length, a drain (IUB_CANCEL_DRAIN: the buffers in flight go out
 * whole) and the CQEs, whose 32-byte half holds the bytes sent; then, to
 * end on the whole MiB the host side reads, a short bounded stream. A
 * handful of system calls per run.
 */
static void run_stream(void)
{
	static struct {
		struct iub_stream s;
		struct iub_stream_range r[MAX_INFLIGHT];
	} d[MAX_STREAMS];
	uint64_t base[MAX_STREAMS];
	unsigned int k, left = cfg.streams;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	double until;

	if (io_uring_queue_init(8, &ring, IORING_SETUP_CQE32))
		die("io_uring_queue_init");
	for (k = 0; k < cfg.streams; k++) {
		struct stream *s = &streams[k];
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		memset(&d[k], 0, sizeof(d[k]));
		d[k].s.from = (__u16)s->from;
		d[k].s.to = (__u16)s->to;
		d[k].s.nr_ranges = (__u16)cfg.inflight;
		for (unsigned int i = 0; i < cfg.inflight; i++) {
			d[k].r[i].handle = (__u16)s->bufs[i].handle;
			d[k].r[i].length = (__u32)cfg.size;
		}
		base[k] = port_bytes(s->to);
		iub_prep_stream(sqe, bridge_fd, &d[k].s);
		sqe->user_data = k;
		s->nsub = 1;
	}
	count(SC_URING);
	if (io_uring_submit(&ring) != (int)cfg.streams)
		die("io_uring_submit");
	/* the window opens when the first bytes went out (the routes' CQEs would) */
	for (until = now() + 20; now() < until && !interrupted; usleep(5000)) {
		bool all = true;

		for (k = 0; k < cfg.streams; k++) {
			struct stream *s = &streams[k];
			uint64_t b;

			if (s->first)
				continue;
			b = port_bytes(s->to) - base[k];
			if (b) {
				s->first = now();
				s->at_first = b;
			} else {
				all = false;
			}
		}
		if (all)
			break;
	}
	while (left && !interrupted && !overrun) {
		double rest = t_start + cfg.seconds - now();
		struct __kernel_timespec ts;

		/* --rate: a drop ends the run early; look every 50 ms */
		if (cfg.rate && rest > 0.05)
			rest = 0.05;
		ts = (struct __kernel_timespec){
			.tv_sec = rest > 0 ? (long long)rest : 0,
			.tv_nsec = rest > 0 ? (long)((rest - (long long)rest) * 1e9) : 0,
		};

		count(SC_URING);
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) == 0) {
			struct stream *s = &streams[cqe->user_data];

			/* before the drain: it failed */
			stream_fail(s, cqe->res < 0 ? -cqe->res : EIO, "stream");
			s->done = cqe->big_cqe[0];
			s->last = now();
			io_uring_cqe_seen(&ring, cqe);
			left--;
			continue;
		}
		if (cfg.rate && now() < t_start + cfg.seconds)
			continue;
		break;
	}
	for (k = 0; k < cfg.streams; k++) {
		struct iub_port_claim c = { .port = (__u32)streams[k].from,
					    .flags = IUB_CANCEL_DRAIN };

		if (x_ioctl(bridge_fd, IUB_IOC_PORT_CANCEL, &c) < 0)
			stream_fail(&streams[k], errno, "drain");
	}
	while (left) {
		struct __kernel_timespec ts = { .tv_sec = 20 };
		struct stream *s;

		count(SC_URING);
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts))
			break;	/* the ring's exit cancels what is left */
		s = &streams[cqe->user_data];
		if (cqe->res < 0)
			stream_fail(s, -cqe->res, "stream");
		s->done += cqe->big_cqe[0];
		s->submitted = s->done;
		s->last = now();
		io_uring_cqe_seen(&ring, cqe);
		left--;
		/*
		 * The host side reads 1 MiB transfers: end on a whole MiB,
		 * with a stream of what is missing (the converter's stream
		 * goes on where the drained one stopped).
		 */
		if (!s->err && s->done % MIB) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			d[s->idx].s.bytes = MIB - s->done % MIB;
			iub_prep_stream(sqe, bridge_fd, &d[s->idx].s);
			sqe->user_data = (__u64)s->idx;
			count(SC_URING);
			if (io_uring_submit(&ring) != 1)
				stream_fail(s, EIO, "io_uring_submit");
			else
				left++;
		}
	}
	io_uring_queue_exit(&ring);
}

/* ---- the real-time ADC (--rate) ------------------------------------------------- */

static pthread_t rt_thr;
static volatile int rt_done;	/* the measurement ended */
static double rt_lost_at;	/* seconds into the hold of the first drop seen */

static int sim_knob_path(char *p, size_t size, int chan, const char *knob)
{
	return snprintf(p, size, SIM_DEBUGFS "/chan%d/%s", chan, knob);
}

static long long sim_get(int chan, const char *knob)
{
	char p[128];

	sim_knob_path(p, sizeof(p), chan, knob);
	return read_num(p);
}

static int sim_set(int chan, const char *knob, long long v)
{
	char p[128];

	sim_knob_path(p, sizeof(p), chan, knob);
	return write_num(p, v);
}

/* The simulated channel of converter @dev's "rx" (debugfs map), or -1. */
static int sim_chan_of(const char *dev)
{
	char line[256], d[128], slave[64];
	FILE *f = fopen(SIM_DEBUGFS "/map", "re");
	int chan = -1, c;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "chan%d %127s %63s", &c, d, slave) == 3 &&
		    !strcmp(d, dev) && !strcmp(slave, "rx")) {
			chan = c;
			break;
		}
	fclose(f);
	return chan;
}

/* Every exit: the channels back to their default mode and full speed. */
static void rt_restore(void)
{
	for (unsigned int k = 0; k < cfg.streams; k++) {
		if (streams[k].chan < 0)
			continue;
		sim_set(streams[k].chan, "realtime", 0);
		sim_set(streams[k].chan, "rate", 0);
	}
}

/* The gap counters of the bridge's port @id. */
static void port_gaps(int id, uint64_t *gaps, uint64_t *gap_ns)
{
	static struct iub_port_info p[256];
	struct iub_query q = { .data = (__u64)(uintptr_t)p, .size = sizeof(p) };
	int n = ioctl(bridge_fd, IUB_IOC_GET_PORTS, &q);

	*gaps = *gap_ns = 0;
	for (int i = 0; i < n && i < 256; i++)
		if ((int)p[i].id == id) {
			*gaps = p[i].gaps;
			*gap_ns = p[i].gap_ns;
		}
}

static bool bridge_path(void)
{
	return cfg.path == P_BRIDGE || cfg.path == P_STREAM || cfg.path == P_CAPTURE;
}

/*
 * Before the measurement: each stream's ADC channel in real-time mode at
 * cfg.rate. The converter starts with the first buffer queued after this.
 */
static void rt_setup(void)
{
	char dev[64];
	long long d;

	atexit(rt_restore);
	for (unsigned int k = 0; k < cfg.streams; k++) {
		struct stream *s = &streams[k];

		snprintf(dev, sizeof(dev), bridge_path() ? "iub-sim-adc.%u" :
			 "iub-sim-adc-dmabuf.%u", k);
		s->chan = sim_chan_of(dev);
		if (s->chan < 0)
			die("--rate: no simulated channel of %s in " SIM_DEBUGFS "/map", dev);
		if (sim_set(s->chan, "realtime", 0) ||
		    sim_set(s->chan, "rate", (long long)cfg.rate) ||
		    sim_set(s->chan, "realtime", 1))
			die("--rate: chan%d: %s", s->chan, strerror(errno));
		d = sim_get(s->chan, "dropped_bytes");
		if (d < 0)
			die("--rate: chan%d: no dropped_bytes", s->chan);
		s->dropped0 = (uint64_t)d;
		if (bridge_path())
			port_gaps(s->from, &s->gaps0, &s->gap_ns0);
	}
}

/*
 * The hold: from t_start for cfg.seconds, or until the first drop. Then
 * what was dropped (reading it counts a drop still going on), and the
 * channels wait for their buffers again: the rest of the run (to its
 * whole MiB) loses nothing and belongs to no hold.
 */
static void *rt_watch(void *arg)
{
	double end = t_start + cfg.seconds, t;
	unsigned int k;

	(void)arg;
	while (!rt_done && !overrun && (t = now()) < end) {
		for (k = 0; k < cfg.streams; k++) {
			long long d = sim_get(streams[k].chan, "dropped_bytes");

			if (d >= 0 && (uint64_t)d > streams[k].dropped0) {
				rt_lost_at = t - t_start;
				overrun = 1;
			}
		}
		t = end - now();
		if (!overrun && t > 0)
			usleep(t < 0.05 ? (useconds_t)(t * 1e6) + 1 : 50000);
	}
	for (k = 0; k < cfg.streams; k++) {
		struct stream *s = &streams[k];

		long long d = sim_get(s->chan, "dropped_bytes");

		if (d < 0)
			stream_fail(s, EIO, "--rate: dropped_bytes");
		else
			s->dropped = (uint64_t)d - s->dropped0;
		sim_set(s->chan, "realtime", 0);
	}
	return NULL;
}

/* After the measurement: the hold's end (if the run ended first), the gaps. */
static void rt_finish(void)
{
	rt_done = 1;
	pthread_join(rt_thr, NULL);
	for (unsigned int k = 0; k < cfg.streams; k++) {
		struct stream *s = &streams[k];

		if (!bridge_path())
			continue;
		port_gaps(s->from, &s->gaps, &s->gap_ns);
		s->gaps -= s->gaps0;
		s->gap_ns -= s->gap_ns0;
	}
}

/* ---- the host side ---------------------------------------------------------------- */

static pid_t recv_pid = -1;
static int recv_in = -1;
static FILE *recv_out;

/*
 * Start iub-bench-recv in the host's root and wait until it is ready. It
 * checks every word on every path, f_sourcesink's too (whose data is not
 * the stream: that result is ignored), so that the host side costs the
 * same per byte whatever the device side does.
 */
static void recv_start(size_t size)
{
	int in[2], out[2];
	char k[16], sz[32], limit[32];
	char line[256];

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		die("pipe");
	snprintf(k, sizeof(k), "%u", cfg.streams);
	snprintf(sz, sizeof(sz), "%zu", size);
	/* a safety net: the device side says when to stop */
	snprintf(limit, sizeof(limit), "%.0f", 10 * cfg.seconds + 120);
	recv_pid = fork();
	if (recv_pid < 0)
		die("fork");
	if (!recv_pid) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		if (chroot("/host") || chdir("/"))
			_exit(3);
		setenv("TMPDIR", "/run", 1);
		execl(cfg.recv, cfg.recv, "--streams", k, "--size", sz,
		      "--queue", "8", "--seconds", limit, (char *)NULL);
		_exit(3);
	}
	close(in[0]);
	close(out[1]);
	recv_in = in[1];
	recv_out = fdopen(out[0], "r");
	if (!recv_out || !fgets(line, sizeof(line), recv_out) || strncmp(line, "ready", 5))
		die("the host-side receiver %s did not start", cfg.recv);
}

struct recv_result {
	uint64_t bytes, mismatches, after_first;
	double first, last, user, sys;
	bool ok, verified;
	int nstreams;
	char status[200];
	char detail[200];	/* the first mismatch */
};

static void recv_finish(const char *targets, struct recv_result *r)
{
	char line[512];

	memset(r, 0, sizeof(*r));
	r->verified = true;
	if (write(recv_in, targets, strlen(targets)) < 0)
		fprintf(stderr, "iub-bench: receiver: %s\n", strerror(errno));
	close(recv_in);
	while (fgets(line, sizeof(line), recv_out)) {
		unsigned long long b, m, af;
		double f, l, u, s;
		int v, zc;
		char status[200];

		if (!strncmp(line, "mismatch ", 9) && !r->detail[0]) {
			snprintf(r->detail, sizeof(r->detail), "%.150s", line + 9);
			r->detail[strcspn(r->detail, "\n")] = 0;
		} else if (sscanf(line, "stream %*u ep=%*x bytes=%llu mismatches=%llu verified=%d first=%lf last=%lf after_first=%llu",
			   &b, &m, &v, &f, &l, &af) == 6) {
			r->bytes += b;
			r->mismatches += m;
			r->after_first += af;
			if (v != 1)
				r->verified = false;
			if (f && (!r->first || f < r->first))
				r->first = f;
			if (l > r->last)
				r->last = l;
			r->nstreams++;
		} else if (sscanf(line, "host user=%lf sys=%lf zero_copy=%d status=%199[^\n]",
				  &u, &s, &zc, status) == 4) {
			r->user = u;
			r->sys = s;
			snprintf(r->status, sizeof(r->status), "%s", status);
			r->ok = !strcmp(status, "ok");
			break;	/* the last line */
		}
	}
}

/* After the measurement window: the receiver's exit (libusb teardown). */
static void recv_reap(struct recv_result *r)
{
	int st;

	fclose(recv_out);
	waitpid(recv_pid, &st, 0);
	if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 1))
		r->ok = false;
}

/* "enable" or "disable" a perf record --control session; waits for its ack. */
static void perf_ctl(const char *cmd)
{
	char ctl[256], *ack, buf[16];
	int fd;

	if (!cfg.perf_ctl)
		return;
	snprintf(ctl, sizeof(ctl), "%s", cfg.perf_ctl);
	ack = strchr(ctl, ',');
	if (ack)
		*ack++ = 0;
	fd = open(ctl, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, cmd, strlen(cmd)) < 0)
		fprintf(stderr, "iub-bench: perf control %s: %s\n", ctl, strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = ack ? open(ack, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			fprintf(stderr, "iub-bench: perf ack: %s\n", strerror(errno));
		close(fd);
	}
}

/* ---- the report ----------------------------------------------------------------- */

static void json_str(const char *key, const char *v)
{
	printf(",\"%s\":", key);
	if (!v) {
		printf("null");
		return;
	}
	putchar('"');
	for (; *v; v++)
		if (*v == '"' || *v == '\\')
			printf("\\%c", *v);
		else if ((unsigned char)*v >= 0x20)
			putchar(*v);
	putchar('"');
}

/* lane: "bounced" when every DMA mapping goes through swiotlb, else "coherent" */
static void report_head(const char *status)
{
	printf("{\"udc\":\"%s\",\"path\":\"%s\",\"size\":%zu,\"inflight\":%u,\"streams\":%u,\"buffer\":\"%s\",\"status\":\"%s\",\"lane\":\"%s\"",
	       cfg.path == P_CAPTURE ? "none" : cfg.sg ? "sg" : "dummy",
	       path_names[cfg.path], cfg.size,
	       cfg.inflight, cfg.streams, buf_names[cfg.buf_src], status,
	       iub_dma_bounced() ? "bounced" : "coherent");
}

/*
 * --rate: the trial's figures. "kept": the share of the rate that arrived
 * (the throughput after the first buffer, over the rate): a converter
 * faster than the simulated engine can fill buffers loses nothing, it
 * falls behind; that is no rate held either.
 */
static void report_rate(const char *error, int verified, double mibps)
{
	uint64_t dropped = 0, gaps = 0, gap_ns = 0;
	double kept = mibps * MIB / (double)cfg.rate;
	char chans[64] = "";
	bool held;

	for (unsigned int k = 0; k < cfg.streams; k++) {
		dropped += streams[k].dropped;
		gaps += streams[k].gaps;
		gap_ns += streams[k].gap_ns;
		snprintf(chans + strlen(chans), sizeof(chans) - strlen(chans),
			 "%schan%d", k ? "," : "", streams[k].chan);
	}
	held = !error && verified != 0 && !dropped && !gaps && kept >= RATE_KEPT;
	printf(",\"rate\":%" PRIu64 ",\"hold\":%.3f", cfg.rate, cfg.seconds);
	json_str("rt_chans", chans);
	printf(",\"dropped\":%" PRIu64, dropped);
	if (overrun)
		printf(",\"dropped_at\":%.3f", rt_lost_at);
	if (bridge_path())
		printf(",\"gaps\":%" PRIu64 ",\"gap_ns\":%" PRIu64, gaps, gap_ns);
	else
		printf(",\"gaps\":null");
	printf(",\"kept\":%.3f,\"held\":%s", kept, held ? "true" : "false");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "udc", required_argument, NULL, 'u' },
		{ "size", required_argument, NULL, 'b' },
		{ "inflight", required_argument, NULL, 'n' },
		{ "streams", required_argument, NULL, 'k' },
		{ "seconds", required_argument, NULL, 't' },
		{ "min-buffers", required_argument, NULL, 'm' },
		{ "recv", required_argument, NULL, 'r' },
		{ "perf-ctl", required_argument, NULL, 'P' },
		{ "wait-tracer", required_argument, NULL, 'D' },
		{ "buffer", required_argument, NULL, 'B' },
		{ "rate", required_argument, NULL, 'R' },
		{ }
	};
	struct cpu_snap *c0 = calloc(1, sizeof(*c0)), *c1 = calloc(1, sizeof(*c1));
	uint64_t bytes = 0, after_first = 0, fix_bytes = 0, fix_bad = 0, fix_err = 0;
	uint64_t premapped = 0;
	double first = 0, last = 0, t_end, mibps, window;
	struct recv_result rr = { 0 };
	const char *check = "none", *error = NULL;
	char targets[128] = "", fix_names[64] = "", detail[256] = "";
	int verified = -1;	/* -1: not checked (f_sourcesink's pattern) */
	uint64_t size;
	unsigned int k;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			for (k = 0; k < P_NR && strcmp(optarg, path_names[k]); k++)
				;
			if (k == P_NR)
				die("unknown path %s", optarg);
			cfg.path = k;
			break;
		case 'u': cfg.sg = !strcmp(optarg, "sg"); break;
		case 'b':
			if (iub_parse_size(optarg, &size))
				die("--size: '%s' is not a size (4K, 1MiB, 0x100000)", optarg);
			cfg.size = size;
			break;
		case 'n': cfg.inflight = strtoul(optarg, NULL, 0); break;
		case 'k': cfg.streams = strtoul(optarg, NULL, 0); break;
		case 't': cfg.seconds = strtod(optarg, NULL); break;
		case 'm': cfg.min_bufs = strtoul(optarg, NULL, 0); break;
		case 'r': cfg.recv = optarg; break;
		case 'P': cfg.perf_ctl = optarg; break;
		case 'D': cfg.delay = strtod(optarg, NULL); break;
		case 'B':
			for (k = 0; k < sizeof(buf_names) / sizeof(buf_names[0]) &&
			     strcmp(optarg, buf_names[k]); k++)
				;
			if (k == sizeof(buf_names) / sizeof(buf_names[0]))
				die("--buffer: udmabuf, hugetlb or heap, not %s", optarg);
			cfg.buf_src = k;
			break;
		case 'R':
			if (iub_parse_size(optarg, &size) || !size || size > SIM_MAX_RATE)
				die("--rate: bytes per second, 1 to %llu, not '%s'",
				    SIM_MAX_RATE, optarg);
			cfg.rate = size;
			break;
		default: return 2;
		}
	}
	/* 6.12's udmabuf vmaps hugetlb folios wrong: no CPU path (dummy_hcd) */
	if (cfg.buf_src == IUB_DMABUF_HUGETLB && !cfg.sg)
		die("--buffer hugetlb needs --udc sg: the kernel's mapping of such a udmabuf is wrong on 6.12");
	if (cfg.rate && cfg.path == P_SOURCESINK)
		die("--rate: f_sourcesink has no ADC");
	if (!c0 || !c1 || cfg.size < 4096 || cfg.size > 256 * MIB ||
	    (cfg.size & (cfg.size - 1)) || !cfg.inflight ||
	    cfg.inflight > MAX_INFLIGHT || !cfg.streams ||
	    cfg.streams > MAX_STREAMS ||
	    (!cfg.sg && !cfg.recv && cfg.path != P_CAPTURE)) {
		fprintf(stderr, "usage: iub-bench --path copy|pair|mixed|bridge|sourcesink|capture|stream --udc dummy|sg [--size POWER_OF_2] [--inflight 1-32] [--streams 1-2] [--seconds S] [--min-buffers N] [--buffer udmabuf|hugetlb|heap] [--rate BYTES_PER_S] --recv PATH (dummy)\n");
		return 2;
	}
	/* 0: enough buffers for the pipeline's fill and drain to be small */
	if (!cfg.min_bufs)
		cfg.min_bufs = cfg.path == P_COPY ? 4 :
			       2 * cfg.inflight > 4 ? 2 * cfg.inflight : 4;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	for (k = 0; k < MAX_STREAMS; k++) {
		streams[k].idx = (int)k;
		streams[k].ep = streams[k].iio_dev = streams[k].iio_buf = -1;
		streams[k].chan = -1;
		for (unsigned int i = 0; i < MAX_INFLIGHT; i++)
			streams[k].bufs[i].fd = -1;
	}

	/* ---- setup ---- */
	switch (cfg.path) {
	case P_COPY:
	case P_PAIR:
	case P_MIXED:
		ffs_setup(cfg.sg ? "iub-sim-udc.0" : "dummy_udc.0");
		for (k = 0; k < cfg.streams; k++) {
			struct stream *s = &streams[k];

			iio_setup(s);
			if (cfg.path == P_COPY) {
				s->cbuf = aligned_alloc(4096, cfg.size);
				if (!s->cbuf)
					die("out of memory");
				memset(s->cbuf, 0, cfg.size);
			} else {
				iio_dmabuf_setup(s);
			}
		}
		break;
	case P_BRIDGE:
	case P_CAPTURE:
	case P_STREAM:
		bridge_setup();
		break;
	case P_SOURCESINK:
	case P_NR:
		break;
	}
	if (refused[0]) {
		for (k = 0; k < cfg.streams; k++)
			iio_teardown(&streams[k]);
		ffs_teardown();
		report_head("refused");
		json_str("error", refused);
		printf("}\n");
		return 0;
	}
	if (cfg.path == P_CAPTURE) {
		/* no USB */
	} else if (cfg.sg) {
		for (double until = now() + 20; fix_state_num("configured") != 1; usleep(50000))
			if (now() > until)
				die("the simulated UDC's host never configured the gadget");
		for (k = 0; k < cfg.streams; k++) {
			if (fix_enabled_in((int)k, streams[k].fix, sizeof(streams[k].fix)))
				die("the fixture has no IN endpoint %u enabled", k);
			fix_ep_set(streams[k].fix, "reset", 1);
			snprintf(fix_names + strlen(fix_names), sizeof(fix_names) - strlen(fix_names),
				 "%s%s", k ? "," : "", streams[k].fix);
		}
	} else {
		/* the host side keeps 8 transfers of 1 MiB per endpoint in
		 * flight, whatever the path (streams end on a whole MiB) */
		recv_start(MIB);
	}

	/* ---- the measurement ---- */
	for (double until = now() + cfg.delay; now() < until; usleep(10000)) {
		char st[2048], *tp;

		if (!read_str("/proc/self/status", st, sizeof(st)) &&
		    (tp = strstr(st, "TracerPid:")) && atoi(tp + 10) > 0) {
			usleep(200000);
			break;
		}
	}
	if (cfg.rate)
		rt_setup();
	perf_ctl("enable\n");
	cpu_snap_take(c0);
	t_start = now();
	if (cfg.rate && pthread_create(&rt_thr, NULL, rt_watch, NULL))
		die("pthread_create");
	counting = 1;
	switch (cfg.path) {
	case P_COPY:
	case P_PAIR:
	case P_MIXED:
		for (k = 0; k < cfg.streams; k++)
			pthread_create(&streams[k].thr, NULL,
				       cfg.path == P_COPY ? run_copy :
				       cfg.path == P_PAIR ? run_pair : run_mixed,
				       &streams[k]);
		for (k = 0; k < cfg.streams; k++)
			pthread_join(streams[k].thr, NULL);
		break;
	case P_BRIDGE:
	case P_CAPTURE:
		run_bridge();
		break;
	case P_STREAM:
		run_stream();
		break;
	case P_SOURCESINK:
	case P_NR:
		while (!interrupted && now() - t_start < cfg.seconds)
			usleep(20000);
		break;
	}
	counting = 0;
	if (cfg.rate)
		rt_finish();
	for (k = 0; k < cfg.streams; k++) {
		struct stream *s = &streams[k];

		if (s->err && !error)
			error = s->errmsg;
		bytes += s->done;
		after_first += s->done - s->at_first;
		if (s->first && (!first || s->first < first))
			first = s->first;
		if (s->last > last)
			last = s->last;
		snprintf(targets + strlen(targets), sizeof(targets) - strlen(targets),
			 "%s%" PRIu64, k ? " " : "", s->done);
	}
	strcat(targets, "\n");
	if (cfg.path == P_CAPTURE) {
		/* nothing checks the data */
	} else if (!cfg.sg) {
		/* after a failure, what reached the host is all there is */
		recv_finish(cfg.path == P_SOURCESINK || error ? "stop\n" : targets, &rr);
		check = "host";
		if (cfg.path == P_SOURCESINK) {
			bytes = rr.bytes;
		} else {
			verified = rr.ok && rr.verified && !rr.mismatches &&
				   rr.bytes == bytes && !error;
		}
		if (!rr.ok && !error)
			error = rr.status;
		/* throughput as the host saw it */
		first = rr.first;
		last = rr.last;
		after_first = rr.after_first;
	} else {
		/* the fixture completed every request before we saw it end */
		for (k = 0; k < cfg.streams; k++) {
			fix_bytes += (uint64_t)fix_ep_get(streams[k].fix, "bytes");
			fix_bad += (uint64_t)fix_ep_get(streams[k].fix, "mismatches");
			fix_err += (uint64_t)fix_ep_get(streams[k].fix, "errors");
			premapped += (uint64_t)fix_ep_get(streams[k].fix, "premapped");
			if (fix_ep_get(streams[k].fix, "mismatches") > 0 && !detail[0])
				fix_first_mismatch(streams[k].fix, detail, sizeof(detail));
		}
		if (cfg.path == P_SOURCESINK) {
			bytes = fix_bytes;
		} else {
			check = "fixture";
			verified = fix_bytes == bytes && !fix_bad && !fix_err && !error;
		}
	}
	t_end = now();
	cpu_snap_take(c1);
	perf_ctl("disable\n");
	if (!cfg.sg && cfg.path != P_CAPTURE)
		recv_reap(&rr);

	/* ---- teardown ---- */
	for (k = 0; k < cfg.streams; k++)
		iio_teardown(&streams[k]);
	if (cfg.path == P_BRIDGE || cfg.path == P_CAPTURE || cfg.path == P_STREAM)
		bridge_teardown();
	if (cfg.path <= P_MIXED)
		ffs_teardown();

	/* ---- the result ---- */
	window = t_end - t_start;
	if (cfg.path == P_SOURCESINK && cfg.sg)
		mibps = (double)bytes / window / MIB;
	else
		mibps = last > first ? (double)after_first / (last - first) / MIB : 0;
	report_head(error ? "failed" : "ok");
	json_str("error", error);
	printf(",\"bytes\":%" PRIu64 ",\"seconds\":%.3f,\"mibps\":%.1f,\"mibps_whole\":%.1f",
	       bytes, window, mibps, (double)bytes / window / MIB);
	/* busy: the CPUs' time in the window minus their idle time */
	printf(",\"cpu_busy\":%.2f,\"cpu_busy_ticks\":%.2f,\"cpu_user\":%.2f,\"cpu_sys\":%.2f,\"cpu_irq\":%.2f",
	       (c1->wall - c0->wall) * (double)sysconf(_SC_NPROCESSORS_ONLN) -
	       (c1->idle - c0->idle), c1->busy - c0->busy,
	       c1->user - c0->user, c1->sys - c0->sys, c1->irq - c0->irq);
	printf(",\"cpu_app\":%.3f,\"cpu_host\":%.3f,\"cpu_kthreads\":%.2f",
	       c1->self - c0->self, rr.user + rr.sys, cpu_kthreads(c0, c1));
	printf(",\"syscalls\":%llu", nsys[SC_READ] + nsys[SC_WRITE] + nsys[SC_IOCTL] +
	       nsys[SC_POLL] + nsys[SC_URING]);
	for (k = 0; k < SC_NR; k++)
		printf(",\"sc_%s\":%llu", sc_names[k], nsys[k]);
	json_str("check", check);
	printf(",\"verified\":%s", verified < 0 ? "null" : verified ? "true" : "false");
	printf(",\"mismatches\":%" PRIu64, cfg.sg ? fix_bad : rr.mismatches);
	if (cfg.path == P_CAPTURE)
		printf(",\"udc_note\":\"no USB\"");
	if (cfg.sg && cfg.path != P_CAPTURE)
		printf(",\"fixture_eps\":\"%s\",\"fixture_bytes\":%" PRIu64 ",\"fixture_errors\":%" PRIu64 ",\"premapped\":%" PRIu64,
		       fix_names, fix_bytes, fix_err, premapped);
	if (detail[0] || rr.detail[0])
		json_str("first_mismatch", detail[0] ? detail : rr.detail);
	if (cfg.path == P_COPY)
		printf(",\"iio_block\":%zu", streams[0].iio_block);
	if (cfg.path == P_COPY || cfg.path == P_MIXED)
		printf(",\"write_size\":%zu", streams[0].max_write);
	if (cfg.path == P_MIXED)	/* how it waits for the ADC before write() */
		json_str("cpu_view", iub_dma_bounced() ? "poll" : "DMA_BUF_IOCTL_SYNC");
	if (cfg.rate)
		report_rate(error, verified, mibps);
	printf("}\n");
	fflush(stdout);
	return error ? 1 : 0;
}
