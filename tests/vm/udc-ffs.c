// SPDX-License-Identifier: GPL-2.0
/*
 * udc-ffs: the upstream FunctionFS interfaces on the simulated SG UDC
 * (sim/udc): enumeration, FUNCTIONFS_DMABUF_ATTACH/TRANSFER on bulk IN and
 * OUT with udmabuf and dma-heap buffers (the fixture verifies every byte it
 * reads, and produces the stream the test verifies), plain read()/write()
 * through the UDC's own SG mapping, short packets and ZLPs, dequeue on a
 * signal, unbind with transfers in flight; and the same attach refused
 * with EPERM on dummy_hcd, which has no sg_supported.
 *
 * Run by udc-ffs.sh, which loads iub_sim_udc, usb_f_fs and dummy_hcd.
 */
#include <endian.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "udc_util.h"

#define GADGET		"iub-udc-ffs"
#define FFS_NAME	"iubudc"
#define FUNC		"ffs." FFS_NAME
#define FFS_MNT		"/run/iub-udc-ffs"

#define NBUF		2
#define BUFSZ		(1u << 20)
#define XFERS		64

/* ---- FunctionFS descriptors: one vendor interface, bulk IN + bulk OUT ---- */

struct ffs_eps {
	struct usb_interface_descriptor intf;
	struct usb_endpoint_descriptor_no_audio in;
	struct usb_endpoint_descriptor_no_audio out;
} __attribute__((packed));

struct ffs_ss_eps {
	struct usb_interface_descriptor intf;
	struct usb_endpoint_descriptor_no_audio in;
	struct usb_ss_ep_comp_descriptor in_comp;
	struct usb_endpoint_descriptor_no_audio out;
	struct usb_ss_ep_comp_descriptor out_comp;
} __attribute__((packed));

struct ffs_descs {
	struct usb_functionfs_descs_head_v2 header;
	__le32 fs_count, hs_count, ss_count;
	struct ffs_eps fs, hs;
	struct ffs_ss_eps ss;
} __attribute__((packed));

#define STR_INTF	"iub udc test"
struct ffs_strings {
	struct usb_functionfs_strings_head header;
	__le16 lang;
	char str[sizeof(STR_INTF)];
} __attribute__((packed));

static void ffs_intf(struct usb_interface_descriptor *d)
{
	d->bLength = sizeof(*d);
	d->bDescriptorType = USB_DT_INTERFACE;
	d->bNumEndpoints = 2;
	d->bInterfaceClass = USB_CLASS_VENDOR_SPEC;
	d->iInterface = 1;
}

static void ffs_ep(struct usb_endpoint_descriptor_no_audio *d, int in,
		   unsigned int maxp)
{
	d->bLength = sizeof(*d);
	d->bDescriptorType = USB_DT_ENDPOINT;
	d->bEndpointAddress = in ? (1 | USB_DIR_IN) : 2;
	d->bmAttributes = USB_ENDPOINT_XFER_BULK;
	d->wMaxPacketSize = htole16(maxp);
}

static void ffs_comp(struct usb_ss_ep_comp_descriptor *d)
{
	d->bLength = USB_DT_SS_EP_COMP_SIZE;
	d->bDescriptorType = USB_DT_SS_ENDPOINT_COMP;
}

static int ffs_write_descs(int ep0)
{
	struct ffs_descs d;
	struct ffs_strings s;

	memset(&d, 0, sizeof(d));
	d.header.magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	d.header.length = htole32(sizeof(d));
	d.header.flags = htole32(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC |
				 FUNCTIONFS_HAS_SS_DESC);
	d.fs_count = htole32(3);
	d.hs_count = htole32(3);
	d.ss_count = htole32(5);
	ffs_intf(&d.fs.intf);
	ffs_ep(&d.fs.in, 1, 64);
	ffs_ep(&d.fs.out, 0, 64);
	ffs_intf(&d.hs.intf);
	ffs_ep(&d.hs.in, 1, 512);
	ffs_ep(&d.hs.out, 0, 512);
	ffs_intf(&d.ss.intf);
	ffs_ep(&d.ss.in, 1, 1024);
	ffs_comp(&d.ss.in_comp);
	ffs_ep(&d.ss.out, 0, 1024);
	ffs_comp(&d.ss.out_comp);
	if (write(ep0, &d, sizeof(d)) != sizeof(d))
		return -errno;

	memset(&s, 0, sizeof(s));
	s.header.magic = htole32(FUNCTIONFS_STRINGS_MAGIC);
	s.header.length = htole32(sizeof(s));
	s.header.str_count = htole32(1);
	s.header.lang_count = htole32(1);
	s.lang = htole16(0x0409);
	memcpy(s.str, STR_INTF, sizeof(STR_INTF));
	if (write(ep0, &s, sizeof(s)) != sizeof(s))
		return -errno;
	return 0;
}

