// SPDX-License-Identifier: GPL-2.0
/*
 * xfer-errors: every rejection of the DMABUF, port and transfer commands
 * has its documented errno (Documentation/uapi.rst), through ioctl() and
 * io_uring alike, and a rejected command changes nothing.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"

FIXTURE(f) {
	int fd;
	struct io_uring ring;
	struct dmabuf b;
	int h;
	int adc, dac;
};

FIXTURE_SETUP(f)
{
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
	ASSERT_EQ(0, dmabuf_create(&self->b, DMABUF_UDMABUF, 65536));
	self->h = iub_test_attach(self->fd, self->b.fd);
	ASSERT_LE(0, self->h);
	self->adc = iub_test_claim(self->fd, SIM_ADC0);
	ASSERT_LE(0, self->adc);
	self->dac = iub_test_claim(self->fd, SIM_DAC0);
	ASSERT_LE(0, self->dac);
	sim_restore(SIM_CH_ADC0);
}

FIXTURE_TEARDOWN(f)
{
	sim_restore(SIM_CH_ADC0);
	dmabuf_destroy(&self->b);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

/* the fixture's file, through ioctl() and io_uring: one result */
#define both(op, block) iub_test_both(self->fd, &self->ring, (op), (block))

static int xfer(FIXTURE_DATA(f) *self, int handle, int port, __u32 flags,
		__u32 off, __u32 len)
{
	struct iub_transfer t = { .handle = handle, .port = port, .flags = flags,
				  .offset = off, .length = len };

	return both(IUB_IOC_TRANSFER, &t);
}

TEST_F(f, attach_errors)
{
	struct iub_buf_attach a = { .fd = -1 };
	int null = open("/dev/null", O_RDONLY);

	EXPECT_EQ(-EBADF, both(IUB_IOC_BUF_ATTACH, &a));
	a.fd = null;
	EXPECT_EQ(-EBADF, both(IUB_IOC_BUF_ATTACH, &a));
	close(null);
}

TEST_F(f, attach_limit)
{
	struct iub_features feat;
	struct iub_query q = { .data = (__u64)(unsigned long)&feat, .size = sizeof(feat) };
	struct iub_buf_detach d = { .handle = 3 };
	int fd2 = iub_test_open(), i, h, n;
	struct dmabuf *b;

	ASSERT_LE(0, fd2);
	ASSERT_EQ((int)sizeof(feat), iub_test_ioctl(fd2, IUB_IOC_GET_FEATURES, &q));
	n = feat.max_buffers;
	b = dmabuf_create_many(n + 1);
	ASSERT_NE(NULL, b);
	for (i = 0; i < n; i++) {
		h = iub_test_attach(fd2, b[i].fd);
		ASSERT_LE(0, h);
		ASSERT_GT(n, h);
	}
	EXPECT_EQ(-ENOSPC, iub_test_attach(fd2, b[n].fd));
	/* a freed handle can be reused */
	EXPECT_EQ(0, iub_test_ioctl(fd2, IUB_IOC_BUF_DETACH, &d));
	EXPECT_EQ(3, iub_test_attach(fd2, b[n].fd));
	close(fd2);
	dmabuf_destroy_many(b, n + 1);
}

/* a file attaches a DMABUF once; another file may too; detached, again */
TEST_F(f, attach_twice)
{
	struct iub_buf_attach a = { .fd = self->b.fd };
	struct iub_buf_detach d = { .handle = self->h };
	int fd2 = iub_test_open(), dupfd = dup(self->b.fd);

	ASSERT_LE(0, fd2);
	ASSERT_LE(0, dupfd);
	EXPECT_EQ(-EEXIST, both(IUB_IOC_BUF_ATTACH, &a));
	/* another fd of the same DMABUF is the same DMABUF */
	a.fd = dupfd;
	EXPECT_EQ(-EEXIST, both(IUB_IOC_BUF_ATTACH, &a));
	EXPECT_LE(0, iub_test_attach(fd2, self->b.fd));
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
	self->h = iub_test_attach(self->fd, dupfd);
	EXPECT_LE(0, self->h);
	EXPECT_EQ(-EEXIST, iub_test_attach(self->fd, self->b.fd));
	/* and the handle works */
	EXPECT_EQ(4096, xfer(self, self->h, self->adc, 0, 0, 4096));
	close(dupfd);
	close(fd2);
}

