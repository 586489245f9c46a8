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
 * An error also reaches whoever reads the fence through a sync_file.
 *
 * Converter ports only: the simulated DAC (channel 2) is stalled so that
 * a transfer stays running on it; a transfer waits behind it for the
 * fence of a stalled capture on the simulated ADC (channel 0).
 */
#include <poll.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>

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
	int got[2] = { 1, 1 };
	__u64 ud = 0;
	int res;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	submit(_metadata, self, 2, self->adc, 1);
	submit(_metadata, self, 2, self->dac, 2);
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 0));

	/* two ports: the CQEs come in no set order (uapi.rst) */
	for (int i = 0; i < 2; i++) {
		res = iub_test_wait_cqe(&self->ring, 5000, &ud);
		ASSERT_TRUE(ud == 1 || ud == 2) TH_LOG("CQE %llu (%d)",
						       (unsigned long long)ud, res);
		got[ud - 1] = res;
	}
	EXPECT_EQ(-EIO, got[0]);
	EXPECT_EQ(-EIO, got[1]) TH_LOG("the playback ignored its buffer's failed capture");
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

/*
 * Transfers queued on a port behind one that waits for a fence keep their
 * order: a playback of b1 waits for a stalled capture into b1, and the
 * playback of b2 after it (no fence to wait for) neither plays nor ends
 * first; once the capture ends, all three end in order.
 */
TEST_F(order, queued_behind_a_waiting_transfer)
{
	__u64 ud = 0;
	int res;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	submit(_metadata, self, 1, self->adc, 10);
	submit(_metadata, self, 1, self->dac, 1);
	submit(_metadata, self, 2, self->dac, 2);
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 500, &ud))
		TH_LOG("CQE %llu while the capture it waits for is stalled",
		       (unsigned long long)ud);
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_FALSE(idle(&self->b[2]));

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 0));
	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(SIZE, res);
	if (ud == 10)
		res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(1, ud);
	EXPECT_EQ(SIZE, res);
	res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	if (ud == 10)
		res = iub_test_wait_cqe(&self->ring, 5000, &ud);
	EXPECT_EQ(2, ud);
	EXPECT_EQ(SIZE, res);
	EXPECT_EQ(2 * SIZE, sim_get(SIM_CH_DAC0, "consumed_bytes"));
}

/* status of a sync_file: 1 signalled, 0 not yet, -errno its error */
static int sync_file_status(int sfd)
{
	struct sync_file_info info = { 0 };

	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &info))
		return -1000 - errno;
	return info.status;
}

/*
 * The error a transfer ends with is the error of its fence, as any other
 * driver or process reads it: through a sync_file exported from the
 * DMABUF while the transfer runs. A capture that fails carries EIO, a
 * cancelled playback ECANCELED, a good one none.
 */
TEST_F(order, fence_error_in_exported_sync_file)
{
	struct dma_buf_export_sync_file e = { .flags = DMA_BUF_SYNC_WRITE };
	struct pollfd p = { .events = POLLIN };
	int sfd[3], i;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 1));
	submit(_metadata, self, 0, self->adc, 1);
	submit(_metadata, self, 1, self->dac, 2);
	for (i = 0; i < 2; i++) {
		e.fd = -1;
		ASSERT_EQ(0, ioctl(self->b[i].fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e));
		sfd[i] = e.fd;
		EXPECT_EQ(0, sync_file_status(sfd[i]));
	}

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 0));
	EXPECT_EQ(-EIO, iub_test_wait_cqe(&self->ring, 5000, NULL));
	EXPECT_EQ(1, port_cmd(self->fd, IUB_IOC_PORT_CANCEL, self->dac));
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 5000, NULL));
	for (i = 0; i < 2; i++) {
		p.fd = sfd[i];
		EXPECT_EQ(1, poll(&p, 1, 5000));
	}
	EXPECT_EQ(-EIO, sync_file_status(sfd[0]));
	EXPECT_EQ(-ECANCELED, sync_file_status(sfd[1]));

	/* and a transfer that went well leaves a fence without error */
	submit(_metadata, self, 2, self->dac, 3);	/* the DAC still stalls */
	e.fd = -1;
	ASSERT_EQ(0, ioctl(self->b[2].fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e));
	sfd[2] = e.fd;
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 0));
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, NULL));
	p.fd = sfd[2];
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_EQ(1, sync_file_status(sfd[2]));
	for (i = 0; i < 3; i++)
		close(sfd[i]);
}

/*
 * A transfer that io_uring cancels (its ring exits) cancels its whole
 * port: the other ring's transfer on the port ends
 * with ECANCELED too, and the cancelled one's fence carries ECANCELED.
 */
TEST_F(order, ring_exit_cancels_the_port_with_ecanceled)
{
	struct dma_buf_export_sync_file e = { .flags = DMA_BUF_SYNC_WRITE, .fd = -1 };
	struct pollfd p = { .events = POLLIN };
	struct io_uring ring2;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring2, 0));
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 1));
	ASSERT_EQ(0, iub_test_queue_xfer(&ring2, self->fd, self->h[0], self->dac,
					 0, SIZE, 0, 1));
	ASSERT_EQ(1, io_uring_submit(&ring2));
	submit(_metadata, self, 1, self->dac, 2);
	ASSERT_EQ(0, ioctl(self->b[0].fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));

	io_uring_queue_exit(&ring2);
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 5000, NULL));
	p.fd = e.fd;
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_EQ(-ECANCELED, sync_file_status(e.fd));
	close(e.fd);
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "consumed_bytes"));
}

TEST_HARNESS_MAIN
