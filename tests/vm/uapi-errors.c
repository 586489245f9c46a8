// SPDX-License-Identifier: GPL-2.0
/*
 * uapi-errors: unknown commands fail with ENOTTY and bad fields with EINVAL,
 * through ioctl() and io_uring alike.
 */
#include <limits.h>
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
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
}

FIXTURE_TEARDOWN(dev)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

/* the fixture's file, through ioctl() and io_uring: one result */
#define both(op, block) iub_test_both(self->fd, &self->ring, (op), (block))

TEST_F(dev, unknown_numbers)
{
	unsigned char block[IUB_CMD_SIZE_MAX] = { 0 };
	unsigned int nr;

	/* numbers past the table */
	for (nr = _IOC_NR(IUB_IOC_STREAM) + 1; nr < 256; nr++)
		EXPECT_EQ(-ENOTTY, both(_IOW(IUB_IOC_MAGIC, nr, struct iub_nop), block));
	/* another type */
	EXPECT_EQ(-ENOTTY, both(_IOW(IUB_IOC_MAGIC + 1, 1, struct iub_nop), block));
	/* a known number with the wrong size or direction */
	EXPECT_EQ(-ENOTTY, both(_IOW(IUB_IOC_MAGIC, 1, __u64), block));
	EXPECT_EQ(-ENOTTY, both(_IOR(IUB_IOC_MAGIC, 1, struct iub_nop), block));
	EXPECT_EQ(-ENOTTY, both(_IOWR(IUB_IOC_MAGIC, 0, struct iub_query), block));
	EXPECT_EQ(-ENOTTY, both(_IO(IUB_IOC_MAGIC, 0), block));
	/* a generic ioctl that is not ours */
	EXPECT_EQ(-ENOTTY, iub_test_ioctl(self->fd, TCGETS, block));
}

TEST_F(dev, nop_reserved_must_be_zero)
{
	struct iub_nop n = { 0 };
	unsigned int bit;

	for (bit = 0; bit < 64; bit++) {
		n.reserved = 1ULL << bit;
		EXPECT_EQ(-EINVAL, both(IUB_IOC_NOP, &n));
	}
}

TEST_F(dev, nop_unknown_flags)
{
	struct iub_nop n = { 0 };
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		if ((1u << bit) & IUB_NOP_FLAGS)
			continue;
		n.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, both(IUB_IOC_NOP, &n));
	}
	n.flags = IUB_NOP_ASYNC | IUB_NOP_PARK;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_NOP, &n));
}

TEST_F(dev, nop_value_range)
{
	struct iub_nop n = { .value = INT_MAX };

	EXPECT_EQ(INT_MAX, both(IUB_IOC_NOP, &n));
	n.value = (__u32)INT_MAX + 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_NOP, &n));
	n.value = UINT_MAX;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_NOP, &n));
}

/* a ring with 128-byte SQEs carries the same 16-byte blocks */
TEST(sqe128_ring)
{
	struct iub_nop n = { .value = 5 };
	struct io_uring ring;
	int fd = iub_test_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, IORING_SETUP_SQE128));
	EXPECT_EQ(5, iub_test_uring_cmd(&ring, fd, IUB_IOC_NOP, &n, sizeof(n)));
	n.reserved = 1;
	EXPECT_EQ(-EINVAL, iub_test_uring_cmd(&ring, fd, IUB_IOC_NOP, &n, sizeof(n)));
	io_uring_queue_exit(&ring);
	close(fd);
}

TEST_HARNESS_MAIN