/* Wait for a DMABUF's fences: POLLOUT waits for all, POLLIN for writers. */
static int wait_dmabuf(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, ms);

	if (n < 0)
		return -errno;
	return n == 1 && (p.revents & events) ? 0 : -ETIMEDOUT;
}

/* ---- the fixture: a FunctionFS gadget bound to a UDC ----------------------- */

FIXTURE(ffs) {
	int ep0, in, out;
	char in_ep[16], out_ep[16];	/* the fixture's debugfs directories */
	int mounted;
};

FIXTURE_VARIANT(ffs) {
	const char *udc;
	int sg;		/* the UDC is the simulated SG one */
};

FIXTURE_VARIANT_ADD(ffs, sim) {
	.udc = UDC_SIM_NAME,
	.sg = 1,
};

FIXTURE_VARIANT_ADD(ffs, dummy) {
	.udc = "dummy_udc.0",
	.sg = 0,
};

FIXTURE_SETUP(ffs)
{
	char path[256];

	self->ep0 = self->in = self->out = -1;
	self->mounted = 0;
	snprintf(path, sizeof(path), "/sys/class/udc/%s", variant->udc);
	if (access(path, F_OK))
		SKIP(return, "%s is not there", variant->udc);

	ASSERT_EQ(0, udc_gadget_create(GADGET, FUNC));
	mkdir(FFS_MNT, 0755);
	ASSERT_EQ(0, mount(FFS_NAME, FFS_MNT, "functionfs", 0, NULL))
		TH_LOG("mount functionfs: %s", strerror(errno));
	self->mounted = 1;
	self->ep0 = open(FFS_MNT "/ep0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ep0);
	ASSERT_EQ(0, ffs_write_descs(self->ep0));
	ASSERT_EQ(0, udc_gadget_write(GADGET, "UDC", variant->udc));

	if (variant->sg) {
		ASSERT_EQ(0, udc_wait_configured(10000));
		ASSERT_EQ(0, udc_enabled_ep(1, 0, self->in_ep,
					    sizeof(self->in_ep)));
		ASSERT_EQ(0, udc_enabled_ep(0, 0, self->out_ep,
					    sizeof(self->out_ep)));
	}
	self->in = open(FFS_MNT "/ep1", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->in);
	self->out = open(FFS_MNT "/ep2", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->out);
}

FIXTURE_TEARDOWN(ffs)
{
	/* the knobs outlive the gadget: leave them at their defaults */
	if (variant->sg && self->in_ep[0]) {
		udc_ep_set(self->in_ep, "pause", 0);
		udc_ep_set(self->in_ep, "verify", 1);
	}
	if (variant->sg && self->out_ep[0]) {
		udc_ep_set(self->out_ep, "pause", 0);
		udc_ep_set(self->out_ep, "short_next", -1);
	}
	/* endpoint files first: FunctionFS warns about ioctls after ep0 */
	if (self->in >= 0)
		close(self->in);
	if (self->out >= 0)
		close(self->out);
	udc_gadget_write(GADGET, "UDC", "\n");
	if (self->ep0 >= 0)
		close(self->ep0);
	if (self->mounted)
		umount(FFS_MNT);
	udc_gadget_remove(GADGET, FUNC);
}

#define NEED_SG() do { \
	if (!variant->sg) \
		SKIP(return, "only on the SG UDC"); \
} while (0)

TEST_F(ffs, enumerated)
{
	char v[64];

	NEED_SG();
	ASSERT_EQ(0, udc_state("driver", v, sizeof(v)));
	EXPECT_STREQ(GADGET, v);
	ASSERT_EQ(0, udc_state("speed", v, sizeof(v)));
	EXPECT_STREQ("super-speed", v);
	EXPECT_EQ(1, udc_state_num("configuration"));
	EXPECT_EQ(1, udc_state_num("interfaces"));
	EXPECT_EQ(2, udc_state_num("endpoints"));
	ASSERT_EQ(0, udc_state("gadget_state", v, sizeof(v)));
	EXPECT_STREQ("configured", v);
	TH_LOG("FunctionFS endpoints on %s and %s", self->in_ep, self->out_ep);
}

/*
 * FUNCTIONFS_DMABUF_ATTACH: works on the SG UDC; on dummy_hcd FunctionFS
 * refuses it with EPERM because the UDC has no sg_supported.
 */
