// SPDX-License-Identifier: GPL-2.0
/*
 * route-stream: IUB_IOC_STREAM. The kernel routes a ring of buffer ranges
 * from the simulated ADC to the simulated DAC, each range again as soon as
 * the DAC played it, with one submission and one completion; the DAC
 * verifies every sample (continuity across all buffers). A stream ends at
 * its byte count (the last range shortened), on PORT_CANCEL, ring exit,
 * a signal to the blocking ioctl, an error of a route, or its task's
 * SIGKILL; holds its ports meanwhile (EBUSY); takes its share of the
 * file's max_inflight when submitted (EBUSY then, never later); and every
 * invalid stream is refused before anything runs. Nothing leaks (DMABUFs,
 * ports).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define N 8
#define SIZE (64 * 1024)
#define MiB (1024 * 1024)

FIXTURE(st) {
	int baseline;
	int fd, adc, dac;
	struct io_uring ring;
	struct dmabuf b[N];
	int h[N];
	struct {
		struct iub_stream s;
		struct iub_stream_range r[IUB_STREAM_RANGES_MAX + 1];
	} d;
};

FIXTURE_SETUP(st)
{
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	self->baseline = dmabuf_count();
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	self->adc = iub_test_claim(self->fd, SIM_ADC0);
	self->dac = iub_test_claim(self->fd, SIM_DAC0);
	ASSERT_LE(0, self->adc);
	ASSERT_LE(0, self->dac);
	ASSERT_EQ(0, io_uring_queue_init(16, &self->ring, IORING_SETUP_CQE32));
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(0, dmabuf_create(&self->b[i], DMABUF_UDMABUF, SIZE));
		self->h[i] = iub_test_attach(self->fd, self->b[i].fd);
		ASSERT_LE(0, self->h[i]);
	}
	memset(&self->d, 0, sizeof(self->d));
	self->d.s.from = self->adc;
	self->d.s.to = self->dac;
	self->d.s.nr_ranges = N;
	for (int i = 0; i < N; i++) {
		self->d.r[i].handle = self->h[i];
		self->d.r[i].length = SIZE;
	}
}

FIXTURE_TEARDOWN(st)
{
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
	for (int i = 0; i < N; i++)
		dmabuf_destroy(&self->b[i]);
	EXPECT_EQ(self->baseline, dmabuf_count_settle(self->baseline, 3000));
}

/* the block of IUB_IOC_STREAM for the fixture's description */
static struct iub_stream_cmd blk(FIXTURE_DATA(st) *self)
{
	struct iub_stream_cmd c = {
		.stream = (__u64)(uintptr_t)&self->d.s,
		.size = sizeof(self->d.s) +
			self->d.s.nr_ranges * sizeof(self->d.r[0]),
	};

	return c;
}

static void submit(struct __test_metadata *_metadata, FIXTURE_DATA(st) *self,
		   __u64 ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);

	ASSERT_NE(NULL, sqe);
	iub_prep_stream(sqe, self->fd, &self->d.s);
	sqe->user_data = ud;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
}

/* reap one CQE: its result, user_data and big_cqe[0] */
static int reap(struct io_uring *ring, unsigned int s, __u64 *ud,
		__u64 *extra)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = s };
	int res;

	if (io_uring_wait_cqe_timeout(ring, &cqe, &ts))
		return -ETIME;
	res = cqe->res;
	*ud = cqe->user_data;
	*extra = cqe->big_cqe[0];
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/* wait until the DAC played at least @bytes; false after 20 s */
static bool dac_played(unsigned long long bytes)
{
	for (int i = 0; i < 2000; i++) {
		if (sim_get(SIM_CH_DAC0, "consumed_bytes") >= bytes)
			return true;
		usleep(10000);
	}
	return false;
}

static int port_cmd(int fd, unsigned long op, int port)
{
	struct iub_port_claim c = { .port = port };

	return iub_test_ioctl(fd, op, &c);
}

/* both paths, each with its own copy of the block */
#define both(op, block) iub_test_both(self->fd, &self->ring, (op), (block))

