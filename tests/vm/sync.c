// SPDX-License-Identifier: GPL-2.0
/*
 * sync: implicit synchronization through the DMABUF's dma_resv. A CPU
 * reader that waits with poll() or DMA_BUF_IOCTL_SYNC sees only completed
 * capture data; a playback of a buffer still being captured waits for the
 * capture; IUB_XFER_NO_SYNC publishes no fence; what the CPU wrote after
 * the last transfer survives the unmap.
 */
#include <poll.h>
#include <stdlib.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"
#include "../../sim/iub_sim_stream.h"

#define SIZE (1024 * 1024)
/* 1 MiB at 4 MiB/s: the capture takes a quarter of a second */
#define SLOW_RATE (4 * 1024 * 1024)

FIXTURE(sync) {
	int fd;
	int adc, dac;
	struct io_uring ring;
	struct dmabuf b;
	int h;
};

FIXTURE_SETUP(sync)
{
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	self->adc = iub_test_claim(self->fd, SIM_ADC0);
	ASSERT_LE(0, self->adc);
	self->dac = iub_test_claim(self->fd, SIM_DAC0);
	ASSERT_LE(0, self->dac);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
	ASSERT_EQ(0, dmabuf_create(&self->b, DMABUF_UDMABUF, SIZE));
	self->h = iub_test_attach(self->fd, self->b.fd);
	ASSERT_LE(0, self->h);
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "rate", SLOW_RATE));
}

FIXTURE_TEARDOWN(sync)
{
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	dmabuf_destroy(&self->b);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

static void submit_capture(struct __test_metadata *_metadata,
			   FIXTURE_DATA(sync) *self, __u32 flags)
{
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->adc, 0, SIZE, flags, 1));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
}

static void expect_complete_stream(struct __test_metadata *_metadata,
				   struct dmabuf *b)
{
	struct iub_sim_stream_check c;

	iub_sim_stream_check_init(&c);
	EXPECT_EQ(0, iub_sim_stream_check_buf(&c, b->map, b->size))
		TH_LOG("word %llu: expected 0x%08x, got 0x%08x",
		       (unsigned long long)c.first_bad, c.first_expected, c.first_got);
}

TEST_F(sync, poll_waits_for_capture)
{
	struct pollfd p = { .fd = self->b.fd, .events = POLLIN };

	memset(self->b.map, 0, SIZE);
	submit_capture(_metadata, self, 0);
	/* our write fence is in the buffer: not readable yet */
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(1, poll(&p, 1, 5000));
	EXPECT_TRUE(p.revents & POLLIN);
	expect_complete_stream(_metadata, &self->b);
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, NULL));
}

TEST_F(sync, sync_ioctl_waits_for_capture)
{
	memset(self->b.map, 0, SIZE);
	submit_capture(_metadata, self, 0);
	ASSERT_EQ(0, dmabuf_sync(&self->b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	expect_complete_stream(_metadata, &self->b);
	ASSERT_EQ(0, dmabuf_sync(&self->b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, NULL));
}

/* the DAC reads the buffer only after the ADC has filled it */
TEST_F(sync, playback_waits_for_capture)
{
	__u64 ud1 = 0, ud2 = 0;

	memset(self->b.map, 0, SIZE);
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	submit_capture(_metadata, self, 0);
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->dac, 0, SIZE, 0, 2));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, &ud1));
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, &ud2));
	/*
	 * Both ended. Their CQEs may come in either order: the playback
	 * starts when the capture's fence signals, which is just before the
	 * capture's CQE is queued, and a fast DAC can overtake it. What the
	 * fence orders is the data: the DAC played the captured stream, not
	 * the zeros that were in the buffer before.
	 */
	EXPECT_EQ(3, ud1 + ud2);
	EXPECT_NE(ud1, ud2);
	EXPECT_EQ(SIZE, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
}