/*
 * The module imports a DMABUF once and maps it once per DMA device and
 * direction, when a file attaches it while holding ports (or claims a port
 * while holding it): the fixture's file holds an ADC and the DAC of one
 * DMA controller, so one mapping for capture and one for playback. A
 * second file capturing into it through another channel of that
 * controller shares the first; transfers add none.
 */
TEST_F(f, one_mapping_per_device_and_direction)
{
	struct iub_transfer t = { .port = 0, .length = 4096 };
	int fd2 = iub_test_open(), adc1, h2;

	ASSERT_LE(0, fd2);
	EXPECT_EQ(2, dmabuf_attachments(&self->b));
	EXPECT_EQ(4096, xfer(self, self->h, self->adc, 0, 0, 4096));
	EXPECT_EQ(2, dmabuf_attachments(&self->b));
	adc1 = iub_test_claim(fd2, SIM_ADC1);
	h2 = iub_test_attach(fd2, self->b.fd);
	ASSERT_LE(0, adc1);
	ASSERT_LE(0, h2);
	EXPECT_EQ(2, dmabuf_attachments(&self->b));
	t.handle = h2;
	t.port = adc1;
	EXPECT_EQ(4096, iub_test_ioctl(fd2, IUB_IOC_TRANSFER, &t));
	EXPECT_EQ(2, dmabuf_attachments(&self->b));
	EXPECT_EQ(4096, xfer(self, self->h, self->dac, 0, 0, 4096));
	EXPECT_EQ(2, dmabuf_attachments(&self->b));
	close(fd2);
	EXPECT_EQ(2, dmabuf_attachments(&self->b));
}

TEST_F(f, detach_errors)
{
	struct iub_buf_detach d = { .handle = self->h + 100 };

	EXPECT_EQ(-ENOENT, both(IUB_IOC_BUF_DETACH, &d));
	d.handle = self->h;
	d.flags = 2;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_BUF_DETACH, &d));
	d.flags = 0;
	d.reserved = 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_BUF_DETACH, &d));
	d.reserved = 0;
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
	EXPECT_EQ(-ENOENT, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
	/* and a transfer on it is now refused */
	EXPECT_EQ(-ENOENT, xfer(self, self->h, self->adc, 0, 0, 4096));
}

TEST_F(f, get_ports_errors)
{
	struct iub_port_info info[4];
	struct iub_query q = { .data = (__u64)(unsigned long)info };
	int n;

	/* size 0: just the count */
	n = both(IUB_IOC_GET_PORTS, &q);
	EXPECT_LE(4, n);
	q.size = sizeof(info[0]) + 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_GET_PORTS, &q));
	q.size = 257 * sizeof(info[0]);
	EXPECT_EQ(-EINVAL, both(IUB_IOC_GET_PORTS, &q));
	q.size = sizeof(info);
	q.flags = 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_GET_PORTS, &q));
	q.flags = 0;
	q.data = 16;
	EXPECT_EQ(-EFAULT, both(IUB_IOC_GET_PORTS, &q));
	/* the count does not depend on the room given */
	q.data = (__u64)(unsigned long)info;
	q.size = sizeof(info[0]);
	EXPECT_EQ(n, both(IUB_IOC_GET_PORTS, &q));
}

TEST_F(f, port_info)
{
	struct iub_port_info i;
	int fd2 = iub_test_open();

	ASSERT_LE(0, iub_test_find_port(self->fd, SIM_ADC0, &i));
	EXPECT_TRUE(i.flags & IUB_PORT_F_CLAIMED);
	EXPECT_FALSE(i.flags & IUB_PORT_F_BUSY);
	EXPECT_FALSE(i.flags & IUB_PORT_F_CYCLIC);
	EXPECT_EQ(IUB_DIR_TO_MEM, i.direction);
	ASSERT_LE(0, iub_test_find_port(fd2, SIM_ADC0, &i));
	EXPECT_TRUE(i.flags & IUB_PORT_F_BUSY);
	EXPECT_FALSE(i.flags & IUB_PORT_F_CLAIMED);
	ASSERT_LE(0, iub_test_find_port(fd2, SIM_DAC0, &i));
	EXPECT_EQ(IUB_DIR_FROM_MEM, i.direction);
	EXPECT_TRUE(i.flags & IUB_PORT_F_CYCLIC);
	ASSERT_LE(0, iub_test_find_port(fd2, SIM_ABSENT, &i));
	EXPECT_TRUE(i.flags & IUB_PORT_F_ABSENT);
	/* a port that never ran has no gaps */
	EXPECT_EQ(0, i.gaps);
	EXPECT_EQ(0, i.gap_ns);
	close(fd2);
}