/*
 * 16 MiB through 8 ranges of 64 KiB: 256 routes, one submission, one
 * completion with 0 and the bytes in the 32-byte CQE; the DAC played all
 * of it, in order (no mismatch); the port counters saw every route.
 */
TEST_F(st, byte_count_reached)
{
	struct iub_port_info before, after;
	__u64 ud = 0, extra = 0;

	ASSERT_LE(0, iub_test_find_port(self->fd, SIM_DAC0, &before));
	self->d.s.bytes = 16 * MiB;
	submit(_metadata, self, 7);
	EXPECT_EQ(0, reap(&self->ring, 60, &ud, &extra));
	EXPECT_EQ(7, ud);
	EXPECT_EQ(16 * MiB, extra);
	EXPECT_EQ(16 * MiB, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	ASSERT_LE(0, iub_test_find_port(self->fd, SIM_DAC0, &after));
	EXPECT_EQ(16 * MiB / SIZE, after.transfers - before.transfers);
	EXPECT_EQ(16 * MiB, after.bytes - before.bytes);
	EXPECT_EQ(before.errors, after.errors);
}

/* a byte count that is not a multiple of the ranges: the last is short */
TEST_F(st, last_range_shortened)
{
	__u64 ud = 0, extra = 0;

	self->d.s.bytes = 3 * SIZE + 4096;
	submit(_metadata, self, 1);
	EXPECT_EQ(0, reap(&self->ring, 60, &ud, &extra));
	EXPECT_EQ(3 * SIZE + 4096, extra);
	EXPECT_EQ(3 * SIZE + 4096, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
}

/* one range, routed again and again: the ring may be that small */
TEST_F(st, one_range)
{
	__u64 ud = 0, extra = 0;

	self->d.s.nr_ranges = 1;
	self->d.s.bytes = 2 * MiB;
	submit(_metadata, self, 1);
	EXPECT_EQ(0, reap(&self->ring, 60, &ud, &extra));
	EXPECT_EQ(2 * MiB, extra);
	EXPECT_EQ(2 * MiB, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
}

/*
 * Without a byte count the stream runs until cancelled: PORT_CANCEL ends
 * it with ECANCELED, the CQE says what the DAC moved, and the ports are
 * free again for plain transfers.
 */
TEST_F(st, runs_until_port_cancel)
{
	__u64 ud = 0, extra = 0;
	int res;

	submit(_metadata, self, 1);
	ASSERT_TRUE(dac_played(4 * MiB));
	EXPECT_EQ(-ETIME, reap(&self->ring, 0, &ud, &extra));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	EXPECT_LE(1, port_cmd(self->fd, IUB_IOC_PORT_CANCEL, self->dac));
	res = reap(&self->ring, 20, &ud, &extra);
	EXPECT_EQ(-ECANCELED, res);
	/*
	 * The routes whose playback the DAC had (partly) done when the cancel
	 * came end cancelled: those bytes are not in the count.
	 */
	EXPECT_LE(4 * MiB - N * SIZE, extra);
	EXPECT_GE(sim_get(SIM_CH_DAC0, "consumed_bytes"), extra);
	EXPECT_EQ(0, extra % SIZE);

	/* the ports are the file's own again */
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h[0],
					 self->adc, 0, SIZE, 0, 2));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(SIZE, reap(&self->ring, 20, &ud, &extra));
	EXPECT_EQ(0, port_cmd(self->fd, IUB_IOC_PORT_RELEASE, self->dac));
}

/* IUB_CANCEL_DRAIN through io_uring on the running stream 3 of @self */
static void drain_uring(struct __test_metadata *_metadata,
			FIXTURE_DATA(st) *self, struct iub_port_claim *c)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	__u64 ud = 0, ud2 = 0, e = 0, e2 = 0;
	int r1, r2;

	ASSERT_NE(NULL, sqe);
	ASSERT_EQ(0, iub_prep_cmd(sqe, self->fd, IUB_IOC_PORT_CANCEL, c,
				  sizeof(*c)));
	sqe->user_data = 4;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	r1 = reap(&self->ring, 20, &ud, &e);
	r2 = reap(&self->ring, 20, &ud2, &e2);
	/* the drain's CQE (1) and the stream's (0), in either order */
	EXPECT_EQ(7, ud + ud2);
	EXPECT_EQ(1, ud == 4 ? r1 : r2);
	EXPECT_EQ(0, ud == 3 ? r1 : r2);
}

