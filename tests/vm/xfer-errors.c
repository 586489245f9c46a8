// SPDX-License-Identifier: GPL-2.0
/*
 * xfer-errors: every rejection of the DMABUF, port and transfer commands
 * has its documented errno (Documentation/uapi.rst), through ioctl() and
 * io_uring alike, and a rejected command changes nothing.
 */
#include <limits.h>
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

/* the same command both ways: both results must agree */
static int both(struct __test_metadata *_metadata, FIXTURE_DATA(f) *self,
		unsigned long op, const void *block)
{
	unsigned char a[16], b[16];
	int r1, r2;

	memcpy(a, block, 16);
	memcpy(b, block, 16);
	r1 = iub_test_ioctl(self->fd, op, a);
	r2 = iub_test_uring_cmd(&self->ring, self->fd, op, b, 16);
	EXPECT_EQ(r1, r2) TH_LOG("op 0x%lx: ioctl %d, io_uring %d", op, r1, r2);
	return r1;
}

static int xfer(struct __test_metadata *_metadata, FIXTURE_DATA(f) *self,
		int handle, int port, __u32 flags, __u32 off, __u32 len)
{
	struct iub_transfer t = { .handle = handle, .port = port, .flags = flags,
				  .offset = off, .length = len };

	return both(_metadata, self, IUB_IOC_TRANSFER, &t);
}

TEST_F(f, attach_errors)
{
	struct iub_buf_attach a = { .fd = -1 };
	int null = open("/dev/null", O_RDONLY);

	EXPECT_EQ(-EBADF, iub_test_ioctl(self->fd, IUB_IOC_BUF_ATTACH, &a));
	a.fd = null;
	EXPECT_EQ(-EBADF, iub_test_ioctl(self->fd, IUB_IOC_BUF_ATTACH, &a));
	a.fd = self->b.fd;
	a.flags = 1;
	EXPECT_EQ(-EINVAL, iub_test_ioctl(self->fd, IUB_IOC_BUF_ATTACH, &a));
	a.flags = 0;
	a.reserved = 1ULL << 63;
	EXPECT_EQ(-EINVAL, iub_test_ioctl(self->fd, IUB_IOC_BUF_ATTACH, &a));
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
	EXPECT_EQ(-EEXIST, both(_metadata, self, IUB_IOC_BUF_ATTACH, &a));
	/* another fd of the same DMABUF is the same DMABUF */
	a.fd = dupfd;
	EXPECT_EQ(-EEXIST, both(_metadata, self, IUB_IOC_BUF_ATTACH, &a));
	EXPECT_LE(0, iub_test_attach(fd2, self->b.fd));
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
	self->h = iub_test_attach(self->fd, dupfd);
	EXPECT_LE(0, self->h);
	EXPECT_EQ(-EEXIST, iub_test_attach(self->fd, self->b.fd));
	/* and the handle works */
	EXPECT_EQ(4096, xfer(_metadata, self, self->h, self->adc, 0, 0, 4096));
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
	EXPECT_EQ(4096, xfer(_metadata, self, self->h, self->adc, 0, 0, 4096));
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
	EXPECT_EQ(4096, xfer(_metadata, self, self->h, self->dac, 0, 0, 4096));
	EXPECT_EQ(2, dmabuf_attachments(&self->b));
	close(fd2);
	EXPECT_EQ(2, dmabuf_attachments(&self->b));
}