TEST_F(f, claim_errors)
{
	struct iub_port_claim c = { .port = 60000 };
	int fd2 = iub_test_open(), absent = iub_test_find_port(self->fd, SIM_ABSENT, NULL);

	ASSERT_LE(0, fd2);
	EXPECT_EQ(-ENODEV, both(IUB_IOC_PORT_CLAIM, &c));
	c.port = self->adc;
	EXPECT_EQ(-EALREADY, both(IUB_IOC_PORT_CLAIM, &c));
	EXPECT_EQ(-EBUSY, iub_test_ioctl(fd2, IUB_IOC_PORT_CLAIM, &c));
	c.flags = 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_PORT_CLAIM, &c));
	c.flags = 0;
	c.reserved = 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_PORT_CLAIM, &c));
	c.reserved = 0;
	ASSERT_LE(0, absent);
	c.port = absent;
	EXPECT_EQ(-ENXIO, both(IUB_IOC_PORT_CLAIM, &c));
	/* release: not ours, unknown, flags */
	c.port = self->adc;
	EXPECT_EQ(-EPERM, iub_test_ioctl(fd2, IUB_IOC_PORT_RELEASE, &c));
	EXPECT_EQ(-EPERM, iub_test_ioctl(fd2, IUB_IOC_PORT_CANCEL, &c));
	c.port = 60000;
	EXPECT_EQ(-ENODEV, both(IUB_IOC_PORT_RELEASE, &c));
	EXPECT_EQ(-ENODEV, both(IUB_IOC_PORT_CANCEL, &c));
	c.port = self->adc;
	c.flags = 4;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_PORT_RELEASE, &c));
	EXPECT_EQ(-EINVAL, both(IUB_IOC_PORT_CANCEL, &c));
	c.flags = 0;
	/* an idle port: cancel ends nothing */
	EXPECT_EQ(0, both(IUB_IOC_PORT_CANCEL, &c));
	/* released, the other file can have it; then this one cannot */
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_PORT_RELEASE, &c));
	EXPECT_EQ(-EPERM, xfer(self, self->h, self->adc, 0, 0, 4096));
	EXPECT_EQ(0, iub_test_ioctl(fd2, IUB_IOC_PORT_CLAIM, &c));
	EXPECT_EQ(-EBUSY, iub_test_ioctl(self->fd, IUB_IOC_PORT_CLAIM, &c));
	/* closing a file releases its ports */
	close(fd2);
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_PORT_CLAIM, &c));
}

TEST_F(f, release_busy_port)
{
	struct iub_port_claim c = { .port = self->adc };

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->adc, 0, 4096, 0, 9));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EBUSY, iub_test_ioctl(self->fd, IUB_IOC_PORT_RELEASE, &c));
	EXPECT_EQ(1, iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c));
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 5000, NULL));
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_PORT_RELEASE, &c));
}

