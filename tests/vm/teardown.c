// SPDX-License-Identifier: GPL-2.0
/*
 * teardown: transfers in flight end cleanly however their owner goes away:
 * port cancel, ring exit, close, SIGKILL, a signal to a blocking ioctl
 * (io_uring's task-work notification is none), detach of a busy buffer, an
 * injected DMA error, a stalled channel. After each, the number of DMABUFs
 * in the system is back to where it started.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"
#include "../../sim/iub_sim_stream.h"

#define N 16
#define SIZE (256 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(t) {
	int baseline;
	int fd;
	int adc;
	struct io_uring ring;
	struct dmabuf b[N];
	int h[N];
};

FIXTURE_SETUP(t)
{
	sim_restore(SIM_CH_ADC0);
	self->baseline = dmabuf_count();
	ASSERT_LE(0, self->baseline) TH_LOG("debugfs dma_buf/bufinfo unreadable");
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	self->adc = iub_test_claim(self->fd, SIM_ADC0);
	ASSERT_LE(0, self->adc);
	ASSERT_EQ(0, io_uring_queue_init(64, &self->ring, 0));
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(0, dmabuf_create(&self->b[i], i % 2 ? DMABUF_HEAP : DMABUF_UDMABUF, SIZE));
		self->h[i] = iub_test_attach(self->fd, self->b[i].fd);
		ASSERT_LE(0, self->h[i]);
	}
}

FIXTURE_TEARDOWN(t)
{
	int n;

	sim_restore(SIM_CH_ADC0);
	if (self->fd >= 0) {
		io_uring_queue_exit(&self->ring);
		close(self->fd);
	}
	for (int i = 0; i < N; i++)
		dmabuf_destroy(&self->b[i]);
	/* no DMABUF reference left behind by the bridge */
	n = dmabuf_count_settle(self->baseline, 3000);
	EXPECT_EQ(self->baseline, n);
}

static void submit_all(struct __test_metadata *_metadata, FIXTURE_DATA(t) *self)
{
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h[i],
						 self->adc, 0, SIZE, 0, i));
	}
	ASSERT_EQ(N, io_uring_submit(&self->ring));
}

/* PORT_CANCEL: every transfer ends once, in order; the tail is cancelled */
TEST_F(t, port_cancel)
{
	struct iub_port_claim c = { .port = self->adc };
	int done = 0, cancelled = 0, n;
	__u64 ud = ~0ULL;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "rate", 1024 * 1024));
	submit_all(_metadata, self);
	usleep(100000);
	n = iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c);
	EXPECT_LE(1, n);
	for (int i = 0; i < N; i++) {
		int res = iub_test_wait_cqe(&self->ring, 5000, &ud);

		ASSERT_EQ((__u64)i, ud);
		if (res == SIZE) {
			ASSERT_EQ(0, cancelled) TH_LOG("completion after a cancelled one");
			done++;
		} else {
			ASSERT_EQ(-ECANCELED, res);
			cancelled++;
		}
	}
	EXPECT_EQ(n, cancelled);
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 100, NULL));
	/* the port works again */
	sim_restore(SIM_CH_ADC0);
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h[0],
					 self->adc, 0, SIZE, 0, 0));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, NULL));
}

/* exiting the ring cancels its transfers; close then frees everything */
TEST_F(t, ring_exit_and_close)
{
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	submit_all(_metadata, self);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
	self->fd = -1;
}

/* a process killed with 16 transfers in flight on a stalled channel */
TEST_F(t, sigkill_16_in_flight)
{
	struct iub_port_claim cl = { .port = self->adc };
	int status, p[2], ret = -1;
	double t0;
	pid_t pid;
	char c;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct io_uring ring;

		if (io_uring_queue_init(64, &ring, 0))
			_exit(1);
		for (int i = 0; i < N; i++)
			iub_test_queue_xfer(&ring, self->fd, self->h[i], self->adc,
					    0, SIZE, 0, i);
		if (io_uring_submit(&ring) != N)
			_exit(2);
		c = 'x';
		if (write(p[1], &c, 1) != 1)
			_exit(3);
		pause();
		_exit(4);
	}
	ASSERT_EQ(1, read(p[0], &c, 1));
	t0 = now();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	/* hang detection, well under the 5 s the upstream ioctls may block */
	EXPECT_GT(2.0, now() - t0);
	/* the port is idle again: it can be released */
	for (int i = 0; i < 100 && ret; i++) {
		ret = iub_test_ioctl(self->fd, IUB_IOC_PORT_RELEASE, &cl);
		if (ret)
			usleep(20000);
	}
	EXPECT_EQ(0, ret);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* a signal ends a blocking ioctl transfer on a stalled channel */
TEST_F(t, ioctl_interrupted)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct iub_transfer x = { .handle = self->h[0], .port = self->adc, .length = SIZE };

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &x));
	sim_restore(SIM_CH_ADC0);
	EXPECT_EQ(SIZE, iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &x));
}

/*
 * A completion of the thread's own io_uring transfer is no signal: it wakes
 * the thread for io_uring's task work, and must not end (EINTR) a blocking
 * transfer queued behind it on the same port.
 */
TEST_F(t, ioctl_not_interrupted_by_uring)
{
	struct iub_transfer x = { .handle = self->h[1], .port = self->adc, .length = SIZE };
	__u64 ud = 0;

	/* 1 MiB/s: each transfer takes a quarter of a second */
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "rate", 1024 * 1024));
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h[0],
					 self->adc, 0, SIZE, 0, 7));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(SIZE, iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &x));
	EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, &ud));
	EXPECT_EQ(7, ud);
}

