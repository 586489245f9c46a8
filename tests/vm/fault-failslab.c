// SPDX-License-Identifier: GPL-2.0
/*
 * fault-failslab: every slab allocation on the path of a command fails, one
 * at a time (the Nth allocation of this thread: /proc/thread-self/fail-nth
 * with failslab), for BUF_ATTACH, the first TRANSFER through a DMA device
 * (attach and map), a later TRANSFER, a ROUTE, an asynchronous NOP and the
 * synchronous commands, through ioctl and io_uring. Each attempt ends with
 * the command's normal result or with ENOMEM, never anything else; after
 * all of them the DMABUF count is back to its baseline, the ports are idle
 * and the file's in-flight budget is whole.
 *
 * Needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (the debug
 * kernel, tools/debug-kernel/); skips (exit 4) on a kernel without them.
 */
#include <limits.h>
#include <stdlib.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define SIZE (64 * 1024)
#define NBUF 4
/* far more allocations than any command makes: the loop ends before */
#define MAX_NTH 400

#define FAILSLAB "/sys/kernel/debug/failslab/"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -errno;
	close(fd);
	return ret;
}

/* fail-nth of the calling thread, opened once */
static int nth_fd = -1;

static void nth_arm(int nth)
{
	char s[16];
	int n = snprintf(s, sizeof(s), "%d", nth);

	if (pwrite(nth_fd, s, n, 0) != n)
		abort();
}

/* disarm; returns whether the armed failure was injected */
static int nth_disarm(void)
{
	char s[16] = { 0 };
	int injected;

	if (pread(nth_fd, s, sizeof(s) - 1, 0) <= 0)
		abort();
	injected = atoi(s) == 0;
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		abort();
	return injected;
}

FIXTURE(f) {
	int baseline;
	int fd, adc, dac;
	struct io_uring ring;
	struct dmabuf b[NBUF];
	int budget;
};

FIXTURE_SETUP(f)
{
	struct iub_features feat;
	struct iub_query q = { .data = (__u64)(unsigned long)&feat,
			       .size = sizeof(feat) };

	/* GFP_KERNEL allocations too, and no stack dump per failure */
	ASSERT_EQ(0, write_str(FAILSLAB "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_str(FAILSLAB "verbose", "0"));
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nth_fd);

	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
	/* before this test's own DMABUFs exist */
	self->baseline = dmabuf_count();
	ASSERT_LE(0, self->baseline);
	for (int i = 0; i < NBUF; i++) {
		ASSERT_EQ(0, dmabuf_create(&self->b[i], i % 2 ? DMABUF_HEAP :
					   DMABUF_UDMABUF, SIZE));
	}
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	ASSERT_LT(0, iub_test_ioctl(self->fd, IUB_IOC_GET_FEATURES, &q));
	self->budget = feat.max_inflight;
	self->adc = iub_test_claim(self->fd, SIM_ADC0);
	self->dac = iub_test_claim(self->fd, SIM_DAC0);
	ASSERT_LE(0, self->adc);
	ASSERT_LE(0, self->dac);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
}

/*
 * Nothing left behind: both ports idle (they release), the whole in-flight
 * budget available (as many parked NOPs as max_inflight, and not one
 * more), no DMABUF reference held once the file is closed.
 */
FIXTURE_TEARDOWN(f)
{
	struct iub_port_claim c = { 0 };
	struct io_uring big;
	int busy = 0, n;

	nth_disarm();
	close(nth_fd);
	nth_fd = -1;
	write_str(FAILSLAB "ignore-gfp-wait", "Y");
	write_str(FAILSLAB "verbose", "2");

	c.port = self->adc;
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_PORT_RELEASE, &c));
	c.port = self->dac;
	EXPECT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_PORT_RELEASE, &c));

	if (!io_uring_queue_init(1024, &big, 0)) {
		for (int i = 0; i <= self->budget; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&big);

			if (!sqe) {
				io_uring_submit(&big);
				sqe = io_uring_get_sqe(&big);
			}
			iub_prep_nop(sqe, self->fd, IUB_NOP_PARK, 0);
		}
		io_uring_submit(&big);
		/* only the one past the budget completes, with EBUSY */
		while (iub_test_wait_cqe(&big, 500, NULL) == -EBUSY)
			busy++;
		EXPECT_EQ(1, busy) TH_LOG("in-flight budget not whole");
		io_uring_queue_exit(&big);
	}
	io_uring_queue_exit(&self->ring);
	close(self->fd);
	for (int i = 0; i < NBUF; i++)
		dmabuf_destroy(&self->b[i]);
	n = dmabuf_count_settle(self->baseline, 3000);
	EXPECT_EQ(self->baseline, n);
	sim_restore(SIM_CH_ADC0);
	sim_restore(SIM_CH_DAC0);
}