TEST_F(f, transfer_errors)
{
	/* unknown flags */
	for (unsigned int bit = 2; bit < 32; bit++)
		EXPECT_EQ(-EINVAL, xfer(self, self->h, self->adc, 1u << bit, 0, 4096));
	/* cyclic capture */
	EXPECT_EQ(-EINVAL, xfer(self, self->h, self->adc, IUB_XFER_CYCLIC, 0, 4096));
	/* port: unknown, not claimed */
	EXPECT_EQ(-ENODEV, xfer(self, self->h, 60000, 0, 0, 4096));
	EXPECT_EQ(-EPERM, xfer(self, self->h,
			       iub_test_find_port(self->fd, SIM_ADC1, NULL), 0, 0, 4096));
	/* handle */
	EXPECT_EQ(-ENOENT, xfer(self, self->h + 1, self->adc, 0, 0, 4096));
	/* range: empty, misaligned, past the end, too long */
	EXPECT_EQ(-EINVAL, xfer(self, self->h, self->adc, 0, 0, 0));
	EXPECT_EQ(-EINVAL, xfer(self, self->h, self->adc, 0, 2, 4096));
	EXPECT_EQ(-EINVAL, xfer(self, self->h, self->adc, 0, 0, 4094));
	EXPECT_EQ(-EINVAL, xfer(self, self->h, self->adc, 0, 4096, 65536));
	EXPECT_EQ(-EINVAL, xfer(self, self->h, self->adc, 0, 0xfffffffc, 8));
	EXPECT_EQ(-E2BIG, xfer(self, self->h, self->adc, 0, 0, 0x80000000));
	/* none of this moved data or counted errors: a good one still works */
	EXPECT_EQ(4096, xfer(self, self->h, self->adc, 0, 65536 - 4096, 4096));
}

/*
 * Every command with flags or reserved fields refuses each unknown flag
 * and each reserved bit with EINVAL, before anything else: the blocks
 * below are otherwise valid, and would do something (release, cancel,
 * detach) or fail differently (EALREADY, EEXIST) if a check were missing.
 */
struct cmd_fields {
	const char *name;
	unsigned long op;
	size_t flags_at, flags_size;	/* flags_size 0: none */
	__u64 known;			/* flags that are valid here */
	ssize_t reserved_at;		/* -1: no 64-bit reserved field */
};

static void check_fields(struct __test_metadata *_metadata,
			 FIXTURE_DATA(f) *self, const struct cmd_fields *c,
			 const void *good)
{
	unsigned char block[IUB_CMD_SIZE_MAX];
	unsigned int bit;

	for (bit = 0; bit < 8 * c->flags_size; bit++) {
		__u32 flags = 1u << bit;
		__u16 flags16 = flags;

		if (flags & c->known)
			continue;
		memcpy(block, good, sizeof(block));
		if (c->flags_size == 2)
			memcpy(block + c->flags_at, &flags16, 2);
		else
			memcpy(block + c->flags_at, &flags, 4);
		EXPECT_EQ(-EINVAL, both(c->op, block))
			TH_LOG("%s: flag bit %u", c->name, bit);
	}
	for (bit = 0; c->reserved_at >= 0 && bit < 64; bit++) {
		__u64 r = 1ULL << bit;

		memcpy(block, good, sizeof(block));
		memcpy(block + c->reserved_at, &r, 8);
		EXPECT_EQ(-EINVAL, both(c->op, block))
			TH_LOG("%s: reserved bit %u", c->name, bit);
	}
}

#define FIELDS(_op, type, flags_field, _known, reserved_at)		\
	((struct cmd_fields){ #_op, _op, offsetof(type, flags_field),	\
		sizeof(((type *)0)->flags_field), _known, reserved_at })