TEST_F(ffs, dmabuf_attach)
{
	struct dmabuf b;
	int ret;

	ASSERT_EQ(0, dmabuf_create(&b, DMABUF_UDMABUF, 65536));
	ret = ioctl(self->in, FUNCTIONFS_DMABUF_ATTACH, &b.fd);
	if (variant->sg) {
		EXPECT_EQ(0, ret) TH_LOG("attach: %s", strerror(errno));
		EXPECT_EQ(0, ioctl(self->in, FUNCTIONFS_DMABUF_DETACH, &b.fd));
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EPERM, errno);
		TH_LOG("%s: FUNCTIONFS_DMABUF_ATTACH fails with %s (no sg_supported)",
		       variant->udc, strerror(errno));
	}
	dmabuf_destroy(&b);
}

/* Bulk IN from DMABUFs: the fixture reads and verifies every byte. */
static void dmabuf_in(struct __test_metadata *_metadata,
		      FIXTURE_DATA(ffs) *self, enum dmabuf_kind kind)
{
	struct dmabuf b[NBUF];
	__u32 next = 0xab000000;
	int i, x;

	ASSERT_EQ(0, udc_ep_set(self->in_ep, "verify", 1));
	ASSERT_EQ(0, udc_ep_set(self->in_ep, "reset", 1));
	for (i = 0; i < NBUF; i++) {
		ASSERT_EQ(0, dmabuf_create(&b[i], kind, BUFSZ));
		ASSERT_EQ(0, ioctl(self->in, FUNCTIONFS_DMABUF_ATTACH, &b[i].fd))
			TH_LOG("attach: %s", strerror(errno));
	}
	for (x = 0; x < XFERS; x++) {
		struct dmabuf *d = &b[x % NBUF];
		struct usb_ffs_dmabuf_transfer_req r = {
			.fd = d->fd, .length = BUFSZ,
		};

		/* the previous transfer from this buffer must be done */
		ASSERT_EQ(0, wait_dmabuf(d->fd, POLLOUT, 20000));
		ASSERT_EQ(0, dmabuf_sync(d, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
		next = iub_sim_stream_fill(d->map, BUFSZ / 4, next);
		ASSERT_EQ(0, dmabuf_sync(d, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
		ASSERT_EQ(0, ioctl(self->in, FUNCTIONFS_DMABUF_TRANSFER, &r))
			TH_LOG("transfer %d: %s", x, strerror(errno));
	}
	for (i = 0; i < NBUF; i++)
		ASSERT_EQ(0, wait_dmabuf(b[i].fd, POLLOUT, 20000));

	EXPECT_EQ((long long)XFERS * BUFSZ, udc_ep_get(self->in_ep, "bytes"));
	EXPECT_EQ(XFERS, udc_ep_get(self->in_ep, "requests"));
	EXPECT_EQ(0, udc_ep_get(self->in_ep, "errors"));
	EXPECT_EQ(0, udc_ep_get(self->in_ep, "mismatches"));
	/* FunctionFS hands over the attachment's table: sg_was_mapped */
	EXPECT_EQ(XFERS, udc_ep_get(self->in_ep, "sg_requests"));
	EXPECT_EQ(XFERS, udc_ep_get(self->in_ep, "premapped"));
	for (i = 0; i < NBUF; i++) {
		EXPECT_EQ(0, ioctl(self->in, FUNCTIONFS_DMABUF_DETACH, &b[i].fd));
		dmabuf_destroy(&b[i]);
	}
	TH_LOG("%s: %u MiB verified by the fixture", dmabuf_kind_name(kind),
	       XFERS * (BUFSZ >> 20));
}

TEST_F(ffs, dmabuf_in_udmabuf)
{
	NEED_SG();
	dmabuf_in(_metadata, self, DMABUF_UDMABUF);
}

TEST_F(ffs, dmabuf_in_heap)
{
	NEED_SG();
	dmabuf_in(_metadata, self, DMABUF_HEAP);
}

/* Bulk OUT into DMABUFs: the fixture writes the stream, we verify it. */
static void dmabuf_out(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ffs) *self, enum dmabuf_kind kind)
{
	struct iub_sim_stream_check c;
	struct dmabuf b[NBUF];
	long long seed;
	int i, x;

	ASSERT_EQ(0, udc_ep_set(self->out_ep, "reset", 1));
	seed = udc_ep_get(self->out_ep, "seed");
	ASSERT_LE(0, seed);
	iub_sim_stream_check_init(&c);
	for (i = 0; i < NBUF; i++) {
		ASSERT_EQ(0, dmabuf_create(&b[i], kind, BUFSZ));
		ASSERT_EQ(0, ioctl(self->out, FUNCTIONFS_DMABUF_ATTACH, &b[i].fd));
	}
	/* NBUF in flight; they complete in order */
	for (x = 0; x < XFERS + NBUF; x++) {
		struct dmabuf *d = &b[x % NBUF];
		struct usb_ffs_dmabuf_transfer_req r = {
			.fd = d->fd, .length = BUFSZ,
		};

		if (x >= NBUF) {
			ASSERT_EQ(0, wait_dmabuf(d->fd, POLLIN, 20000));
			ASSERT_EQ(0, dmabuf_sync(d, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
			if (x == NBUF)
				EXPECT_EQ((__u32)seed, iub_sim_stream_get_le32(d->map));
			iub_sim_stream_check_buf(&c, d->map, BUFSZ);
			ASSERT_EQ(0, dmabuf_sync(d, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		}
		if (x < XFERS)
			ASSERT_EQ(0, ioctl(self->out, FUNCTIONFS_DMABUF_TRANSFER, &r))
				TH_LOG("transfer %d: %s", x, strerror(errno));
	}
	EXPECT_EQ(0, c.mismatches)
		TH_LOG("first mismatch at word %llu: expected 0x%08x got 0x%08x",
		       (unsigned long long)c.first_bad, c.first_expected,
		       c.first_got);
	EXPECT_EQ((unsigned long long)XFERS * BUFSZ / 4, c.words);
	EXPECT_EQ((long long)XFERS * BUFSZ, udc_ep_get(self->out_ep, "bytes"));
	EXPECT_EQ((long long)XFERS * BUFSZ, udc_ep_get(self->out_ep, "position"));
	EXPECT_EQ(XFERS, udc_ep_get(self->out_ep, "premapped"));
	for (i = 0; i < NBUF; i++) {
		EXPECT_EQ(0, ioctl(self->out, FUNCTIONFS_DMABUF_DETACH, &b[i].fd));
		dmabuf_destroy(&b[i]);
	}
}

TEST_F(ffs, dmabuf_out_udmabuf)
{
	NEED_SG();
	dmabuf_out(_metadata, self, DMABUF_UDMABUF);
}

TEST_F(ffs, dmabuf_out_heap)
{
	NEED_SG();
	dmabuf_out(_metadata, self, DMABUF_HEAP);
}

/*
 * Plain write() of 64 KiB: FunctionFS builds a scatterlist of its own
 * (sg_supported, more than a page) and the UDC maps it.
 */
TEST_F(ffs, write_in)
{
	static __u32 buf[65536 / 4];
	__u32 next = 0x12340000;
	int i;

	NEED_SG();
	ASSERT_EQ(0, udc_ep_set(self->in_ep, "reset", 1));
	for (i = 0; i < 16; i++) {
		next = iub_sim_stream_fill(buf, sizeof(buf) / 4, next);
		ASSERT_EQ((ssize_t)sizeof(buf), write(self->in, buf, sizeof(buf)));
	}
	EXPECT_EQ(16LL * sizeof(buf), udc_ep_get(self->in_ep, "bytes"));
	EXPECT_EQ(0, udc_ep_get(self->in_ep, "mismatches"));
	EXPECT_EQ(16, udc_ep_get(self->in_ep, "sg_requests"));
	EXPECT_EQ(0, udc_ep_get(self->in_ep, "premapped"));

	/* a zero-length write is a ZLP on the bus */
	EXPECT_EQ(0, write(self->in, buf, 0));
	EXPECT_EQ(1, udc_ep_get(self->in_ep, "zlps"));

	/* the verifier sees a gap of 5 words once, and a single bad word twice */
	next = iub_sim_stream_fill(buf, sizeof(buf) / 4, next + 5);
	ASSERT_EQ((ssize_t)sizeof(buf), write(self->in, buf, sizeof(buf)));
	EXPECT_EQ(1, udc_ep_get(self->in_ep, "mismatches"));
	next = iub_sim_stream_fill(buf, sizeof(buf) / 4, next);
	buf[100] ^= 0x10000;
	ASSERT_EQ((ssize_t)sizeof(buf), write(self->in, buf, sizeof(buf)));
	EXPECT_EQ(3, udc_ep_get(self->in_ep, "mismatches"));
	/* and a 1001-byte write: a word split across requests */
	next = iub_sim_stream_fill(buf, sizeof(buf) / 4, next);
	ASSERT_EQ(1001, write(self->in, buf, 1001));
	iub_sim_stream_fill(buf, sizeof(buf) / 4, next - sizeof(buf) / 4 + 250);
	ASSERT_EQ(1003, write(self->in, (char *)buf + 1, 1003));
	EXPECT_EQ(3, udc_ep_get(self->in_ep, "mismatches"));
}

/* Short packets and a ZLP from the host end OUT transfers early. */
TEST_F(ffs, read_short)
{
	static unsigned char buf[65536];
	struct iub_sim_stream_check c;
	long long seed;

	NEED_SG();
	ASSERT_EQ(0, udc_ep_set(self->out_ep, "reset", 1));
	seed = udc_ep_get(self->out_ep, "seed");
	iub_sim_stream_check_init(&c);

	ASSERT_EQ(0, udc_ep_set(self->out_ep, "short_next", 1000));
	ASSERT_EQ(1000, read(self->out, buf, sizeof(buf)));
	EXPECT_EQ((__u32)seed, iub_sim_stream_get_le32(buf));
	iub_sim_stream_check_buf(&c, buf, 1000);
	EXPECT_EQ(-1, udc_ep_get(self->out_ep, "short_next"));

	ASSERT_EQ(0, udc_ep_set(self->out_ep, "short_next", 0));
	ASSERT_EQ(0, read(self->out, buf, sizeof(buf)));
	EXPECT_EQ(1, udc_ep_get(self->out_ep, "zlps"));

	ASSERT_EQ((ssize_t)sizeof(buf), read(self->out, buf, sizeof(buf)));
	iub_sim_stream_check_buf(&c, buf, sizeof(buf));
	EXPECT_EQ(0, c.mismatches);
	EXPECT_EQ(1000 + (long long)sizeof(buf),
		  udc_ep_get(self->out_ep, "position"));
	EXPECT_EQ(3, udc_ep_get(self->out_ep, "requests"));
	EXPECT_LE(1, udc_ep_get(self->out_ep, "sg_requests"));
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A read() interrupted by a signal: FunctionFS dequeues its request. */
TEST_F(ffs, dequeue)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	static char buf[4096];

	NEED_SG();
	ASSERT_EQ(0, udc_ep_set(self->out_ep, "reset", 1));
	ASSERT_EQ(0, udc_ep_set(self->out_ep, "pause", 1));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));	/* no SA_RESTART */
	alarm(1);
	EXPECT_EQ(-1, read(self->out, buf, sizeof(buf)));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, udc_ep_get(self->out_ep, "errors"));
	EXPECT_EQ(0, udc_ep_get(self->out_ep, "queued"));
	EXPECT_EQ(0, udc_ep_get(self->out_ep, "bytes"));
	ASSERT_EQ(0, udc_ep_set(self->out_ep, "pause", 0));
}

/*
 * UDC unbind with DMABUF transfers in flight: the requests complete with
 * -ESHUTDOWN and the fences signal.
 */
TEST_F(ffs, unbind_inflight)
{
	struct dmabuf b[NBUF];
	char v[64];
	int i;

	NEED_SG();
	ASSERT_EQ(0, udc_ep_set(self->in_ep, "reset", 1));
	ASSERT_EQ(0, udc_ep_set(self->in_ep, "pause", 1));
	for (i = 0; i < NBUF; i++) {
		struct usb_ffs_dmabuf_transfer_req r = { .length = BUFSZ };

		ASSERT_EQ(0, dmabuf_create(&b[i], DMABUF_HEAP, BUFSZ));
		ASSERT_EQ(0, ioctl(self->in, FUNCTIONFS_DMABUF_ATTACH, &b[i].fd));
		r.fd = b[i].fd;
		ASSERT_EQ(0, ioctl(self->in, FUNCTIONFS_DMABUF_TRANSFER, &r));
	}
	EXPECT_EQ(NBUF, udc_ep_get(self->in_ep, "queued"));
	EXPECT_EQ(-ETIMEDOUT, wait_dmabuf(b[0].fd, POLLOUT, 200));

	ASSERT_EQ(0, udc_gadget_write(GADGET, "UDC", "\n"));
	for (i = 0; i < NBUF; i++)
		EXPECT_EQ(0, wait_dmabuf(b[i].fd, POLLOUT, 2000));
	EXPECT_EQ(0, udc_ep_get(self->in_ep, "queued"));
	EXPECT_EQ(NBUF, udc_ep_get(self->in_ep, "errors"));
	EXPECT_EQ(0, udc_ep_get(self->in_ep, "bytes"));
	ASSERT_EQ(0, udc_state("driver", v, sizeof(v)));
	EXPECT_STREQ("-", v);
	EXPECT_EQ(0, udc_state_num("connected"));
	/* the endpoint files still hold the attachments: closed by teardown */
	for (i = 0; i < NBUF; i++)
		dmabuf_destroy(&b[i]);
}

TEST_HARNESS_MAIN
