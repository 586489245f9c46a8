// SPDX-License-Identifier: GPL-2.0
/*
 * playback: DMABUFs go to the simulated DAC through the bridge; the DAC
 * verifies the stream it consumes. Wrong data is detected; cyclic playback
 * repeats a buffer until the port is cancelled, then ends with ECANCELED.
 */
#include <stdlib.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"
#include "../../sim/iub_sim_stream.h"

#define MiB (1024 * 1024)

FIXTURE(dac) {
	int fd;
	int port;
	struct io_uring ring;
};

FIXTURE_SETUP(dac)
{
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	self->port = iub_test_claim(self->fd, SIM_DAC0);
	ASSERT_LE(0, self->port);
	ASSERT_EQ(0, io_uring_queue_init(32, &self->ring, 0));
	sim_restore(SIM_CH_DAC0);
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
}

FIXTURE_TEARDOWN(dac)
{
	sim_restore(SIM_CH_DAC0);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

static void fill(struct __test_metadata *_metadata, struct dmabuf *b,
		 __u32 *next)
{
	ASSERT_EQ(0, dmabuf_sync(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	*next = iub_sim_stream_fill(b->map, b->size / 4, *next);
	ASSERT_EQ(0, dmabuf_sync(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
}

/* 256 MiB through 8 buffers in flight, refilled as they come back */
TEST_F(dac, verified_256m)
{
	const unsigned int n = 8;
	struct dmabuf bufs[8];
	int h[8];
	__u32 next = 0x10000000;
	size_t total = 256 * MiB, submitted = 0, done = 0;
	/* the heap's buffers must fit where every mapping bounces */
	size_t sz = dmabuf_heap_max() < MiB ? dmabuf_heap_max() : MiB;
	unsigned int i;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, dmabuf_create(&bufs[i], i % 2 ? DMABUF_HEAP : DMABUF_UDMABUF, sz));
		h[i] = iub_test_attach(self->fd, bufs[i].fd);
		ASSERT_LE(0, h[i]);
		fill(_metadata, &bufs[i], &next);
		ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, h[i],
						 self->port, 0, sz, 0, i));
		submitted += sz;
	}
	ASSERT_EQ((int)n, io_uring_submit(&self->ring));
	while (done < total) {
		__u64 ud = ~0ULL;

		ASSERT_EQ((int)sz, iub_test_wait_cqe(&self->ring, 10000, &ud));
		ASSERT_LT(ud, n);
		done += sz;
		if (submitted < total) {
			fill(_metadata, &bufs[ud], &next);
			ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, h[ud],
							 self->port, 0, sz, 0, ud));
			ASSERT_EQ(1, io_uring_submit(&self->ring));
			submitted += sz;
		}
	}
	EXPECT_EQ(total, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	for (i = 0; i < n; i++)
		dmabuf_destroy(&bufs[i]);
}

/* the DAC notices a corrupted word */
TEST_F(dac, wrong_data_detected)
{
	struct dmabuf b;
	struct iub_transfer t = { .port = self->port, .length = 65536 };
	__u32 next = 5;

	ASSERT_EQ(0, dmabuf_create(&b, DMABUF_UDMABUF, 65536));
	fill(_metadata, &b, &next);
	((__u32 *)b.map)[1000] ^= 0x100;
	t.handle = iub_test_attach(self->fd, b.fd);
	ASSERT_EQ(65536, iub_test_uring_cmd(&self->ring, self->fd, IUB_IOC_TRANSFER, &t, sizeof(t)));
	EXPECT_EQ(65536, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_LE(1, sim_get(SIM_CH_DAC0, "mismatches"));
	dmabuf_destroy(&b);
}

/* blocking ioctl playback */
TEST_F(dac, ioctl)
{
	struct dmabuf b;
	size_t sz = dmabuf_heap_max() < MiB ? dmabuf_heap_max() : MiB;
	struct iub_transfer t = { .port = self->port, .length = sz };
	__u32 next = 77;

	ASSERT_EQ(0, dmabuf_create(&b, DMABUF_HEAP, sz));
	t.handle = iub_test_attach(self->fd, b.fd);
	for (int i = 0; i < 8; i++) {
		fill(_metadata, &b, &next);
		ASSERT_EQ((int)sz, iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &t));
	}
	EXPECT_EQ(8 * sz, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	dmabuf_destroy(&b);
}

static void cyclic(struct __test_metadata *_metadata, FIXTURE_DATA(dac) *self,
		   size_t size)
{
	struct iub_port_claim c = { .port = self->port };
	unsigned long long passes;
	struct dmabuf b;
	int h, cancelled;
	__u32 next = 0;

	ASSERT_EQ(0, dmabuf_create(&b, DMABUF_UDMABUF, size));
	fill(_metadata, &b, &next);
	h = iub_test_attach(self->fd, b.fd);
	ASSERT_LE(0, h);
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, h, self->port,
					 0, size, IUB_XFER_CYCLIC, 42));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	/* it repeats: no CQE, and the DAC consumes many times the buffer */
	for (int t = 0; t < 500 && sim_get(SIM_CH_DAC0, "consumed_bytes") < 8 * size; t++)
		usleep(10000);
	EXPECT_LE(8 * size, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 50, NULL));

	cancelled = iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c);
	EXPECT_EQ(1, cancelled);
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 5000, NULL));
	/*
	 * Every pass played the buffer itself: the DAC's verifier sees at
	 * most one discontinuity per pass (where the bridge re-arms the
	 * range; it resynchronizes there), not words from elsewhere in
	 * memory.
	 */
	passes = sim_get(SIM_CH_DAC0, "consumed_bytes") / size + 1;
	EXPECT_GE(passes, sim_get(SIM_CH_DAC0, "mismatches"));
	dmabuf_destroy(&b);
}

/* one DMA segment: the channel's own cyclic descriptor */
TEST_F(dac, cyclic_one_segment)
{
	cyclic(_metadata, self, 4096);
}

/* many segments: the bridge re-arms the range after each pass */
TEST_F(dac, cyclic_scattered)
{
	cyclic(_metadata, self, MiB);
}

TEST_HARNESS_MAIN