TEST_F(f, every_reserved_bit_and_unknown_flag)
{
	struct iub_features feat;
	struct iub_port_info info[2];
	union {
		struct iub_query q;
		struct iub_buf_attach a;
		struct iub_buf_detach d;
		struct iub_port_claim c;
		struct iub_transfer t;
		struct iub_route r;
		unsigned char raw[IUB_CMD_SIZE_MAX];
	} g;

	memset(&g, 0, sizeof(g));
	g.q = (struct iub_query){ .data = (__u64)(unsigned long)&feat,
				  .size = sizeof(feat) };
	check_fields(_metadata, self, &FIELDS(IUB_IOC_GET_FEATURES,
		     struct iub_query, flags, 0, -1), &g);
	g.q = (struct iub_query){ .data = (__u64)(unsigned long)info,
				  .size = sizeof(info) };
	check_fields(_metadata, self, &FIELDS(IUB_IOC_GET_PORTS,
		     struct iub_query, flags, 0, -1), &g);

	memset(&g, 0, sizeof(g));
	g.a.fd = self->b.fd;		/* attached: EEXIST if the check went */
	check_fields(_metadata, self, &FIELDS(IUB_IOC_BUF_ATTACH,
		     struct iub_buf_attach, flags, 0,
		     offsetof(struct iub_buf_attach, reserved)), &g);
	memset(&g, 0, sizeof(g));
	g.d.handle = self->h;		/* would be detached */
	check_fields(_metadata, self, &FIELDS(IUB_IOC_BUF_DETACH,
		     struct iub_buf_detach, flags, 0,
		     offsetof(struct iub_buf_detach, reserved)), &g);

	memset(&g, 0, sizeof(g));
	g.c.port = self->adc;		/* ours: EALREADY, released, cancelled */
	check_fields(_metadata, self, &FIELDS(IUB_IOC_PORT_CLAIM,
		     struct iub_port_claim, flags, 0,
		     offsetof(struct iub_port_claim, reserved)), &g);
	check_fields(_metadata, self, &FIELDS(IUB_IOC_PORT_RELEASE,
		     struct iub_port_claim, flags, 0,
		     offsetof(struct iub_port_claim, reserved)), &g);
	check_fields(_metadata, self, &FIELDS(IUB_IOC_PORT_CANCEL,
		     struct iub_port_claim, flags, IUB_CANCEL_FLAGS,
		     offsetof(struct iub_port_claim, reserved)), &g);

	memset(&g, 0, sizeof(g));
	g.t = (struct iub_transfer){ .handle = self->h, .port = self->adc,
				     .length = 4096 };
	check_fields(_metadata, self, &FIELDS(IUB_IOC_TRANSFER,
		     struct iub_transfer, flags, IUB_XFER_FLAGS, -1), &g);
	g.t.port = self->dac;
	check_fields(_metadata, self, &FIELDS(IUB_IOC_TRANSFER,
		     struct iub_transfer, flags, IUB_XFER_FLAGS, -1), &g);

	memset(&g, 0, sizeof(g));
	g.r = (struct iub_route){ .handle = self->h, .from = self->adc,
				  .to = self->dac, .length = 4096 };
	check_fields(_metadata, self, &FIELDS(IUB_IOC_ROUTE, struct iub_route,
		     flags, IUB_ROUTE_FLAGS, -1), &g);

	/* nothing was released, detached or cancelled on the way */
	EXPECT_EQ(4096, xfer(self, self->h, self->adc, 0, 0, 4096));
	EXPECT_EQ(4096, xfer(self, self->h, self->dac, 0, 0, 4096));
}

/* A flag on a port kind it does not apply to (the USB kinds: usb-errors). */
TEST_F(f, flags_on_converter_ports)
{
	int port[2] = { self->adc, self->dac }, i;

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-EINVAL, xfer(self, self->h, port[i], IUB_XFER_ZLP, 0, 4096));
		EXPECT_EQ(-EINVAL, xfer(self, self->h, port[i],
					IUB_XFER_ZLP | IUB_XFER_NO_SYNC, 0, 4096));
	}
	EXPECT_EQ(-EINVAL, xfer(self, self->h, self->adc, IUB_XFER_CYCLIC, 0, 4096));
	EXPECT_EQ(-EINVAL, xfer(self, self->h, self->adc,
				IUB_XFER_CYCLIC | IUB_XFER_NO_SYNC, 0, 4096));
	/* the flags that do apply */
	EXPECT_EQ(4096, xfer(self, self->h, self->adc, IUB_XFER_NO_SYNC, 0, 4096));
	EXPECT_EQ(4096, xfer(self, self->h, self->dac, IUB_XFER_NO_SYNC, 0, 4096));
}

