// SPDX-License-Identifier: GPL-2.0
/*
 * nop: asynchronous completion, the in-flight limit and cancellation, with
 * IUB_IOC_NOP standing in for a transfer: through io_uring task work, ring
 * exit, process exit (SIGKILL) and a signal interrupting a blocking ioctl.
 */
#include <limits.h>
#include <stdbool.h>
#include <sys/time.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>

#include "iub_harness.h"
#include "iub_test.h"

static unsigned int max_inflight(struct __test_metadata *_metadata, int fd)
{
	struct iub_features f;
	struct iub_query q = { .data = (__u64)(unsigned long)&f, .size = sizeof(f) };

	ASSERT_EQ((int)sizeof(f), iub_test_ioctl(fd, IUB_IOC_GET_FEATURES, &q));
	return f.max_inflight;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* submit @n NOPs with @flags, user_data = index */
static int submit_nops(struct io_uring *ring, int fd, unsigned int n,
		       __u32 flags)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe) {
			io_uring_submit(ring);
			sqe = io_uring_get_sqe(ring);
		}
		iub_prep_nop(sqe, fd, flags, 1000 + i);
		sqe->user_data = i;
	}
	return io_uring_submit(ring);
}

TEST(sync_and_async_values)
{
	struct io_uring ring;
	struct iub_nop n = { .value = 77 };
	int fd = iub_test_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	EXPECT_EQ(77, iub_test_ioctl(fd, IUB_IOC_NOP, &n));
	EXPECT_EQ(77, iub_test_uring_cmd(&ring, fd, IUB_IOC_NOP, &n, sizeof(n)));
	n.flags = IUB_NOP_ASYNC;
	n.value = 0;
	EXPECT_EQ(0, iub_test_ioctl(fd, IUB_IOC_NOP, &n));
	n.value = INT_MAX;
	EXPECT_EQ(INT_MAX, iub_test_uring_cmd(&ring, fd, IUB_IOC_NOP, &n, sizeof(n)));
	io_uring_queue_exit(&ring);
	close(fd);
}

/* many asynchronous commands in flight: each CQE once, with its value */
TEST(many_async)
{
	const unsigned int n = 128;
	unsigned char seen[128] = { 0 };
	struct io_uring ring;
	unsigned int i;
	int fd = iub_test_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, io_uring_queue_init(n, &ring, 0));
	for (int round = 0; round < 20; round++) {
		memset(seen, 0, sizeof(seen));
		ASSERT_EQ((int)n, submit_nops(&ring, fd, n, IUB_NOP_ASYNC));
		for (i = 0; i < n; i++) {
			__u64 ud = ~0ULL;
			int res = iub_test_wait_cqe(&ring, 5000, &ud);

			ASSERT_LT(ud, n);
			ASSERT_EQ((int)(1000 + ud), res);
			ASSERT_EQ(0, seen[ud]);
			seen[ud] = 1;
		}
	}
	io_uring_queue_exit(&ring);
	close(fd);
}

/*
 * Whether the file's whole budget of max_inflight requests is free: submit
 * that many asynchronous NOPs in one batch. Requests are freed only in task
 * work, which cannot run in the middle of the batch, so every one of them
 * succeeds only if none of the file's requests was still alive. Retried for
 * up to @ms, because a ring's teardown finishes asynchronously.
 */
static bool budget_is_free(int fd, unsigned int max, unsigned int ms)
{
	for (unsigned int waited = 0; waited <= ms; waited += 50) {
		struct io_uring ring;
		unsigned int ok = 0, i;

		if (io_uring_queue_init(4096, &ring, 0))
			return false;
		if (submit_nops(&ring, fd, max, IUB_NOP_ASYNC) != (int)max) {
			io_uring_queue_exit(&ring);
			return false;
		}
		for (i = 0; i < max; i++) {
			__u64 ud = ~0ULL;
			int res = iub_test_wait_cqe(&ring, 5000, &ud);

			if (res == (int)(1000 + ud))
				ok++;
			else if (res != -EBUSY)
				break;
		}
		io_uring_queue_exit(&ring);
		if (ok == max)
			return true;
		usleep(50000);
	}
	return false;
}

