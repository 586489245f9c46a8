// SPDX-License-Identifier: GPL-2.0
/*
 * iub - command-line tool for /dev/iio-usb-bridge.
 *
 *   iub features                       what the module offers
 *   iub ports                          the ports, their flags and counters
 *   iub stream FROM TO [options]       stream through the bridge:
 *       FROM a port that fills buffers (converter capture, USB bulk OUT)
 *       TO   a port that empties them (USB bulk IN, DAC), or a file, or -
 *
 * Port to port, every buffer goes through one IUB_IOC_ROUTE: the kernel
 * fills it through FROM and empties it through TO, and userspace only
 * recycles buffers (reap a CQE, resubmit the route). To a file, buffers are
 * captured with IUB_IOC_TRANSFER and written out (that part copies).
 *
 * Options of stream:
 *   -b, --buffer-size BYTES  size of each DMABUF (default 1 MiB)
 *   -n, --buffers N          buffers in flight, 1 to 64 (default 8)
 *   -B, --bytes N            stop after N bytes (default: until interrupted)
 *   -H, --heap               DMABUFs from /dev/dma_heap/system (default udmabuf)
 *   -z, --zlp                zero-length packet after each USB transfer
 *   -V, --verify             check the simulated board's stream format
 *   -q, --quiet              no progress line
 * Sizes take K, M, G suffixes (powers of 1024).
 *
 * Exit status: 0 done, 1 a transfer or route failed, 2 usage, 3 the device
 * or a port is not there or not available, 4 verification failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include <iio_usb_bridge_uring.h>
#include "../../sim/iub_sim_stream.h"

#define MAX_BUFS 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_bridge(void)
{
	int fd = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "iub: %s: %s%s\n", IUB_DEVICE_PATH, strerror(errno),
			errno == ENOENT ? " (is iio_usb_bridge.ko loaded?)" :
			errno == EACCES ? " (root, or a group the udev rule grants)" : "");
		exit(3);
	}
	return fd;
}

static int get_ports(int fd, struct iub_port_info *p, int max)
{
	struct iub_query q = { .data = (__u64)(uintptr_t)p,
			       .size = max * sizeof(*p) };
	int n = ioctl(fd, IUB_IOC_GET_PORTS, &q);

	if (n < 0) {
		fprintf(stderr, "iub: GET_PORTS: %s\n", strerror(errno));
		exit(1);
	}
	return n < max ? n : max;
}

static void get_features(int fd, struct iub_features *f)
{
	struct iub_query q = { .data = (__u64)(uintptr_t)f, .size = sizeof(*f) };

	if (ioctl(fd, IUB_IOC_GET_FEATURES, &q) < 0) {
		fprintf(stderr, "iub: GET_FEATURES: %s\n", strerror(errno));
		exit(1);
	}
}

static int cmd_features(void)
{
	static const struct {
		__u64 bit;
		const char *name;
	} names[] = {
		{ IUB_FEAT_URING_CMD, "uring_cmd" },
		{ IUB_FEAT_NOP, "nop" },
		{ IUB_FEAT_DMABUF, "dmabuf" },
		{ IUB_FEAT_CONVERTER_PORTS, "converter_ports" },
		{ IUB_FEAT_TRANSFER, "transfer" },
		{ IUB_FEAT_CYCLIC, "cyclic" },
		{ IUB_FEAT_IMPLICIT_SYNC, "implicit_sync" },
		{ IUB_FEAT_USB_PORTS, "usb_ports" },
		{ IUB_FEAT_ROUTE, "route" },
	};
	struct iub_features f;
	int fd = open_bridge();
	__u64 unknown;

	get_features(fd, &f);
	printf("uapi_version %u\nfeatures", f.uapi_version);
	unknown = f.features;
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (f.features & names[i].bit)
			printf(" %s", names[i].name);
		unknown &= ~names[i].bit;
	}
	/* a newer module's bits, which this tool has no name for */
	for (unsigned int bit = 0; bit < 64; bit++)
		if (unknown & (1ULL << bit))
			printf(" bit%u", bit);
	printf("\nmax_inflight %u\nmax_buffers %u\nports %u\n",
	       f.max_inflight, f.max_buffers, f.nr_ports);
	close(fd);
	return 0;
}

static void flags_str(__u32 fl, char *s, size_t n)
{
	static const char * const names[] = {
		"claimed", "busy", "absent", "dma_vec", "slave_sg", "cyclic",
		"usb_sg", "usb_cpu", "online",
	};

	s[0] = 0;
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (fl & (1u << i))
			snprintf(s + strlen(s), n - strlen(s), "%s%s",
				 s[0] ? "," : "", names[i]);
}