/*
 * IUB_CANCEL_DRAIN: the stream routes nothing more, what is in flight
 * finishes, and it ends with 0 and whole ranges; the DAC played all of it
 * in order. Without a stream it does nothing; other flags: EINVAL.
 */
TEST_F(st, drain)
{
	struct iub_port_claim c = { .port = self->adc, .flags = IUB_CANCEL_DRAIN };
	__u64 ud = 0, extra = 0;

	submit(_metadata, self, 1);
	ASSERT_TRUE(dac_played(2 * MiB));
	/* the ioctl: an io_uring command's CQE would share the stream's ring */
	EXPECT_EQ(1, iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c));
	EXPECT_EQ(0, reap(&self->ring, 20, &ud, &extra));
	EXPECT_EQ(1, ud);
	EXPECT_LE(2 * MiB, extra);
	EXPECT_EQ(0, extra % SIZE);
	EXPECT_EQ(extra, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	/* no stream: nothing to do, and nothing cancelled */
	EXPECT_EQ(0, both(IUB_IOC_PORT_CANCEL, &c));
	/* through io_uring too, on a stream that runs */
	submit(_metadata, self, 3);
	ASSERT_TRUE(dac_played(extra + MiB));
	drain_uring(_metadata, self, &c);
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	c.flags = IUB_CANCEL_DRAIN << 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_PORT_CANCEL, &c));
	c.flags = IUB_CANCEL_DRAIN;
	c.port = 250;
	EXPECT_EQ(-ENODEV, both(IUB_IOC_PORT_CANCEL, &c));
}

/*
 * A handle detached while the stream runs, and given to another buffer
 * (the lowest free handle comes back): the stream does not route into
 * that buffer, it ends with ENOENT when the range comes round.
 */
TEST_F(st, reattached_handle_ends_it)
{
	struct iub_buf_detach dt = { .handle = self->h[0] };
	struct dmabuf other;
	__u64 ud = 0, extra = 0;
	int h;

	submit(_metadata, self, 1);
	ASSERT_TRUE(dac_played(MiB));
	ASSERT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &dt));
	ASSERT_EQ(0, dmabuf_create(&other, DMABUF_UDMABUF, SIZE));
	h = iub_test_attach(self->fd, other.fd);
	EXPECT_EQ(self->h[0], h);
	EXPECT_EQ(-ENOENT, reap(&self->ring, 20, &ud, &extra));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	dmabuf_destroy(&other);
}

/*
 * The largest ring, all of it in one buffer: 64 ranges of 1 KiB, more
 * than a mapping keeps segment tables of (IUB_SEGS_CACHED), so tables are
 * evicted and built again while others are in use. Every byte arrives,
 * in order.
 */
TEST_F(st, many_ranges_of_one_buffer)
{
	__u64 ud = 0, extra = 0;

	self->d.s.nr_ranges = IUB_STREAM_RANGES_MAX;
	for (int i = 0; i < IUB_STREAM_RANGES_MAX; i++) {
		self->d.r[i].handle = self->h[0];
		self->d.r[i].offset = i * 1024;
		self->d.r[i].length = 1024;
	}
	self->d.s.bytes = 4 * MiB;
	submit(_metadata, self, 1);
	EXPECT_EQ(0, reap(&self->ring, 60, &ud, &extra));
	EXPECT_EQ(4 * MiB, extra);
	EXPECT_EQ(4 * MiB, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
}

/* the file's max_inflight (IUB_IOC_GET_FEATURES) */
static unsigned int budget(struct __test_metadata *_metadata, int fd)
{
	struct iub_features f;
	struct iub_query q = { .data = (__u64)(uintptr_t)&f,
			       .size = sizeof(f) };

	EXPECT_EQ((int)sizeof(f), iub_test_ioctl(fd, IUB_IOC_GET_FEATURES, &q));
	return f.max_inflight;
}

/* @n NOPs parked on @fd through @ring (one request each) */
static int park(struct io_uring *ring, int fd, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe)
			return -ENOSPC;
		iub_prep_nop(sqe, fd, IUB_NOP_PARK, 0);
	}
	return io_uring_submit(ring);
}