/* The range rules on both converter ports, at the edges of the buffer. */
TEST_F(f, range_on_converter_ports)
{
	int port[2] = { self->adc, self->dac }, i;
	struct iub_port_info info;

	for (i = 0; i < 2; i++) {
		int p = port[i];

		ASSERT_LE(0, iub_test_find_port(self->fd, i ? SIM_DAC0 : SIM_ADC0, &info));
		EXPECT_EQ(-EINVAL, xfer(self, self->h, p, 0, 0, 0));
		EXPECT_EQ(-EINVAL, xfer(self, self->h, p, 0, 65536, 4));
		EXPECT_EQ(-EINVAL, xfer(self, self->h, p, 0, 65536 - 4, 8));
		EXPECT_EQ(-EINVAL, xfer(self, self->h, p, 0, 0, 65536 + 4));
		EXPECT_EQ(-EINVAL, xfer(self, self->h, p, 0, 0xfffffffc, 8));
		EXPECT_EQ(-EINVAL, xfer(self, self->h, p, 0, 0xfffff000, 0x2000));
		if (info.align > 1) {
			EXPECT_EQ(-EINVAL, xfer(self, self->h, p, 0, info.align / 2, 4096));
			EXPECT_EQ(-EINVAL, xfer(self, self->h, p, 0, 0, 4096 - info.align / 2));
		}
		if (info.max_transfer <= UINT_MAX - info.align)
			EXPECT_EQ(-E2BIG, xfer(self, self->h, p, 0, 0,
					       info.max_transfer + info.align));
		/* the last byte is in range */
		EXPECT_EQ(4096, xfer(self, self->h, p, 0, 65536 - 4096, 4096));
		EXPECT_EQ(65536, xfer(self, self->h, p, 0, 0, 65536));
	}
}

/*
 * GET_PORTS with room for one entry less than there are ports: exactly
 * that many entries written, not a byte past them; with room for all, all.
 */
TEST_F(f, get_ports_exact_room)
{
	struct iub_query q = { 0 };
	struct iub_port_info *info;
	unsigned char *canary;
	int n, i;

	n = both(IUB_IOC_GET_PORTS, &q);
	ASSERT_LE(2, n);
	info = malloc((n + 1) * sizeof(*info));
	ASSERT_NE(NULL, info);
	memset(info, 0xa5, (n + 1) * sizeof(*info));
	q.data = (__u64)(unsigned long)info;
	q.size = (n - 1) * sizeof(*info);
	EXPECT_EQ(n, both(IUB_IOC_GET_PORTS, &q));
	for (i = 0; i < n - 1; i++) {
		EXPECT_NE(0, info[i].name[0]);
		EXPECT_EQ(0, info[i].name[IUB_PORT_NAME_LEN - 1]);
		EXPECT_NE(0, info[i].kind);
	}
	canary = (unsigned char *)&info[n - 1];
	for (i = 0; i < (int)(2 * sizeof(*info)); i++)
		if (canary[i] != 0xa5)
			break;
	EXPECT_EQ((int)(2 * sizeof(*info)), i)
		TH_LOG("byte %d past the room written", i);
	q.size = n * sizeof(*info);
	EXPECT_EQ(n, both(IUB_IOC_GET_PORTS, &q));
	EXPECT_NE(0, info[n - 1].name[0]);
	EXPECT_EQ(0xa5, ((unsigned char *)&info[n])[0]);
	free(info);
}

/*
 * With bounce buffering (the bounce lane) a system dma-heap buffer has
 * pieces larger than the device can map (the heap takes 1 MiB pieces
 * where it gets them; of 8 MiB, some surely): its exporter refuses the
 * mapping and the transfer fails with EIO, on both ports and both paths,
 * and the buffer keeps what the CPU wrote. Elsewhere it maps, and the case
 * does not apply.
 */
TEST_F(f, unmappable_buffer_is_eio)
{
	struct dmabuf big;
	int h, i, p;

	if (!dmabuf_bounced())
		SKIP(return, "no bounce buffering: every heap buffer maps");
	ASSERT_EQ(0, dmabuf_create(&big, DMABUF_HEAP, 8 << 20));
	memset(big.map, 0x5a, 8 << 20);
	h = iub_test_attach(self->fd, big.fd);
	ASSERT_LE(0, h);
	for (i = 0; i < 2; i++) {
		p = i ? self->dac : self->adc;
		EXPECT_EQ(-EIO, xfer(self, h, p, 0, 0, 4096));
	}
	for (i = 0; i < 8 << 20; i++)
		if (((unsigned char *)big.map)[i] != 0x5a)
			break;
	EXPECT_EQ(8 << 20, i) TH_LOG("byte %d changed", i);
	/* the other buffers are not affected */
	EXPECT_EQ(4096, xfer(self, self->h, self->adc, 0, 0, 4096));
	dmabuf_destroy(&big);
}

TEST_HARNESS_MAIN