/* the per-file limit: one more than max_inflight fails with EBUSY; a
 * parked command stays in flight; ring exit cancels and frees them all */
TEST(inflight_limit_and_ring_exit)
{
	struct io_uring ring;
	unsigned int max;
	int fd = iub_test_open(), fd2;

	ASSERT_LE(0, fd);
	max = max_inflight(_metadata, fd);
	ASSERT_LE(1, max);
	ASSERT_GE(4096, max);

	for (int round = 0; round < 3; round++) {
		struct iub_nop n = { .flags = IUB_NOP_PARK };

		ASSERT_TRUE(budget_is_free(fd, max, 5000));
		ASSERT_EQ(0, io_uring_queue_init(4096, &ring, 0));
		ASSERT_EQ((int)max, submit_nops(&ring, fd, max, IUB_NOP_PARK));
		/* nothing completes on its own */
		EXPECT_EQ(-ETIME, iub_test_wait_cqe(&ring, 200, NULL));
		/* the limit counts per file, the same through ioctl */
		EXPECT_EQ(-EBUSY, iub_test_uring_cmd(&ring, fd, IUB_IOC_NOP, &n, sizeof(n)));
		n.flags = IUB_NOP_ASYNC;
		EXPECT_EQ(-EBUSY, iub_test_ioctl(fd, IUB_IOC_NOP, &n));
		/* a synchronous command needs no request */
		n.flags = 0;
		n.value = 3;
		EXPECT_EQ(3, iub_test_uring_cmd(&ring, fd, IUB_IOC_NOP, &n, sizeof(n)));
		/* another open file has its own budget */
		fd2 = iub_test_open();
		ASSERT_LE(0, fd2);
		n.flags = IUB_NOP_ASYNC;
		EXPECT_EQ(3, iub_test_ioctl(fd2, IUB_IOC_NOP, &n));
		close(fd2);
		/* exiting the ring cancels the parked commands and frees them */
		io_uring_queue_exit(&ring);
	}
	EXPECT_TRUE(budget_is_free(fd, max, 5000));
	close(fd);
}

/* a process killed with commands in flight: teardown is prompt and complete */
TEST(sigkill_with_parked)
{
	unsigned int max;
	double t0;
	int status, fd, sync_pipe[2];
	pid_t pid;
	char c;

	fd = iub_test_open();
	ASSERT_LE(0, fd);
	max = max_inflight(_metadata, fd);
	ASSERT_EQ(0, pipe(sync_pipe));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct io_uring ring;

		/* the child shares the file: its commands count on it */
		if (io_uring_queue_init(64, &ring, 0))
			_exit(1);
		if (submit_nops(&ring, fd, 16, IUB_NOP_PARK) != 16)
			_exit(2);
		if (submit_nops(&ring, fd, 16, IUB_NOP_ASYNC) != 16)
			_exit(3);
		c = 'r';
		if (write(sync_pipe[1], &c, 1) != 1)
			_exit(4);
		pause();
		_exit(5);
	}
	close(sync_pipe[1]);
	ASSERT_EQ(1, read(sync_pipe[0], &c, 1));
	t0 = now();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	/* all of the child's requests are freed, promptly (hang detection,
	 * not a benchmark) */
	EXPECT_TRUE(budget_is_free(fd, max, 5000));
	EXPECT_GT(5.0, now() - t0);
	close(fd);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* a signal ends a blocking ioctl on a parked command with EINTR */
TEST(ioctl_interrupted)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct iub_nop n = { .flags = IUB_NOP_PARK };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	double t0;
	int fd = iub_test_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	t0 = now();
	EXPECT_EQ(-EINTR, iub_test_ioctl(fd, IUB_IOC_NOP, &n));
	EXPECT_LT(0.15, now() - t0);
	/* the request was freed: the whole budget is available */
	n.flags = IUB_NOP_ASYNC;
	n.value = 9;
	EXPECT_EQ(9, iub_test_ioctl(fd, IUB_IOC_NOP, &n));
	close(fd);
}

TEST_HARNESS_MAIN
