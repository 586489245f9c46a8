// SPDX-License-Identifier: GPL-2.0
/*
 * route-errors: a route reports the stage that failed (32-byte CQE), the
 * routes around a failed one are unaffected, cancellation ends a route
 * once, every invalid route is refused up front, and nothing leaks.
 */
#include <stdlib.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define N 8
#define SIZE (64 * 1024)

FIXTURE(r) {
	int baseline;
	int fd, adc, dac;
	struct io_uring ring;
	struct dmabuf b[N];
	int h[N];
};

FIXTURE_SETUP(r)
{
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	self->baseline = dmabuf_count();
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	self->adc = iub_test_claim(self->fd, SIM_ADC0);
	self->dac = iub_test_claim(self->fd, SIM_DAC0);
	ASSERT_LE(0, self->adc);
	ASSERT_LE(0, self->dac);
	ASSERT_EQ(0, io_uring_queue_init(32, &self->ring, IORING_SETUP_CQE32));
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(0, dmabuf_create(&self->b[i], DMABUF_UDMABUF, SIZE));
		self->h[i] = iub_test_attach(self->fd, self->b[i].fd);
		ASSERT_LE(0, self->h[i]);
	}
}

FIXTURE_TEARDOWN(r)
{
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
	for (int i = 0; i < N; i++)
		dmabuf_destroy(&self->b[i]);
	EXPECT_EQ(self->baseline, dmabuf_count_settle(self->baseline, 3000));
}

static void submit_routes(struct __test_metadata *_metadata,
			  FIXTURE_DATA(r) *self, int from, int to)
{
	for (int i = 0; i < N; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);

		ASSERT_NE(NULL, sqe);
		iub_prep_route(sqe, self->fd, self->h[i], from, to, 0, SIZE, 0);
		sqe->user_data = i;
	}
	ASSERT_EQ(N, io_uring_submit(&self->ring));
}

/* the fixture's file, through ioctl() and io_uring: one result */
#define both(op, block) iub_test_both(self->fd, &self->ring, (op), (block))

/* reap one CQE: its result, user_data and route info */
static int reap(FIXTURE_DATA(r) *self, __u64 *ud, __u64 *info)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = 5 };
	int res;

	if (io_uring_wait_cqe_timeout(&self->ring, &cqe, &ts))
		return -ETIME;
	res = cqe->res;
	*ud = cqe->user_data;
	*info = cqe->big_cqe[0];
	io_uring_cqe_seen(&self->ring, cqe);
	return res;
}

TEST_F(r, good_routes_report_both_stages)
{
	__u64 ud, info;

	submit_routes(_metadata, self, self->adc, self->dac);
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(SIZE, reap(self, &ud, &info));
		EXPECT_EQ((__u64)i, ud);
		EXPECT_EQ(0, IUB_ROUTE_INFO_STAGE(info));
		EXPECT_EQ(SIZE, IUB_ROUTE_INFO_BYTES(info));
	}
}

/*
 * The ADC ends the first stage early (its engine's residue): the second
 * stage plays exactly the bytes captured, the route reports them. 9 KiB
 * short: the cut falls inside a page, so the last segment kept is
 * shortened, not only dropped.
 */
#define CUT 9216
TEST_F(r, short_first_stage_passes_its_bytes_on)
{
	struct io_uring_sqe *sqe;
	__u64 ud = 0, info;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "short_next", CUT));
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	iub_prep_route(sqe, self->fd, self->h[0], self->adc, self->dac, 0, SIZE, 0);
	sqe->user_data = 1;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(SIZE - CUT, reap(self, &ud, &info));
	EXPECT_EQ(1, ud);
	EXPECT_EQ(0, IUB_ROUTE_INFO_STAGE(info));
	EXPECT_EQ(SIZE - CUT, IUB_ROUTE_INFO_BYTES(info));
	EXPECT_EQ(SIZE - CUT, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));

	/*
	 * The same range again, whole: the cut was the transfer's own, the
	 * range's segment table (shared, cached with the mapping) is whole.
	 */
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	iub_prep_route(sqe, self->fd, self->h[0], self->adc, self->dac, 0, SIZE, 0);
	sqe->user_data = 2;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(SIZE, reap(self, &ud, &info));
	EXPECT_EQ(2, ud);
	EXPECT_EQ(2 * SIZE - CUT, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
}