/*
 * A DMABUF detached with a transfer in flight and attached again: the new
 * handle names the same buffer (a DMABUF is mapped once), the old
 * transfer ends normally, the new handle works, and a third attach is
 * refused.
 */
TEST_F(t, reattach_busy)
{
	struct iub_buf_detach d = { .handle = self->h[0] };
	struct iub_port_claim c = { .port = self->adc };
	struct iub_transfer x = { .port = self->adc, .length = SIZE };
	__u64 ud = 0;

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h[0],
					 self->adc, 0, SIZE, 0, 5));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
	self->h[0] = iub_test_attach(self->fd, self->b[0].fd);
	ASSERT_LE(0, self->h[0]);
	EXPECT_EQ(-EEXIST, iub_test_attach(self->fd, self->b[0].fd));
	EXPECT_EQ(1, iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c));
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 5000, &ud));
	EXPECT_EQ(5, ud);
	sim_restore(SIM_CH_ADC0);
	x.handle = self->h[0];
	EXPECT_EQ(SIZE, iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &x));
	/* one mapping all along */
	EXPECT_EQ(1, dmabuf_attachments(&self->b[0]));
	/* detached again, now idle: attached again as a new buffer */
	d.handle = self->h[0];
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
	self->h[0] = iub_test_attach(self->fd, self->b[0].fd);
	ASSERT_LE(0, self->h[0]);
	x.handle = self->h[0];
	EXPECT_EQ(SIZE, iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &x));
}

/* detaching buffers with transfers in flight: they finish, with good data */
TEST_F(t, detach_busy)
{
	struct iub_sim_stream_check chk;

	iub_sim_stream_check_init(&chk);
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "rate", 8 * 1024 * 1024));
	submit_all(_metadata, self);
	for (int i = 0; i < N; i++) {
		struct iub_buf_detach d = { .handle = self->h[i] };

		EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
	}
	for (int i = 0; i < N; i++) {
		__u64 ud = ~0ULL;

		ASSERT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, &ud));
		ASSERT_EQ((__u64)i, ud);
		dmabuf_sync(&self->b[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		EXPECT_EQ(0, iub_sim_stream_check_buf(&chk, self->b[i].map, SIZE));
		dmabuf_sync(&self->b[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	}
}

/* an injected DMA error reaches the CQE; the transfers after it succeed */
TEST_F(t, injected_error)
{
	struct iub_port_info before, after;

	ASSERT_LE(0, iub_test_find_port(self->fd, SIM_ADC0, &before));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "fail_next", 1));
	submit_all(_metadata, self);
	EXPECT_EQ(-EIO, iub_test_wait_cqe(&self->ring, 5000, NULL));
	for (int i = 1; i < N; i++) {
		EXPECT_EQ(SIZE, iub_test_wait_cqe(&self->ring, 5000, NULL));
	}
	ASSERT_LE(0, iub_test_find_port(self->fd, SIM_ADC0, &after));
	EXPECT_EQ(before.errors + 1, after.errors);
	EXPECT_EQ(before.transfers + N - 1, after.transfers);
	EXPECT_EQ(before.bytes + (N - 1) * SIZE, after.bytes);
}

/* a stalled channel: nothing completes until the port is cancelled */
TEST_F(t, stall_then_cancel)
{
	struct iub_port_claim c = { .port = self->adc };

	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	submit_all(_metadata, self);
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));
	EXPECT_EQ(N, iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c));
	for (int i = 0; i < N; i++) {
		EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 5000, NULL));
	}
}

/*
 * Submissions issued from io-wq (IOSQE_ASYNC) racing with cancels: every
 * transfer ends exactly once, and the file's budget is whole afterwards.
 * (Run on the debug kernel, KASAN watches the submitter and the
 * completion touching the same request.)
 */
TEST_F(t, async_issue_races_cancel)
{
	struct iub_port_claim c = { .port = self->adc };
	int got = 0;

	for (int round = 0; round < 100; round++) {
		/* a terminate ends the stall: stall again every round */
		ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
		for (int i = 0; i < 4; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
			struct iub_transfer x = { .handle = self->h[i], .port = self->adc,
						  .length = SIZE };

			ASSERT_NE(NULL, sqe);
			ASSERT_EQ(0, iub_prep_cmd(sqe, self->fd, IUB_IOC_TRANSFER,
						  &x, sizeof(x)));
			sqe->flags |= IOSQE_ASYNC;
			sqe->user_data = i;
		}
		ASSERT_EQ(4, io_uring_submit(&self->ring));
		iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c);
		for (int i = 0; i < 4; i++) {
			int res = iub_test_wait_cqe(&self->ring, 5000, NULL);

			if (res == -ETIME) {
				/* issued after the cancel: cancel again */
				iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c);
				res = iub_test_wait_cqe(&self->ring, 5000, NULL);
			}
			/* a transfer issued after the cancel may be the one
			 * that the second cancel ends, or it may finish */
			ASSERT_TRUE(res == -ECANCELED || res == SIZE) TH_LOG("res %d", res);
			got++;
		}
	}
	EXPECT_EQ(400, got);
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 100, NULL));
}

TEST_HARNESS_MAIN