/*
 * A stream of the most ranges of 1 KiB of one buffer: one request and
 * three per range (a route and its two stages) of the file's max_inflight,
 * the rest taken by parked NOPs.
 */
static void ring_of_64(FIXTURE_DATA(st) *self)
{
	self->d.s.nr_ranges = IUB_STREAM_RANGES_MAX;
	for (int i = 0; i < IUB_STREAM_RANGES_MAX; i++) {
		self->d.r[i].handle = self->h[0];
		self->d.r[i].offset = i * 1024;
		self->d.r[i].length = 1024;
	}
}

/*
 * A stream that does not fit in what is left of max_inflight fails with
 * EBUSY before it moves anything; the parked commands are untouched.
 */
TEST_F(st, too_big_for_the_budget)
{
	unsigned int need = 1 + 3 * IUB_STREAM_RANGES_MAX;
	unsigned int max = budget(_metadata, self->fd);
	__u64 ud = 0, extra = 0;
	unsigned long long produced = sim_get(SIM_CH_ADC0, "produced_bytes");
	struct io_uring nops;

	ASSERT_LT(need, max);
	ASSERT_EQ(0, io_uring_queue_init(512, &nops, 0));
	ASSERT_EQ((int)(max - need + 1), park(&nops, self->fd, max - need + 1));
	ring_of_64(self);
	self->d.s.bytes = MiB;
	submit(_metadata, self, 1);
	EXPECT_EQ(-EBUSY, reap(&self->ring, 20, &ud, &extra));
	EXPECT_EQ(0, extra);
	EXPECT_EQ(produced, sim_get(SIM_CH_ADC0, "produced_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&nops, 100, NULL));
	io_uring_queue_exit(&nops);
}

/*
 * A stream that fits exactly runs to its end: its routes never fail with
 * EBUSY, however late the stages of an ended route are freed, and the
 * file has no request left meanwhile.
 */
TEST_F(st, fits_the_budget_exactly)
{
	unsigned int need = 1 + 3 * IUB_STREAM_RANGES_MAX;
	unsigned int max = budget(_metadata, self->fd);
	struct iub_nop n = { .flags = IUB_NOP_ASYNC };
	__u64 ud = 0, extra = 0;
	struct io_uring nops;

	ASSERT_LT(need, max);
	ASSERT_EQ(0, io_uring_queue_init(512, &nops, 0));
	ASSERT_EQ((int)(max - need), park(&nops, self->fd, max - need));
	ring_of_64(self);
	self->d.s.bytes = 4 * MiB;
	submit(_metadata, self, 1);
	ASSERT_TRUE(dac_played(MiB));
	EXPECT_EQ(-EBUSY, iub_test_ioctl(self->fd, IUB_IOC_NOP, &n));
	EXPECT_EQ(0, reap(&self->ring, 60, &ud, &extra));
	EXPECT_EQ(4 * MiB, extra);
	EXPECT_EQ(4 * MiB, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	io_uring_queue_exit(&nops);
}

/*
 * The time between two streams is no gap of the ADC's port: what the
 * second stream adds to gap_ns is far below the pause between them.
 */
TEST_F(st, no_gap_between_streams)
{
	struct iub_port_info a, b;
	struct iub_stream_cmd c;

	self->d.s.bytes = 2 * MiB;
	c = blk(self);
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_STREAM, &c));
	ASSERT_LE(0, iub_test_find_port(self->fd, SIM_ADC0, &a));
	usleep(500000);
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_STREAM, &c));
	ASSERT_LE(0, iub_test_find_port(self->fd, SIM_ADC0, &b));
	EXPECT_GT(400000000ULL, b.gap_ns - a.gap_ns)
		TH_LOG("%llu ns of gaps, %llu gaps, in the second stream",
		       (unsigned long long)(b.gap_ns - a.gap_ns),
		       (unsigned long long)(b.gaps - a.gaps));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
}

