// SPDX-License-Identifier: GPL-2.0
/*
 * features: IUB_IOC_GET_FEATURES answers the same through ioctl() and
 * io_uring, and rejects bad query blocks with the documented errno.
 */
#include <stdlib.h>
#include <sys/ioctl.h>

#include "iub_harness.h"
#include "iub_test.h"

FIXTURE(dev) {
	int fd;
	struct io_uring ring;
};

FIXTURE_SETUP(dev)
{
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", IUB_DEVICE_PATH, strerror(errno));
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
}

FIXTURE_TEARDOWN(dev)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

/* both paths, same answer, sane content */
TEST_F(dev, same_answer_ioctl_and_uring)
{
	struct iub_features a, b;
	struct iub_query q = { .size = sizeof(a) };

	memset(&a, 0xee, sizeof(a));
	memset(&b, 0xdd, sizeof(b));
	q.data = (__u64)(unsigned long)&a;
	ASSERT_EQ((int)sizeof(a), iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, &q));
	q.data = (__u64)(unsigned long)&b;
	ASSERT_EQ((int)sizeof(b), iub_test_uring_cmd(&self->ring, self->fd,
						     IUB_IOC_GET_FEATURES, &q, sizeof(q)));
	ASSERT_EQ(0, memcmp(&a, &b, sizeof(a)));
	EXPECT_EQ(IUB_UAPI_VERSION, a.uapi_version);
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_TRUE(a.features & IUB_FEAT_URING_CMD);
	EXPECT_TRUE(a.features & IUB_FEAT_NOP);
	EXPECT_TRUE(a.features & IUB_FEAT_DMABUF);
	EXPECT_TRUE(a.features & IUB_FEAT_CONVERTER_PORTS);
	EXPECT_TRUE(a.features & IUB_FEAT_TRANSFER);
	EXPECT_TRUE(a.features & IUB_FEAT_CYCLIC);
	EXPECT_TRUE(a.features & IUB_FEAT_IMPLICIT_SYNC);
	EXPECT_TRUE(a.features & IUB_FEAT_USB_PORTS);
	EXPECT_TRUE(a.features & IUB_FEAT_ROUTE);
	EXPECT_TRUE(a.features & IUB_FEAT_PORT_EVENTS);
	EXPECT_TRUE(a.features & IUB_FEAT_STREAM);
	EXPECT_TRUE(a.features & IUB_FEAT_OVERRUNS);
	EXPECT_EQ(0, a.features >> 12);	/* no bit the header does not know */
	EXPECT_LT(0, a.max_buffers);
	EXPECT_LE(4, a.nr_ports);
	EXPECT_LT(0, a.max_inflight);
	EXPECT_EQ(0, a.reserved0);
	TH_LOG("uapi %u, features 0x%llx, max_inflight %u", a.uapi_version,
	       (unsigned long long)a.features, a.max_inflight);
}

/* a bigger buffer (newer program): the tail is cleared, result = our size */
TEST_F(dev, larger_buffer_is_cleared)
{
	unsigned char buf[200];
	struct iub_query q = { .data = (__u64)(unsigned long)buf, .size = sizeof(buf) };
	size_t i;

	memset(buf, 0xff, sizeof(buf));
	ASSERT_EQ((int)sizeof(struct iub_features),
		  iub_test_uring_cmd(&self->ring, self->fd, IUB_IOC_GET_FEATURES, &q, sizeof(q)));
	for (i = sizeof(struct iub_features); i < sizeof(buf); i++)
		ASSERT_EQ(0, buf[i]);
}

TEST_F(dev, size_too_small)
{
	struct iub_features f;
	struct iub_query q = { .data = (__u64)(unsigned long)&f,
			       .size = IUB_FEATURES_SIZE_VER1 - 1 };

	EXPECT_EQ(-EINVAL, iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, &q));
	EXPECT_EQ(-EINVAL, iub_test_uring_cmd(&self->ring, self->fd,
					      IUB_IOC_GET_FEATURES, &q, sizeof(q)));
	q.size = 0;
	EXPECT_EQ(-EINVAL, iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, &q));
}

TEST_F(dev, size_too_large)
{
	static unsigned char big[8192];
	struct iub_query q = { .data = (__u64)(unsigned long)big, .size = 4097 };

	EXPECT_EQ(-EINVAL, iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, &q));
	EXPECT_EQ(-EINVAL, iub_test_uring_cmd(&self->ring, self->fd,
					      IUB_IOC_GET_FEATURES, &q, sizeof(q)));
	q.size = 4096;
	EXPECT_EQ((int)sizeof(struct iub_features),
		  iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, &q));
}

TEST_F(dev, flags_must_be_zero)
{
	struct iub_features f;
	struct iub_query q = { .data = (__u64)(unsigned long)&f, .size = sizeof(f) };
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		q.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, &q));
		EXPECT_EQ(-EINVAL, iub_test_uring_cmd(&self->ring, self->fd,
						      IUB_IOC_GET_FEATURES, &q, sizeof(q)));
	}
}

TEST_F(dev, bad_output_address)
{
	struct iub_query q = { .data = 16, .size = sizeof(struct iub_features) };

	EXPECT_EQ(-EFAULT, iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, &q));
	EXPECT_EQ(-EFAULT, iub_test_uring_cmd(&self->ring, self->fd,
					      IUB_IOC_GET_FEATURES, &q, sizeof(q)));
	/* a kernel address is refused, not written */
	q.data = 0xffffffff81000000ULL;
	EXPECT_EQ(-EFAULT, iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, &q));
}

TEST_F(dev, bad_block_address)
{
	/* the ioctl's block itself cannot be read */
	EXPECT_EQ(-EFAULT, iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, (void *)16));
}

TEST_HARNESS_MAIN
