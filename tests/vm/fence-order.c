// SPDX-License-Identifier: GPL-2.0
/*
 * fence-order: a port's fences signal in submission order on every path,
 * and a transfer does not ignore an error of the fence it waited for.
 * dma_resv_add_fence() replaces an older fence of the same context, so a
 * later transfer's fence that signals first tells implicit sync that the
 * earlier one's data is there when it is not. Each transfer ends (fence,
 * then CQE) in one step, so the CQE order is the fence order; the buffers
 * are also checked with poll() inside each window.
 *
 * Converter ports only: the simulated DAC (channel 2) is stalled so that
 * a transfer stays running on it; a transfer waits behind it for the
 * fence of a stalled capture on the simulated ADC (channel 0).
 */
#include <poll.h>
#include <unistd.h>

#include "iub_harness.h"
#include "iub_test.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define SIZE 65536

FIXTURE(order)
{
	int fd, adc, dac;
	struct io_uring ring;
	struct dmabuf b[3];
	int h[3];
};

FIXTURE_SETUP(order)
{
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	self->adc = iub_test_claim(self->fd, SIM_ADC0);
	self->dac = iub_test_claim(self->fd, SIM_DAC0);
	ASSERT_LE(0, self->adc);
	ASSERT_LE(0, self->dac);
	ASSERT_EQ(0, io_uring_queue_init(16, &self->ring, 0));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, dmabuf_create(&self->b[i], DMABUF_UDMABUF, SIZE));
		self->h[i] = iub_test_attach(self->fd, self->b[i].fd);
		ASSERT_LE(0, self->h[i]);
	}
}

FIXTURE_TEARDOWN(order)
{
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
	for (int i = 0; i < 3; i++)
		dmabuf_destroy(&self->b[i]);
}

/* whether all fences of @b have signalled (POLLOUT: readers and writers) */
static int idle(struct dmabuf *b)
{
	struct pollfd p = { .fd = b->fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1;
}

static void submit(struct __test_metadata *_metadata, FIXTURE_DATA(order) *self,
		   int buf, int port, __u64 ud)
{
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h[buf],
					 port, 0, SIZE, 0, ud));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
}

static int port_cmd(int fd, unsigned long op, int port)
{
	struct iub_port_claim c = { .port = port };

	return iub_test_ioctl(fd, op, &c);
}

/*
 * Running A (b0, DAC stalled), then B waiting for a capture into b1:
 * PORT_CANCEL stops the hardware and ends A before B.
 */
TEST_F(order, cancel_ends_running_before_pending)
{
	__u64 ud = 0;
	int res;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	submit(_metadata, self, 0, self->dac, 1);
	submit(_metadata, self, 1, self->adc, 10);
	submit(_metadata, self, 1, self->dac, 2);
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));
	EXPECT_FALSE(idle(&self->b[0]));

	EXPECT_EQ(2, port_cmd(self->fd, IUB_IOC_PORT_CANCEL, self->dac));
	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(1, ud) TH_LOG("the waiting transfer ended before the running one");
	EXPECT_EQ(-ECANCELED, res);
	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(2, ud);
	EXPECT_EQ(-ECANCELED, res);
	EXPECT_TRUE(idle(&self->b[0]));

	EXPECT_EQ(1, port_cmd(self->fd, IUB_IOC_PORT_CANCEL, self->adc));
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 5000, &ud));
	EXPECT_EQ(10, ud);
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "consumed_bytes"));
}

/*
 * Running A (b0, DAC stalled), then a route ADC -> DAC on b1 whose first
 * stage fails: its second stage, behind A on the DAC, does not end (nor
 * signal) before A.
 */
TEST_F(order, failed_start_waits_for_running)
{
	struct io_uring_sqe *sqe;
	struct iub_route r = {
		.handle = self->h[1], .from = self->adc, .to = self->dac,
		.length = SIZE,
	};
	__u64 ud = 0;
	int res;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 1));
	submit(_metadata, self, 0, self->dac, 1);
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	ASSERT_EQ(0, iub_prep_cmd(sqe, self->fd, IUB_IOC_ROUTE, &r, sizeof(r)));
	sqe->user_data = 2;
	ASSERT_EQ(1, io_uring_submit(&self->ring));

	res = iub_test_wait_cqe(&self->ring, 1000, &ud);
	EXPECT_EQ(-ETIME, res) TH_LOG("CQE %llu (%d) while the DAC still plays b0",
				      (unsigned long long)ud, res);
	EXPECT_FALSE(idle(&self->b[0]));

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 0));
	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	if (ud == 1) {
		EXPECT_EQ(SIZE, res);
		res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	}
	EXPECT_EQ(2, ud);
	EXPECT_EQ(-EIO, res);
	EXPECT_EQ(SIZE, sim_get(SIM_CH_DAC0, "consumed_bytes"));
}