/* While a stream runs, its ports take nothing else: EBUSY on both paths. */
TEST_F(st, ports_are_the_streams)
{
	struct iub_transfer t = { .handle = self->h[0], .port = self->adc,
				  .length = SIZE };
	struct iub_route r = { .handle = self->h[0], .from = self->adc,
			       .to = self->dac, .length = SIZE };
	struct iub_stream_cmd c;
	__u64 ud = 0, extra = 0;

	submit(_metadata, self, 1);
	ASSERT_TRUE(dac_played(MiB));
	EXPECT_EQ(-EBUSY, both(IUB_IOC_TRANSFER, &t));
	t.port = self->dac;
	EXPECT_EQ(-EBUSY, both(IUB_IOC_TRANSFER, &t));
	EXPECT_EQ(-EBUSY, both(IUB_IOC_ROUTE, &r));
	c = blk(self);
	EXPECT_EQ(-EBUSY, both(IUB_IOC_STREAM, &c));
	/* a busy port is not released from under its stream */
	EXPECT_EQ(-EBUSY, port_cmd(self->fd, IUB_IOC_PORT_RELEASE, self->adc));
	EXPECT_LE(1, port_cmd(self->fd, IUB_IOC_PORT_CANCEL, self->adc));
	EXPECT_EQ(-ECANCELED, reap(&self->ring, 20, &ud, &extra));
	EXPECT_EQ(1, ud);
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
}

/*
 * One PORT_CANCEL of a running stream on @port (the ADC's or the DAC's):
 * once it returned, that converter moves not a byte more, although the
 * stream's worker may have been routing a range again at that moment.
 * And the DAC never played a stray range: no mismatch.
 */
static void cancel_is_final(struct __test_metadata *_metadata,
			    FIXTURE_DATA(st) *self, int port, unsigned int chan,
			    const char *counter, unsigned int delay_us)
{
	unsigned long long after_cancel;
	__u64 ud = 0, extra = 0;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	submit(_metadata, self, 1);
	usleep(delay_us);
	EXPECT_LE(1, port_cmd(self->fd, IUB_IOC_PORT_CANCEL, port));
	after_cancel = sim_get(chan, counter);
	EXPECT_EQ(-ECANCELED, reap(&self->ring, 20, &ud, &extra));
	usleep(20000);
	EXPECT_EQ(after_cancel, sim_get(chan, counter))
		TH_LOG("%s moved after PORT_CANCEL returned", counter);
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
}

/*
 * PORT_CANCEL is the end of a stream, even while its worker routes ranges
 * again: small ranges keep the worker routing all the time. On the port
 * that fills and on the port that empties.
 */
TEST_F(st, port_cancel_is_final)
{
	for (int i = 0; i < N; i++)
		self->d.r[i].length = 4096;
	for (int i = 0; i < 60 && !_metadata->exit_code; i++) {
		bool adc = i & 1;

		cancel_is_final(_metadata, self, adc ? self->adc : self->dac,
				adc ? SIM_CH_ADC0 : SIM_CH_DAC0,
				adc ? "produced_bytes" : "consumed_bytes",
				500 + (i % 10) * 400);
	}
}

/* A capture that fails ends the stream with its error, the rest cancelled. */
TEST_F(st, failed_route_ends_it)
{
	__u64 ud = 0, extra = 0;

	submit(_metadata, self, 1);
	ASSERT_TRUE(dac_played(MiB));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	EXPECT_EQ(-EIO, reap(&self->ring, 20, &ud, &extra));
	/* less the routes in flight, cancelled, whatever the DAC played */
	EXPECT_LE(MiB - N * SIZE, extra);
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	/* nothing of it is left on the ports: they are idle */
	EXPECT_EQ(0, port_cmd(self->fd, IUB_IOC_PORT_RELEASE, self->adc));
	EXPECT_EQ(0, port_cmd(self->fd, IUB_IOC_PORT_RELEASE, self->dac));
}