/* the result of a command that may have met an injected failure */
#define EXPECT_OK_OR_ENOMEM(want, got) \
	EXPECT_TRUE((got) == (want) || (got) == -ENOMEM) \
		TH_LOG("nth %d: result %d, wanted %d or ENOMEM", nth, got, want)

/*
 * One io_uring command with the Nth allocation failing. An injected
 * failure may hit io_uring itself (no request: submit fails, the SQE stays
 * queued); it is then submitted again without injection.
 */
static int uring_nth(FIXTURE_DATA(f) *self, int nth, __u32 op,
		     const void *block, size_t len, int *injected)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	int ret;

	if (iub_prep_cmd(sqe, self->fd, op, block, len))
		return -1000;
	sqe->user_data = 7;
	nth_arm(nth);
	ret = io_uring_submit(&self->ring);
	*injected = nth_disarm();
	if (ret != 1) {
		if (io_uring_submit(&self->ring) != 1)
			return -1000;
	}
	ret = iub_test_wait_cqe(&self->ring, 10000, NULL);
	return ret;
}

static int ioctl_nth(FIXTURE_DATA(f) *self, int nth, unsigned long op,
		     void *block, int *injected)
{
	int ret;

	nth_arm(nth);
	ret = ioctl(self->fd, op, block);
	ret = ret < 0 ? -errno : ret;
	*injected = nth_disarm();
	return ret;
}

static void detach(FIXTURE_DATA(f) *self, int handle)
{
	struct iub_buf_detach d = { .handle = handle };

	ioctl(self->fd, IUB_IOC_BUF_DETACH, &d);
}

TEST_F(f, buf_attach)
{
	int nth, injected = 1, uring;

	for (uring = 0; uring < 2; uring++) {
		for (nth = 1; nth < MAX_NTH && injected; nth++) {
			struct iub_buf_attach a = { .fd = self->b[nth % NBUF].fd };
			int h = uring ? uring_nth(self, nth, IUB_IOC_BUF_ATTACH,
						  &a, sizeof(a), &injected) :
					ioctl_nth(self, nth, IUB_IOC_BUF_ATTACH,
						  &a, &injected);

			EXPECT_TRUE(h == 0 || h == -ENOMEM)
				TH_LOG("nth %d: %d", nth, h);
			if (h >= 0)
				detach(self, h);
		}
		EXPECT_GT(MAX_NTH, nth);
		injected = 1;
	}
}

/* a fresh handle each time: the transfer attaches and maps the buffer */
static void xfer_loop(struct __test_metadata *_metadata,
		      FIXTURE_DATA(f) *self, int uring, int premapped)
{
	int nth, injected = 1;

	for (nth = 1; nth < MAX_NTH && injected; nth++) {
		struct dmabuf *b = &self->b[nth % NBUF];
		int h = iub_test_attach(self->fd, b->fd), ret;
		struct iub_transfer t = { .port = self->adc, .length = SIZE };

		ASSERT_LE(0, h);
		t.handle = h;
		if (premapped) {
			ASSERT_EQ(SIZE, iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &t));
		}
		ret = uring ? uring_nth(self, nth, IUB_IOC_TRANSFER, &t,
					sizeof(t), &injected) :
			      ioctl_nth(self, nth, IUB_IOC_TRANSFER, &t,
					&injected);
		EXPECT_OK_OR_ENOMEM(SIZE, ret);
		/* the port works right after */
		EXPECT_EQ(SIZE, iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &t));
		detach(self, h);
	}
	EXPECT_GT(MAX_NTH, nth);
	TH_LOG("%d allocations on the path", nth - 2);
}