static int cmd_ports(void)
{
	struct iub_port_info p[256];
	int fd = open_bridge(), n = get_ports(fd, p, 256);
	char fl[128];

	/* "fills" buffers: capture, bulk OUT; "drains" them: playback, bulk IN */
	printf("%-4s %-26s %-10s %-7s %-34s %14s %10s %6s\n", "id", "name",
	       "kind", "buffers", "flags", "bytes", "transfers", "errors");
	for (int i = 0; i < n; i++) {
		flags_str(p[i].flags, fl, sizeof(fl));
		printf("%-4u %-26s %-10s %-7s %-34s %14" PRIu64 " %10" PRIu64 " %6" PRIu64 "\n",
		       p[i].id, p[i].name,
		       p[i].kind == IUB_PORT_USB ? "usb" : "converter",
		       p[i].flags & IUB_PORT_F_ABSENT ? "-" :
		       p[i].direction == IUB_DIR_TO_MEM ? "fills" : "drains",
		       fl, (uint64_t)p[i].bytes, (uint64_t)p[i].transfers,
		       (uint64_t)p[i].errors);
	}
	close(fd);
	return 0;
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	}
	if (*end || !v) {
		fprintf(stderr, "iub: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

struct buf {
	int fd;
	void *map;
	int handle;
};

/*
 * DMA_BUF_IOCTL_SYNC: bracket CPU access to a mapped DMABUF (START before,
 * END after). Repeated when the kernel asks (EINTR, EAGAIN). Returns 0 or
 * -1 with a message.
 */
static int dmabuf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) < 0) {
		if (errno != EINTR && errno != EAGAIN) {
			fprintf(stderr, "\niub: DMA_BUF_IOCTL_SYNC %s: %s\n",
				flags & DMA_BUF_SYNC_END ? "END" : "START",
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int make_dmabuf(bool heap, size_t size)
{
	int dev, fd = -1;

	if (heap) {
		struct dma_heap_allocation_data a = { .len = size,
						      .fd_flags = O_RDWR | O_CLOEXEC };

		dev = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
		if (dev >= 0 && !ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &a))
			fd = a.fd;
	} else {
		struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
		int memfd = memfd_create("iub", MFD_ALLOW_SEALING | MFD_CLOEXEC);

		dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		if (memfd >= 0 && dev >= 0 && !ftruncate(memfd, size) &&
		    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) >= 0) {
			c.memfd = memfd;
			fd = ioctl(dev, UDMABUF_CREATE, &c);
		}
		if (memfd >= 0)
			close(memfd);
	}
	if (dev >= 0)
		close(dev);
	if (fd < 0)
		fprintf(stderr, "iub: cannot allocate a %zu-byte DMABUF from %s: %s\n",
			size, heap ? "/dev/dma_heap/system" : "/dev/udmabuf",
			strerror(errno));
	return fd;
}

static int find_claim(int fd, const char *name, struct iub_port_info *info)
{
	struct iub_port_info p[256];
	struct iub_port_claim c = { 0 };
	int n = get_ports(fd, p, 256);

	for (int i = 0; i < n; i++) {
		if (strcmp(p[i].name, name))
			continue;
		*info = p[i];
		c.port = p[i].id;
		if (ioctl(fd, IUB_IOC_PORT_CLAIM, &c) < 0) {
			fprintf(stderr, "iub: claim %s: %s\n", name, strerror(errno));
			exit(3);
		}
		return p[i].id;
	}
	fprintf(stderr, "iub: no port named %s (iub ports lists them)\n", name);
	exit(3);
}

/* the report goes to stdout, unless the data does */
static FILE *report;

static void progress(double t0, unsigned long long bytes, bool final)
{
	double dt = now() - t0;

	fprintf(final ? report : stderr, "%s%llu bytes in %.2f s: %.1f MiB/s%s",
		final ? "" : "\r", bytes, dt, dt > 0 ? bytes / dt / 1048576 : 0.0,
		final ? "" : "   ");
}

static int cmd_stream(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "buffers", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'B' },
		{ "heap", no_argument, NULL, 'H' },
		{ "zlp", no_argument, NULL, 'z' },
		{ "verify", no_argument, NULL, 'V' },
		{ "quiet", no_argument, NULL, 'q' },
		{ }
	};
	unsigned long long size = 1 << 20, total = 0, done = 0, queued = 0;
	unsigned int nbufs = 8, inflight = 0, next = 0, align;
	unsigned long long lens[MAX_BUFS];
	bool heap = false, zlp = false, verify = false, quiet = false;
	struct iub_port_info from_info, to_info;
	struct iub_sim_stream_check chk;
	struct iub_features feat;
	struct buf bufs[MAX_BUFS];
	struct io_uring ring;
	int c, fd, from, to = -1, out = -1, rc = 0, ret;
	double t0, last = 0;
	const char *dest;

	while ((c = getopt_long(argc, argv, "b:n:B:HzVq", opts, NULL)) != -1) {
		switch (c) {
		case 'b': size = parse_size(optarg); break;
		case 'n': nbufs = strtoul(optarg, NULL, 0); break;
		case 'B': total = parse_size(optarg); break;
		case 'H': heap = true; break;
		case 'z': zlp = true; break;
		case 'V': verify = true; break;
		case 'q': quiet = true; break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || !nbufs || nbufs > MAX_BUFS || size > INT32_MAX) {
		fprintf(stderr, "usage: iub stream FROM TO|FILE|- [-b SIZE] [-n N] [-B BYTES] [-H] [-z] [-V] [-q]\n");
		return 2;
	}
	dest = argv[optind + 1];
	report = strcmp(dest, "-") ? stdout : stderr;
	fd = open_bridge();
	get_features(fd, &feat);
	from = find_claim(fd, argv[optind], &from_info);
	if (from_info.direction != IUB_DIR_TO_MEM) {
		fprintf(stderr, "iub: %s does not fill buffers (it is an output)\n", argv[optind]);
		return 2;
	}
	if (!strcmp(dest, "-")) {
		out = STDOUT_FILENO;
	} else if (strchr(dest, ':') && dest[0] != '/' && dest[0] != '.') {
		to = find_claim(fd, dest, &to_info);
		if (to_info.direction != IUB_DIR_FROM_MEM) {
			fprintf(stderr, "iub: %s does not empty buffers (it is an input)\n", dest);
			return 2;
		}
	} else {
		out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0) {
			fprintf(stderr, "iub: %s: %s\n", dest, strerror(errno));
			return 2;
		}
	}
	/* routes and transfers are features: an older module may lack one */
	if (!(feat.features & (to >= 0 ? IUB_FEAT_ROUTE : IUB_FEAT_TRANSFER))) {
		fprintf(stderr, "iub: this iio_usb_bridge module has no %s\n",
			to >= 0 ? "routes (IUB_FEAT_ROUTE)" :
			"transfers (IUB_FEAT_TRANSFER)");
		return 3;
	}
	/* lengths are multiples of both ports' alignment (powers of two) */
	align = from_info.align;
	if (to >= 0 && to_info.align > align)
		align = to_info.align;
	if (size % align) {
		fprintf(stderr, "iub: the buffer size must be a multiple of %u\n", align);
		return 2;
	}
	/*
	 * 32-byte CQEs: a failed route says which stage failed. liburing
	 * returns -errno and leaves errno alone.
	 */
	ret = io_uring_queue_init(2 * MAX_BUFS, &ring, IORING_SETUP_CQE32);
	if (ret < 0) {
		fprintf(stderr, "iub: io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	for (unsigned int i = 0; i < nbufs; i++) {
		struct iub_buf_attach a;

		bufs[i].fd = make_dmabuf(heap, size);
		if (bufs[i].fd < 0)
			return 1;
		a = (struct iub_buf_attach){ .fd = bufs[i].fd };
		bufs[i].handle = ioctl(fd, IUB_IOC_BUF_ATTACH, &a);
		if (bufs[i].handle < 0) {
			fprintf(stderr, "iub: attach: %s\n", strerror(errno));
			return 1;
		}
		bufs[i].map = NULL;
		if (verify || out >= 0) {
			bufs[i].map = mmap(NULL, size, PROT_READ, MAP_SHARED, bufs[i].fd, 0);
			if (bufs[i].map == MAP_FAILED) {
				fprintf(stderr, "iub: mmap: %s\n", strerror(errno));
				return 1;
			}
		}
	}
	iub_sim_stream_check_init(&chk);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	t0 = now();
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned int i, stage;
		struct buf *b;
		int res;

		/*
		 * Keep every free buffer busy: one SQE per buffer. Buffers
		 * come back in submission order (both ports complete in
		 * order), so they are reused round-robin. A short completion
		 * (USB OUT) leaves room for more before the byte count.
		 */
		while (!stop && inflight < nbufs &&
		       (!total || done + queued < total)) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			unsigned long long len = size;

			if (!sqe)	/* the ring holds twice MAX_BUFS */
				break;

			/*
			 * The last one: rounded up to the alignment (a USB
			 * host ends it with a short packet where it has less).
			 */
			if (total && total - done - queued < len)
				len = (total - done - queued + align - 1) / align * align;
			i = next;
			next = (next + 1) % nbufs;
			lens[i] = len;
			queued += len;
			if (to >= 0)
				iub_prep_route(sqe, fd, bufs[i].handle, from, to, 0,
					       len, zlp ? IUB_ROUTE_ZLP : 0);
			else
				iub_prep_transfer(sqe, fd, bufs[i].handle, from, 0, len, 0);
			sqe->user_data = i;
			inflight++;
		}
		if (!inflight)
			break;
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			/* nothing reaped or submitted: the ring's exit cancels */
			fprintf(stderr, "\niub: io_uring_submit_and_wait: %s\n",
				strerror(-ret));
			io_uring_queue_exit(&ring);
			close(fd);
			return 1;
		}
		while (io_uring_peek_cqe(&ring, &cqe) == 0) {
			res = cqe->res;
			stage = IUB_ROUTE_INFO_STAGE(cqe->big_cqe[0]);
			b = &bufs[cqe->user_data];
			queued -= lens[cqe->user_data];
			io_uring_cqe_seen(&ring, cqe);
			inflight--;
			if (res < 0) {
				if (!rc && res != -ECANCELED) {
					fprintf(stderr, "\niub: %s failed after %llu bytes: %s",
						to >= 0 ? "route" : "transfer", done, strerror(-res));
					if (to >= 0 && stage)
						fprintf(stderr, " (stage %u: %s)", stage,
							stage == 1 ? argv[optind] : dest);
					fprintf(stderr, "\n");
					rc = 1;
				}
				stop = 1;
				continue;
			}
			if (b->map) {
				/* CPU access, bracketed as every one must be */
				if (dmabuf_sync(b->fd, DMA_BUF_SYNC_START |
						       DMA_BUF_SYNC_READ)) {
					rc = 1;
					stop = 1;
					continue;
				}
				if (verify)
					iub_sim_stream_check_buf(&chk, b->map, res);
				if (out >= 0 && write(out, b->map, res) != res) {
					fprintf(stderr, "\niub: write: %s\n", strerror(errno));
					rc = 1;
					stop = 1;
				}
				if (dmabuf_sync(b->fd, DMA_BUF_SYNC_END |
						       DMA_BUF_SYNC_READ)) {
					rc = 1;
					stop = 1;
				}
			}
			done += res;
		}
		if (stop && inflight) {
			/* end what is still in flight: cancel both ports */
			struct iub_port_claim cl = { .port = from };

			if (ioctl(fd, IUB_IOC_PORT_CANCEL, &cl) < 0)
				fprintf(stderr, "\niub: cancel %s: %s\n",
					argv[optind], strerror(errno));
			if (to >= 0) {
				cl.port = to;
				if (ioctl(fd, IUB_IOC_PORT_CANCEL, &cl) < 0)
					fprintf(stderr, "\niub: cancel %s: %s\n",
						dest, strerror(errno));
			}
		}
		if (!quiet && now() - last > 0.5) {
			last = now();
			progress(t0, done, false);
		}
	}
	if (!quiet)
		fprintf(stderr, "\n");
	fprintf(report, "%s -> %s: ", argv[optind], dest);
	progress(t0, done, true);
	if (verify) {
		fprintf(report, ", verified: %s (%" PRIu64 " mismatches)",
		       chk.mismatches || chk.words * 4 != done ? "no" : "yes",
		       (uint64_t)chk.mismatches);
		if (chk.mismatches || chk.words * 4 != done)
			rc = rc ? rc : 4;
	}
	fprintf(report, "\n");
	io_uring_queue_exit(&ring);
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "features"))
		return cmd_features();
	if (argc >= 2 && !strcmp(argv[1], "ports"))
		return cmd_ports();
	if (argc >= 2 && !strcmp(argv[1], "stream"))
		return cmd_stream(argc - 1, argv + 1);
	fprintf(stderr,
		"usage: iub features\n"
		"       iub ports\n"
		"       iub stream FROM TO|FILE|- [-b SIZE] [-n N] [-B BYTES] [-H] [-z] [-V] [-q]\n"
		"see the comment at the top of tools/iub/iub.c or Documentation/iub.rst\n");
	return 2;
}
