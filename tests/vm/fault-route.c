// SPDX-License-Identifier: GPL-2.0
/*
 * fault-route: converter routes (ADC -> DAC) with a stall or a DMA error at
 * each stage, ended every way a route can end: a cancel of either port,
 * ring exit, SIGKILL of the submitter, a signal to the blocking ioctl.
 * Stage 1 stalled (the second stage waits on its fence), stage 2 stalled
 * (the first stage is done), stage 1 waiting on another transfer's fence.
 * Each route completes exactly once with the documented errno and stage,
 * the ports work again afterwards, and no DMABUF is left behind.
 * (route-errors covers the plain errors of each stage through io_uring and
 * the cancel of a stalled first stage's port.)
 */
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define N 4
#define SIZE (64 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

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
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "reset", 1));
	self->baseline = dmabuf_count();
	ASSERT_LE(0, self->baseline);
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	self->adc = iub_test_claim(self->fd, SIM_ADC0);
	self->dac = iub_test_claim(self->fd, SIM_DAC0);
	ASSERT_LE(0, self->adc);
	ASSERT_LE(0, self->dac);
	ASSERT_EQ(0, io_uring_queue_init(32, &self->ring, IORING_SETUP_CQE32));
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(0, dmabuf_create(&self->b[i], i % 2 ? DMABUF_HEAP :
					   DMABUF_UDMABUF, SIZE));
		self->h[i] = iub_test_attach(self->fd, self->b[i].fd);
		ASSERT_LE(0, self->h[i]);
	}
}

FIXTURE_TEARDOWN(r)
{
	struct iub_route rt = { .handle = self->h[0], .from = self->adc,
				.to = self->dac, .length = SIZE };

	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	/* both ports route again */
	if (self->fd >= 0) {
		EXPECT_EQ(SIZE, iub_test_ioctl(self->fd, IUB_IOC_ROUTE, &rt));
	}
	io_uring_queue_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
	for (int i = 0; i < N; i++)
		dmabuf_destroy(&self->b[i]);
	EXPECT_EQ(self->baseline, dmabuf_count_settle(self->baseline, 3000));
}

static void submit_routes(struct __test_metadata *_metadata,
			  FIXTURE_DATA(r) *self, struct io_uring *ring)
{
	for (int i = 0; i < N; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		ASSERT_NE(NULL, sqe);
		iub_prep_route(sqe, self->fd, self->h[i], self->adc, self->dac,
			       0, SIZE, 0);
		sqe->user_data = i;
	}
	ASSERT_EQ(N, io_uring_submit(ring));
}

/* reap one CQE within @ms: result, user_data, route info; -ETIME if none */
static int reap(FIXTURE_DATA(r) *self, unsigned int ms, __u64 *ud,
		__u64 *info)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000,
					.tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_wait_cqe_timeout(&self->ring, &cqe, &ts))
		return -ETIME;
	res = cqe->res;
	*ud = cqe->user_data;
	*info = cqe->big_cqe[0];
	io_uring_cqe_seen(&self->ring, cqe);
	return res;
}

static int cancel(FIXTURE_DATA(r) *self, int port)
{
	struct iub_port_claim c = { .port = port };

	return iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c);
}

/* all N routes end, in order, with @res, failing @stage after @bytes */
static void expect_routes(struct __test_metadata *_metadata,
			  FIXTURE_DATA(r) *self, int res, int stage, int bytes)
{
	__u64 ud, info;

	for (int i = 0; i < N; i++) {
		ASSERT_EQ(res, reap(self, 5000, &ud, &info)) TH_LOG("route %d", i);
		EXPECT_EQ((__u64)i, ud);
		EXPECT_EQ(stage, IUB_ROUTE_INFO_STAGE(info));
		EXPECT_EQ(bytes, IUB_ROUTE_INFO_BYTES(info));
	}
	/* each exactly once */
	EXPECT_EQ(-ETIME, reap(self, 100, &ud, &info));
}