TEST_F(f, first_transfer_ioctl)
{
	xfer_loop(_metadata, self, 0, 0);
}

TEST_F(f, first_transfer_uring)
{
	xfer_loop(_metadata, self, 1, 0);
}

TEST_F(f, mapped_transfer_uring)
{
	xfer_loop(_metadata, self, 1, 1);
}

TEST_F(f, route_uring)
{
	int nth, injected = 1;

	for (nth = 1; nth < MAX_NTH && injected; nth++) {
		struct dmabuf *b = &self->b[nth % NBUF];
		int h = iub_test_attach(self->fd, b->fd), ret;
		struct iub_route r = { .from = self->adc, .to = self->dac,
				       .length = SIZE };

		ASSERT_LE(0, h);
		r.handle = h;
		ret = uring_nth(self, nth, IUB_IOC_ROUTE, &r, sizeof(r),
				&injected);
		EXPECT_OK_OR_ENOMEM(SIZE, ret);
		EXPECT_EQ(SIZE, iub_test_ioctl(self->fd, IUB_IOC_ROUTE, &r));
		detach(self, h);
	}
	EXPECT_GT(MAX_NTH, nth);
}

TEST_F(f, nop_async)
{
	int nth, injected = 1, uring;

	for (uring = 0; uring < 2; uring++) {
		for (nth = 1; nth < MAX_NTH && injected; nth++) {
			struct iub_nop n = { .flags = IUB_NOP_ASYNC, .value = nth };
			int ret = uring ? uring_nth(self, nth, IUB_IOC_NOP, &n,
						    sizeof(n), &injected) :
					  ioctl_nth(self, nth, IUB_IOC_NOP, &n,
						    &injected);

			EXPECT_OK_OR_ENOMEM(nth, ret);
		}
		EXPECT_GT(MAX_NTH, nth);
		injected = 1;
	}
}

/* commands without a request: their result, or ENOMEM if they allocate */
TEST_F(f, sync_commands)
{
	struct iub_port_info ports[16];
	struct iub_features feat;
	int absent = iub_test_find_port(self->fd, SIM_ABSENT, NULL);
	int nth, injected = 1, ret;

	ASSERT_LE(0, absent);
	for (nth = 1; nth < MAX_NTH && injected; nth++) {
		struct iub_query q = { .data = (__u64)(unsigned long)ports,
				       .size = sizeof(ports) };

		ret = ioctl_nth(self, nth, IUB_IOC_GET_PORTS, &q, &injected);
		EXPECT_TRUE(ret > 0 || ret == -ENOMEM) TH_LOG("%d", ret);
	}
	injected = 1;
	for (nth = 1; nth < MAX_NTH && injected; nth++) {
		struct iub_port_claim c = { .port = absent };

		ret = ioctl_nth(self, nth, IUB_IOC_PORT_CLAIM, &c, &injected);
		EXPECT_TRUE(ret == -ENXIO || ret == -ENOMEM) TH_LOG("%d", ret);
	}
	injected = 1;
	for (nth = 1; nth < MAX_NTH && injected; nth++) {
		struct iub_query q = { .data = (__u64)(unsigned long)&feat,
				       .size = sizeof(feat) };

		ret = uring_nth(self, nth, IUB_IOC_GET_FEATURES, &q, sizeof(q),
				&injected);
		EXPECT_TRUE(ret == sizeof(feat) || ret == -ENOMEM) TH_LOG("%d", ret);
	}
}

int main(int argc, char **argv)
{
	if (access("/proc/thread-self/fail-nth", F_OK) ||
	    access(FAILSLAB "ignore-gfp-wait", F_OK)) {
		printf("# SKIP: this kernel has no failslab (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)\n");
		return KSFT_SKIP;
	}
	return test_harness_run(argc, argv);
}