/* and a capture into a buffer being played waits for the playback */
TEST_F(sync, capture_waits_for_playback)
{
	__u64 ud1 = 0, ud2 = 0;
	__u32 next = 0;

	iub_sim_stream_fill(self->b.map, SIZE / 4, next);
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "rate", SLOW_RATE));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "rate", 0));
	/* two SQEs, one submission: the playback goes first */
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->dac, 0, SIZE, 0, 2));
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->adc, 0, SIZE, 0, 1));
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, &ud1));
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, &ud2));
	/* either CQE may come first, as above */
	EXPECT_EQ(3, ud1 + ud2);
	EXPECT_NE(ud1, ud2);
	/* the DAC got the original data intact */
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	expect_complete_stream(_metadata, &self->b);
}

/*
 * What the CPU writes after the last transfer survives the bridge's
 * unmap. Unmapping a mapping the device may write hands its bytes back
 * to the CPU (swiotlb copies the bounce buffer back unless the exporter
 * skips that, as udmabuf does and the system heap does not; a
 * non-coherent CPU invalidates its caches): the CPU's bytes must be what
 * comes back, not what the last capture left in the bounce buffer.
 */
static void cpu_writes_survive_detach(struct __test_metadata *_metadata,
				      enum dmabuf_kind kind)
{
	const size_t size = 256 * 1024;	/* what bounce buffering maps */
	struct iub_buf_detach d = { 0 };
	struct io_uring ring;
	const unsigned char *p;
	struct dmabuf b;
	int fd, adc, ret;
	size_t i;

	fd = iub_test_open();
	ASSERT_LE(0, fd);
	adc = iub_test_claim(fd, SIM_ADC0);
	ASSERT_LE(0, adc);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	ret = dmabuf_create(&b, kind, size);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", dmabuf_kind_name(kind), strerror(-ret));
	p = b.map;
	d.handle = iub_test_attach(fd, b.fd);
	ASSERT_LE(0, d.handle);
	sim_restore(SIM_CH_ADC0);

	ASSERT_EQ(0, iub_test_queue_xfer(&ring, fd, d.handle, adc, 0, size, 0, 1));
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(size, iub_test_wait_cqe(&ring, 5000, NULL));
	ASSERT_EQ(0, dmabuf_sync(&b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	expect_complete_stream(_metadata, &b);
	memset(b.map, 0x5a, size);
	ASSERT_EQ(0, dmabuf_sync(&b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	/* unmapped once the transfer, which held the buffer, is freed too */
	ASSERT_EQ(0, iub_test_ioctl(fd, IUB_IOC_BUF_DETACH, &d));
	for (i = 0; i < 250 && dmabuf_attachments(&b) > 0; i++)
		usleep(20000);
	ASSERT_EQ(0, dmabuf_attachments(&b));
	ASSERT_EQ(0, dmabuf_sync(&b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	for (i = 0; i < size && p[i] == 0x5a; i++)
		;
	EXPECT_EQ(size, i)
		TH_LOG("%s: byte %zu is 0x%02x after the detach, not the CPU's 0x5a",
		       dmabuf_kind_name(kind), i, p[i]);
	ASSERT_EQ(0, dmabuf_sync(&b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	dmabuf_destroy(&b);
	io_uring_queue_exit(&ring);
	close(fd);
}

TEST(cpu_writes_survive_detach_udmabuf)
{
	cpu_writes_survive_detach(_metadata, DMABUF_UDMABUF);
}

TEST(cpu_writes_survive_detach_heap)
{
	cpu_writes_survive_detach(_metadata, DMABUF_HEAP);
}

/* IUB_XFER_NO_SYNC: no fence, so poll() does not wait */
TEST_F(sync, no_sync_publishes_nothing)
{
	struct pollfd p = { .fd = self->b.fd, .events = POLLIN };

	submit_capture(_metadata, self, IUB_XFER_NO_SYNC);
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, NULL));
}

/* a failed transfer's fence carries the error: poll still returns */
TEST_F(sync, failed_transfer_signals_fence)
{
	struct pollfd p = { .fd = self->b.fd, .events = POLLIN };

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	submit_capture(_metadata, self, 0);
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_EQ(-EIO, iub_test_wait_cqe(&self->ring, 5000, NULL));
}

TEST_HARNESS_MAIN