/* the first stage fails: stage 1, the second never runs, others fine */
TEST_F(r, first_stage_error)
{
	unsigned long long consumed;
	__u64 ud, info;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	submit_routes(_metadata, self, self->adc, self->dac);
	EXPECT_EQ(-EIO, reap(self, &ud, &info));
	EXPECT_EQ(0, ud);
	EXPECT_EQ(1, IUB_ROUTE_INFO_STAGE(info));
	EXPECT_EQ(0, IUB_ROUTE_INFO_BYTES(info));
	for (int i = 1; i < N; i++) {
		EXPECT_EQ(SIZE, reap(self, &ud, &info));
		EXPECT_EQ((__u64)i, ud);
	}
	/* the DAC played only the good buffers */
	consumed = sim_get(SIM_CH_DAC0, "consumed_bytes");
	EXPECT_EQ((N - 1) * SIZE, consumed);
}

/* the second stage fails: stage 2, with the first stage's bytes */
TEST_F(r, second_stage_error)
{
	__u64 ud, info;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "fail_next", 1));
	submit_routes(_metadata, self, self->adc, self->dac);
	EXPECT_EQ(-EIO, reap(self, &ud, &info));
	EXPECT_EQ(2, IUB_ROUTE_INFO_STAGE(info));
	EXPECT_EQ(SIZE, IUB_ROUTE_INFO_BYTES(info));
	for (int i = 1; i < N; i++) {
		EXPECT_EQ(SIZE, reap(self, &ud, &info));
	}
}

/* a stalled first stage, then a cancel of its port: every route ends once */
TEST_F(r, cancel_stalled_routes)
{
	struct iub_port_claim c = { .port = self->adc };
	__u64 ud, info;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	submit_routes(_metadata, self, self->adc, self->dac);
	EXPECT_EQ(-ETIME, reap(self, &ud, &info) == -ETIME ? -ETIME : 0);
	EXPECT_EQ(N, iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c));
	for (int i = 0; i < N; i++) {
		EXPECT_EQ(-ECANCELED, reap(self, &ud, &info));
		EXPECT_EQ(1, IUB_ROUTE_INFO_STAGE(info));
	}
	EXPECT_EQ(-ETIME, reap(self, &ud, &info));
}

/* ring exit with routes in flight */
TEST_F(r, ring_exit)
{
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	submit_routes(_metadata, self, self->adc, self->dac);
	io_uring_queue_exit(&self->ring);
	ASSERT_EQ(0, io_uring_queue_init(32, &self->ring, IORING_SETUP_CQE32));
}

TEST_F(r, invalid_routes)
{
	struct iub_route rt = { .handle = self->h[0], .from = self->adc,
				.to = self->dac, .length = SIZE };
	int adc1 = iub_test_find_port(self->fd, SIM_ADC1, NULL);

	/* directions */
	rt.from = self->dac;
	rt.to = self->adc;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.from = self->adc;
	rt.to = self->adc;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.to = self->dac;
	/* flags: each unknown one; ZLP toward a DAC */
	for (unsigned int bit = 1; bit < 16; bit++) {
		rt.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	}
	rt.flags = IUB_ROUTE_ZLP;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.flags = 0;
	/* ports and handles */
	rt.from = adc1;
	EXPECT_EQ(-EPERM, both(IUB_IOC_ROUTE, &rt));
	rt.from = 60000;
	EXPECT_EQ(-ENODEV, both(IUB_IOC_ROUTE, &rt));
	/* the to port's errors, before the from port's direction */
	rt.from = self->dac;
	rt.to = 60000;
	EXPECT_EQ(-ENODEV, both(IUB_IOC_ROUTE, &rt));
	rt.to = adc1;
	EXPECT_EQ(-EPERM, both(IUB_IOC_ROUTE, &rt));
	rt.to = self->dac;
	rt.from = self->adc;
	rt.handle = 999;
	EXPECT_EQ(-ENOENT, both(IUB_IOC_ROUTE, &rt));
	rt.handle = self->h[0];
	/* range */
	rt.length = SIZE + 4;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.length = 0;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.length = SIZE - 4;
	rt.offset = 8;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.offset = 0xfffff000;
	rt.length = 0x2000;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.offset = 0;
	/* and a good one, through the blocking ioctl and io_uring */
	rt.length = SIZE;
	EXPECT_EQ(SIZE, both(IUB_IOC_ROUTE, &rt));
}

TEST_HARNESS_MAIN