/* The ring's exit cancels the stream; the ports come back. */
TEST_F(st, ring_exit_cancels_it)
{
	struct iub_transfer t = { .handle = self->h[0], .port = self->dac,
				  .length = SIZE };
	int res = -EBUSY;

	submit(_metadata, self, 1);
	ASSERT_TRUE(dac_played(MiB));
	io_uring_queue_exit(&self->ring);
	for (int i = 0; i < 500 && res == -EBUSY; i++) {
		res = iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &t);
		if (res == -EBUSY)
			usleep(10000);
	}
	EXPECT_EQ(SIZE, res);
	ASSERT_EQ(0, io_uring_queue_init(16, &self->ring, IORING_SETUP_CQE32));
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* The blocking ioctl: the whole stream, or EINTR when a signal comes. */
TEST_F(st, blocking_ioctl)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct iub_stream_cmd c;

	self->d.s.bytes = 4 * MiB;
	c = blk(self);
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_STREAM, &c));
	EXPECT_EQ(4 * MiB, sim_get(SIM_CH_DAC0, "consumed_bytes"));

	self->d.s.bytes = 0;
	c = blk(self);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	EXPECT_EQ(-EINTR, iub_test_ioctl(self->fd, IUB_IOC_STREAM, &c));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	signal(SIGALRM, SIG_DFL);
}

/* Every invalid stream is refused up front, on both paths. */
TEST_F(st, invalid_streams)
{
	struct iub_port_info adc;
	struct iub_stream_cmd c;
	int other;

	ASSERT_LE(0, iub_test_find_port(self->fd, SIM_ADC0, &adc));
	/* the block */
	c = blk(self);
	c.flags = 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	c = blk(self);
	c.size -= 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	c.size = sizeof(self->d.s) - 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	c = blk(self);
	c.stream = 8;
	EXPECT_EQ(-EFAULT, both(IUB_IOC_STREAM, &c));
	/* the description */
	self->d.s.nr_ranges = 0;
	c = blk(self);
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.s.nr_ranges = IUB_STREAM_RANGES_MAX + 1;
	for (int i = 0; i <= IUB_STREAM_RANGES_MAX; i++)
		self->d.r[i] = self->d.r[0];
	c = blk(self);
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.s.nr_ranges = N;
	self->d.s.reserved0 = 1;
	c = blk(self);
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.s.reserved0 = 0;
	self->d.s.flags = 2;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	/* ZLP: the DAC is no USB bulk IN port */
	self->d.s.flags = IUB_ROUTE_ZLP;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.s.flags = 0;
	self->d.r[3].reserved0 = 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.r[3].reserved0 = 0;
	self->d.r[3].reserved1 = 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.r[3].reserved1 = 0;
	/* the ports */
	self->d.s.from = 250;
	EXPECT_EQ(-ENODEV, both(IUB_IOC_STREAM, &c));
	self->d.s.from = self->adc;
	other = iub_test_find_port(self->fd, SIM_ADC1, NULL);
	ASSERT_LE(0, other);
	self->d.s.from = other;
	EXPECT_EQ(-EPERM, both(IUB_IOC_STREAM, &c));
	self->d.s.from = self->dac;
	self->d.s.to = self->adc;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.s.from = self->adc;
	self->d.s.to = self->adc;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.s.to = self->dac;
	/* the byte count: aligned for both ports */
	ASSERT_LT(1, adc.align);
	self->d.s.bytes = adc.align + 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.s.bytes = 0;
	/* the ranges, as transfers */
	self->d.r[5].length = 0;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.r[5].length = SIZE;
	self->d.r[5].offset = 4096;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));	/* past the end */
	self->d.r[5].offset = 1;
	self->d.r[5].length = 4096;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_STREAM, &c));
	self->d.r[5].offset = 0;
	self->d.r[5].length = adc.max_transfer + adc.align;
	EXPECT_EQ(-E2BIG, both(IUB_IOC_STREAM, &c));
	self->d.r[5].length = SIZE;
	self->d.r[6].handle = 999;
	EXPECT_EQ(-ENOENT, both(IUB_IOC_STREAM, &c));
	self->d.r[6].handle = self->h[6];

	/* nothing ran, and the ports are free */
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, port_cmd(self->fd, IUB_IOC_PORT_RELEASE, self->adc));
	EXPECT_EQ(0, port_cmd(self->fd, IUB_IOC_PORT_RELEASE, self->dac));
}