/*
 * Stage 1 stalled, the DAC port cancelled: the second stages, waiting on
 * the first stages' fences, end at once; the routes end only when their
 * first stage does, and then report stage 2. The DAC played nothing.
 */
TEST_F(r, stall1_cancel_to)
{
	__u64 ud, info;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	submit_routes(_metadata, self, &self->ring);
	EXPECT_EQ(N, cancel(self, self->dac));
	EXPECT_EQ(-ETIME, reap(self, 300, &ud, &info));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 0));
	expect_routes(_metadata, self, -ECANCELED, 2, SIZE);
	EXPECT_EQ(0, sim_get(SIM_CH_DAC0, "consumed_bytes"));
}

/* stage 2 stalled, the ADC port cancelled: nothing on it, nothing ends */
TEST_F(r, stall2_cancel_from_then_to)
{
	unsigned long long produced = sim_get(SIM_CH_ADC0, "produced_bytes");
	__u64 ud, info;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 1));
	submit_routes(_metadata, self, &self->ring);
	/* let the first stages finish */
	for (int i = 0; i < 250 && sim_get(SIM_CH_ADC0, "produced_bytes") <
					produced + N * SIZE; i++)
		usleep(20000);
	EXPECT_EQ(0, cancel(self, self->adc));
	EXPECT_EQ(-ETIME, reap(self, 300, &ud, &info));
	EXPECT_EQ(N, cancel(self, self->dac));
	expect_routes(_metadata, self, -ECANCELED, 2, SIZE);
}

/* stage 2 stalled, a DMA error on it once unstalled: EIO in stage 2 */
TEST_F(r, stall2_then_error)
{
	__u64 ud, info;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "fail_next", 1));
	submit_routes(_metadata, self, &self->ring);
	EXPECT_EQ(-ETIME, reap(self, 300, &ud, &info));
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 0));
	EXPECT_EQ(-EIO, reap(self, 5000, &ud, &info));
	EXPECT_EQ(0, ud);
	EXPECT_EQ(2, IUB_ROUTE_INFO_STAGE(info));
	EXPECT_EQ(SIZE, IUB_ROUTE_INFO_BYTES(info));
	for (int i = 1; i < N; i++) {
		EXPECT_EQ(SIZE, reap(self, 5000, &ud, &info));
		EXPECT_EQ((__u64)i, ud);
	}
}

/* stage 1 stalled, then a DMA error on it: stage 1, the DAC untouched */
TEST_F(r, stall1_then_error)
{
	__u64 ud, info;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	submit_routes(_metadata, self, &self->ring);
	EXPECT_EQ(-ETIME, reap(self, 300, &ud, &info));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 0));
	EXPECT_EQ(-EIO, reap(self, 5000, &ud, &info));
	EXPECT_EQ(1, IUB_ROUTE_INFO_STAGE(info));
	for (int i = 1; i < N; i++) {
		EXPECT_EQ(SIZE, reap(self, 5000, &ud, &info));
	}
	EXPECT_EQ((N - 1) * SIZE, sim_get(SIM_CH_DAC0, "consumed_bytes"));
}

/*
 * Stage 1 waits on another transfer's fence: a stalled playback of the
 * same buffer (a reader), which the capture must wait for. Cancelling the
 * DAC ends that playback and the route's second stage; the first stage
 * then runs, and the route reports stage 2.
 */