TEST_F(f, detach_errors)
{
	struct iub_buf_detach d = { .handle = self->h + 100 };

	EXPECT_EQ(-ENOENT, both(_metadata, self, IUB_IOC_BUF_DETACH, &d));
	d.handle = self->h;
	d.flags = 2;
	EXPECT_EQ(-EINVAL, both(_metadata, self, IUB_IOC_BUF_DETACH, &d));
	d.flags = 0;
	d.reserved = 1;
	EXPECT_EQ(-EINVAL, both(_metadata, self, IUB_IOC_BUF_DETACH, &d));
	d.reserved = 0;
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
	EXPECT_EQ(-ENOENT, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
	/* and a transfer on it is now refused */
	EXPECT_EQ(-ENOENT, xfer(_metadata, self, self->h, self->adc, 0, 0, 4096));
}

TEST_F(f, get_ports_errors)
{
	struct iub_port_info info[4];
	struct iub_query q = { .data = (__u64)(unsigned long)info };
	int n;

	/* size 0: just the count */
	n = both(_metadata, self, IUB_IOC_GET_PORTS, &q);
	EXPECT_LE(4, n);
	q.size = sizeof(info[0]) + 1;
	EXPECT_EQ(-EINVAL, both(_metadata, self, IUB_IOC_GET_PORTS, &q));
	q.size = 257 * sizeof(info[0]);
	EXPECT_EQ(-EINVAL, both(_metadata, self, IUB_IOC_GET_PORTS, &q));
	q.size = sizeof(info);
	q.flags = 1;
	EXPECT_EQ(-EINVAL, both(_metadata, self, IUB_IOC_GET_PORTS, &q));
	q.flags = 0;
	q.data = 16;
	EXPECT_EQ(-EFAULT, both(_metadata, self, IUB_IOC_GET_PORTS, &q));
	/* the count does not depend on the room given */
	q.data = (__u64)(unsigned long)info;
	q.size = sizeof(info[0]);
	EXPECT_EQ(n, both(_metadata, self, IUB_IOC_GET_PORTS, &q));
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
	EXPECT_EQ(0, memcmp(i.reserved, (char[16]){ 0 }, 16));
	close(fd2);
}

TEST_F(f, claim_errors)
{
	struct iub_port_claim c = { .port = 60000 };
	int fd2 = iub_test_open(), absent = iub_test_find_port(self->fd, SIM_ABSENT, NULL);

	ASSERT_LE(0, fd2);
	EXPECT_EQ(-ENODEV, both(_metadata, self, IUB_IOC_PORT_CLAIM, &c));
	c.port = self->adc;
	EXPECT_EQ(-EALREADY, both(_metadata, self, IUB_IOC_PORT_CLAIM, &c));
	EXPECT_EQ(-EBUSY, iub_test_ioctl(fd2, IUB_IOC_PORT_CLAIM, &c));
	c.flags = 1;
	EXPECT_EQ(-EINVAL, both(_metadata, self, IUB_IOC_PORT_CLAIM, &c));
	c.flags = 0;
	c.reserved = 1;
	EXPECT_EQ(-EINVAL, both(_metadata, self, IUB_IOC_PORT_CLAIM, &c));
	c.reserved = 0;
	ASSERT_LE(0, absent);
	c.port = absent;
	EXPECT_EQ(-ENXIO, both(_metadata, self, IUB_IOC_PORT_CLAIM, &c));
	/* release: not ours, unknown, flags */
	c.port = self->adc;
	EXPECT_EQ(-EPERM, iub_test_ioctl(fd2, IUB_IOC_PORT_RELEASE, &c));
	EXPECT_EQ(-EPERM, iub_test_ioctl(fd2, IUB_IOC_PORT_CANCEL, &c));
	c.port = 60000;
	EXPECT_EQ(-ENODEV, both(_metadata, self, IUB_IOC_PORT_RELEASE, &c));
	EXPECT_EQ(-ENODEV, both(_metadata, self, IUB_IOC_PORT_CANCEL, &c));
	c.port = self->adc;
	c.flags = 4;
	EXPECT_EQ(-EINVAL, both(_metadata, self, IUB_IOC_PORT_RELEASE, &c));
	EXPECT_EQ(-EINVAL, both(_metadata, self, IUB_IOC_PORT_CANCEL, &c));
	c.flags = 0;
	/* an idle port: cancel ends nothing */
	EXPECT_EQ(0, both(_metadata, self, IUB_IOC_PORT_CANCEL, &c));
	/* released, the other file can have it; then this one cannot */
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_PORT_RELEASE, &c));
	EXPECT_EQ(-EPERM, xfer(_metadata, self, self->h, self->adc, 0, 0, 4096));
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
		EXPECT_EQ(-EINVAL, xfer(_metadata, self, self->h, self->adc, 1u << bit, 0, 4096));
	/* cyclic capture */
	EXPECT_EQ(-EINVAL, xfer(_metadata, self, self->h, self->adc, IUB_XFER_CYCLIC, 0, 4096));
	/* port: unknown, not claimed */
	EXPECT_EQ(-ENODEV, xfer(_metadata, self, self->h, 60000, 0, 0, 4096));
	EXPECT_EQ(-EPERM, xfer(_metadata, self, self->h,
			       iub_test_find_port(self->fd, SIM_ADC1, NULL), 0, 0, 4096));
	/* handle */
	EXPECT_EQ(-ENOENT, xfer(_metadata, self, self->h + 1, self->adc, 0, 0, 4096));
	/* range: empty, misaligned, past the end, too long */
	EXPECT_EQ(-EINVAL, xfer(_metadata, self, self->h, self->adc, 0, 0, 0));
	EXPECT_EQ(-EINVAL, xfer(_metadata, self, self->h, self->adc, 0, 2, 4096));
	EXPECT_EQ(-EINVAL, xfer(_metadata, self, self->h, self->adc, 0, 0, 4094));
	EXPECT_EQ(-EINVAL, xfer(_metadata, self, self->h, self->adc, 0, 4096, 65536));
	EXPECT_EQ(-EINVAL, xfer(_metadata, self, self->h, self->adc, 0, 0xfffffffc, 8));
	EXPECT_EQ(-E2BIG, xfer(_metadata, self, self->h, self->adc, 0, 0, 0x80000000));
	/* none of this moved data or counted errors: a good one still works */
	EXPECT_EQ(4096, xfer(_metadata, self, self->h, self->adc, 0, 65536 - 4096, 4096));
}

TEST_HARNESS_MAIN