/*
 * A playback that waits for a capture into the same buffer, which then
 * fails: the playback ends with the capture's error and plays nothing.
 */
TEST_F(order, waited_fence_error_is_not_ignored)
{
	__u64 ud = 0;
	int res;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	submit(_metadata, self, 2, self->adc, 1);
	submit(_metadata, self, 2, self->dac, 2);
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 0));

	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(1, ud);
	EXPECT_EQ(-EIO, res);
	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(2, ud);
	EXPECT_EQ(-EIO, res) TH_LOG("the playback ignored its buffer's failed capture");
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "consumed_bytes"));
}

/*
 * A capture cancelled by io_uring (its ring's exit: IO_URING_F_CANCEL, not
 * PORT_CANCEL) ends with ECANCELED, and so does its fence: the playback
 * that waited for it on another ring ends with that error.
 */
TEST_F(order, cancelled_capture_error_reaches_waiter)
{
	struct io_uring ring2;
	__u64 ud = 0;
	int res;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring2, 0));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	ASSERT_EQ(0, iub_test_queue_xfer(&ring2, self->fd, self->h[2],
					 self->adc, 0, SIZE, 0, 1));
	ASSERT_EQ(1, io_uring_submit(&ring2));
	submit(_metadata, self, 2, self->dac, 2);
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));
	io_uring_queue_exit(&ring2);

	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(2, ud);
	EXPECT_EQ(-ECANCELED, res) TH_LOG("the playback did not end with the cancelled capture's error");
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "consumed_bytes"));
}

/*
 * A cyclic playback of several segments, which the bridge repeats itself:
 * a transfer queued behind it on the DAC does not play between its
 * passes (and signal first); it waits until the cyclic one is cancelled,
 * and ends after it.
 */
TEST_F(order, nothing_between_cyclic_passes)
{
	__u64 ud = 0;
	int res;

	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h[0],
					 self->dac, 0, SIZE, IUB_XFER_CYCLIC, 1));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	usleep(200000);
	submit(_metadata, self, 1, self->dac, 2);
	res = iub_test_wait_cqe(&self->ring, 1000, &ud);
	EXPECT_EQ(-ETIME, res) TH_LOG("CQE %llu (%d) while the cyclic playback runs",
				      (unsigned long long)ud, res);
	EXPECT_FALSE(idle(&self->b[1]));

	EXPECT_EQ(2, port_cmd(self->fd, IUB_IOC_PORT_CANCEL, self->dac));
	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(1, ud);
	EXPECT_EQ(-ECANCELED, res);
	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(2, ud);
	EXPECT_EQ(-ECANCELED, res);
}

/*
 * A fence must signal in finite time: a cyclic playback, which ends only
 * when cancelled, publishes none (a writer of its buffer does not wait
 * for it forever), while a plain playback does.
 */
TEST_F(order, cyclic_publishes_no_fence)
{
	__u64 ud = 0;

	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h[0],
					 self->dac, 0, SIZE, IUB_XFER_CYCLIC, 1));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	usleep(200000);
	EXPECT_TRUE(idle(&self->b[0])) TH_LOG("the cyclic playback published a fence");
	EXPECT_EQ(1, port_cmd(self->fd, IUB_IOC_PORT_CANCEL, self->dac));
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 5000, &ud));

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 1));
	submit(_metadata, self, 0, self->dac, 2);
	usleep(200000);
	EXPECT_FALSE(idle(&self->b[0]));
	EXPECT_EQ(1, port_cmd(self->fd, IUB_IOC_PORT_CANCEL, self->dac));
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 5000, &ud));
	EXPECT_TRUE(idle(&self->b[0]));
}

TEST_HARNESS_MAIN