TEST_F(r, stage1_waits_on_foreign_fence_cancel_dac)
{
	unsigned long long produced = sim_get(SIM_CH_ADC0, "produced_bytes");
	struct iub_transfer t = { .handle = self->h[0], .port = self->dac,
				  .length = SIZE };
	struct io_uring_sqe *sqe;
	__u64 ud, info;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 1));
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_EQ(0, iub_prep_cmd(sqe, self->fd, IUB_IOC_TRANSFER, &t, sizeof(t)));
	sqe->user_data = 100;
	sqe = io_uring_get_sqe(&self->ring);
	iub_prep_route(sqe, self->fd, self->h[0], self->adc, self->dac, 0,
		       SIZE, 0);
	sqe->user_data = 0;
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, reap(self, 300, &ud, &info));
	EXPECT_EQ(produced, sim_get(SIM_CH_ADC0, "produced_bytes"));
	EXPECT_EQ(2, cancel(self, self->dac));
	/*
	 * Both end ECANCELED, in either order: the playback's end starts the
	 * route's first stage, which may finish before the playback's own
	 * completion is posted.
	 */
	info = ~0ULL;
	for (int i = 0; i < 2; i++) {
		__u64 rinfo = 0;

		EXPECT_EQ(-ECANCELED, reap(self, 5000, &ud, &rinfo));
		if (ud == 0) {
			info = rinfo;
			continue;
		}
		EXPECT_EQ(100, ud);
	}
	EXPECT_EQ(2, IUB_ROUTE_INFO_STAGE(info));
	EXPECT_EQ(SIZE, IUB_ROUTE_INFO_BYTES(info));
}

/*
 * The same, cancelling the ADC: the route ends in stage 1, but its second
 * stage is queued behind the stalled playback on the DAC, and a port's
 * transfers end (their fences signal) in submission order: the route
 * completes only after the playback, once the DAC is cancelled too.
 */
TEST_F(r, stage1_waits_on_foreign_fence_cancel_adc)
{
	struct iub_transfer t = { .handle = self->h[0], .port = self->dac,
				  .length = SIZE };
	struct io_uring_sqe *sqe;
	__u64 ud, info;

	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "stall", 1));
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_EQ(0, iub_prep_cmd(sqe, self->fd, IUB_IOC_TRANSFER, &t, sizeof(t)));
	sqe->user_data = 100;
	sqe = io_uring_get_sqe(&self->ring);
	iub_prep_route(sqe, self->fd, self->h[0], self->adc, self->dac, 0,
		       SIZE, 0);
	sqe->user_data = 0;
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, reap(self, 300, &ud, &info));
	EXPECT_EQ(1, cancel(self, self->adc));
	EXPECT_EQ(-ETIME, reap(self, 300, &ud, &info));
	EXPECT_EQ(2, cancel(self, self->dac));
	EXPECT_EQ(-ECANCELED, reap(self, 5000, &ud, &info));
	EXPECT_EQ(100, ud);
	EXPECT_EQ(-ECANCELED, reap(self, 5000, &ud, &info));
	EXPECT_EQ(0, ud);
	EXPECT_EQ(1, IUB_ROUTE_INFO_STAGE(info));
}

/* the ports are idle again: both can be released (and are claimed back) */
static int release_when_idle(FIXTURE_DATA(r) *self, int port)
{
	struct iub_port_claim c = { .port = port };
	int ret = -1;

	/* io_uring cancels in its exit work: give it a moment */
	for (int i = 0; i < 100 && ret; i++) {
		ret = iub_test_ioctl(self->fd, IUB_IOC_PORT_RELEASE, &c);
		if (ret)
			usleep(20000);
	}
	return ret;
}

static void expect_idle(struct __test_metadata *_metadata,
			FIXTURE_DATA(r) *self)
{
	EXPECT_EQ(0, release_when_idle(self, self->adc));
	EXPECT_EQ(0, release_when_idle(self, self->dac));
	EXPECT_EQ(self->adc, iub_test_claim(self->fd, SIM_ADC0));
	EXPECT_EQ(self->dac, iub_test_claim(self->fd, SIM_DAC0));
}

static void ring_exit(struct __test_metadata *_metadata,
		      FIXTURE_DATA(r) *self, int stall_chan)
{
	double t0;

	ASSERT_EQ(0, sim_set(stall_chan, "stall", 1));
	submit_routes(_metadata, self, &self->ring);
	usleep(100000);
	t0 = now();
	io_uring_queue_exit(&self->ring);
	EXPECT_GT(2.0, now() - t0);
	ASSERT_EQ(0, io_uring_queue_init(32, &self->ring, IORING_SETUP_CQE32));
	expect_idle(_metadata, self);
}