/* A blocking 1 MiB stream of two ranges on a new file's ports. */
static void stream_1mib(struct __test_metadata *_metadata, int fd, int adc,
			int dac)
{
	struct {
		struct iub_stream s;
		struct iub_stream_range r[2];
	} d = { .s = { .from = adc, .to = dac, .nr_ranges = 2, .bytes = MiB } };
	struct iub_stream_cmd cmd = {
		.stream = (__u64)(uintptr_t)&d.s,
		.size = sizeof(d),
	};
	struct dmabuf b[2];

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, dmabuf_create(&b[i], DMABUF_UDMABUF, SIZE));
		d.r[i].handle = iub_test_attach(fd, b[i].fd);
		d.r[i].length = SIZE;
	}
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	EXPECT_EQ(0, iub_test_ioctl(fd, IUB_IOC_STREAM, &cmd));
	EXPECT_EQ(MiB, sim_get(SIM_CH_DAC0, "consumed_bytes"));
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "mismatches"));
	for (int i = 0; i < 2; i++) {
		struct iub_buf_detach dt = { .handle = d.r[i].handle };

		EXPECT_EQ(0, iub_test_ioctl(fd, IUB_IOC_BUF_DETACH, &dt));
		dmabuf_destroy(&b[i]);
	}
}

/*
 * SIGKILL of a process whose stream runs: its ring and file go, the
 * stream with them, and another process claims both ports and streams.
 */
TEST(killed_while_streaming)
{
	int baseline = dmabuf_count();
	int pipefd[2], status, fd = -1, adc = -1, dac = -1;
	pid_t pid;
	char c;

	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct {
			struct iub_stream s;
			struct iub_stream_range r[4];
		} d = { 0 };
		struct io_uring ring;
		struct dmabuf b[4];

		fd = iub_test_open();
		d.s.from = iub_test_claim(fd, SIM_ADC0);
		d.s.to = iub_test_claim(fd, SIM_DAC0);
		d.s.nr_ranges = 4;
		if (io_uring_queue_init(4, &ring, 0))
			_exit(1);
		for (int i = 0; i < 4; i++) {
			if (dmabuf_create(&b[i], DMABUF_UDMABUF, SIZE))
				_exit(1);
			d.r[i].handle = iub_test_attach(fd, b[i].fd);
			d.r[i].length = SIZE;
		}
		iub_prep_stream(io_uring_get_sqe(&ring), fd, &d.s);
		if (io_uring_submit(&ring) != 1 || !dac_played(MiB))
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));

	fd = iub_test_open();
	ASSERT_LE(0, fd);
	/* the dead file's release may still be running */
	for (int i = 0; i < 500 && (adc < 0 || dac < 0); i++) {
		if (adc < 0)
			adc = iub_test_claim(fd, SIM_ADC0);
		if (dac < 0)
			dac = iub_test_claim(fd, SIM_DAC0);
		if (adc < 0 || dac < 0)
			usleep(10000);
	}
	ASSERT_LE(0, adc);
	ASSERT_LE(0, dac);
	stream_1mib(_metadata, fd, adc, dac);
	close(fd);
	EXPECT_EQ(baseline, dmabuf_count_settle(baseline, 3000));
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
}

TEST_HARNESS_MAIN