TEST_F(r, stall1_ring_exit)
{
	ring_exit(_metadata, self, SIM_CH_ADC0);
}

TEST_F(r, stall2_ring_exit)
{
	ring_exit(_metadata, self, SIM_CH_DAC0);
}

/* the submitter is killed with N routes in flight on the shared file */
static void sigkill(struct __test_metadata *_metadata, FIXTURE_DATA(r) *self,
		    int stall_chan)
{
	int status, p[2];
	double t0;
	pid_t pid;
	char c;

	ASSERT_EQ(0, sim_set(stall_chan, "stall", 1));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct io_uring ring;

		if (io_uring_queue_init(32, &ring, IORING_SETUP_CQE32))
			_exit(1);
		submit_routes(_metadata, self, &ring);
		c = 'x';
		if (write(p[1], &c, 1) != 1)
			_exit(3);
		pause();
		_exit(4);
	}
	ASSERT_EQ(1, read(p[0], &c, 1));
	usleep(100000);
	t0 = now();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_GT(2.0, now() - t0);
	close(p[0]);
	close(p[1]);
	expect_idle(_metadata, self);
}

TEST_F(r, stall1_sigkill)
{
	sigkill(_metadata, self, SIM_CH_ADC0);
}

TEST_F(r, stall2_sigkill)
{
	sigkill(_metadata, self, SIM_CH_DAC0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* a blocking ROUTE ioctl interrupted by a signal, each stage stalled */
static void ioctl_signal(struct __test_metadata *_metadata,
			 FIXTURE_DATA(r) *self, int stall_chan)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct iub_route rt = { .handle = self->h[1], .from = self->adc,
				.to = self->dac, .length = SIZE };

	ASSERT_EQ(0, sim_set(stall_chan, "stall", 1));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, iub_test_ioctl(self->fd, IUB_IOC_ROUTE, &rt));
	expect_idle(_metadata, self);
}

TEST_F(r, stall1_ioctl_signal)
{
	ioctl_signal(_metadata, self, SIM_CH_ADC0);
}

TEST_F(r, stall2_ioctl_signal)
{
	ioctl_signal(_metadata, self, SIM_CH_DAC0);
}

/* DMA errors through the blocking ioctl: the errno of the failed stage */
TEST_F(r, errors_ioctl)
{
	struct iub_route rt = { .handle = self->h[2], .from = self->adc,
				.to = self->dac, .length = SIZE };

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	EXPECT_EQ(-EIO, iub_test_ioctl(self->fd, IUB_IOC_ROUTE, &rt));
	ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "fail_next", 1));
	EXPECT_EQ(-EIO, iub_test_ioctl(self->fd, IUB_IOC_ROUTE, &rt));
	/*
	 * Both armed: the first stage fails at once, often before the second
	 * stage is even queued; the second stage must still never start (the
	 * DAC's armed failure stays pending), and the route reports stage 1.
	 */
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
		ASSERT_EQ(0, sim_set(SIM_CH_DAC0, "fail_next", 1));
		EXPECT_EQ(-EIO, iub_test_ioctl(self->fd, IUB_IOC_ROUTE, &rt));
		ASSERT_EQ(1, sim_get(SIM_CH_DAC0, "fail_next"))
			TH_LOG("round %d: the second stage ran after the first failed", i);
		/* the DAC's pending failure hits the next route's second stage */
		EXPECT_EQ(-EIO, iub_test_ioctl(self->fd, IUB_IOC_ROUTE, &rt));
	}
	EXPECT_EQ(SIZE, iub_test_ioctl(self->fd, IUB_IOC_ROUTE, &rt));
}

TEST_HARNESS_MAIN
