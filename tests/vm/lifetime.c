// SPDX-License-Identifier: GPL-2.0
/*
 * lifetime: what issue, cancel and lookups must never wait for, and
 * cancels that must never be lost (Documentation/hardening.rst).
 *
 * The simulated DMA controller can hold a DMABUF's reservation lock for a
 * while (debugfs iub-sim-dma/hold_resv), like another driver busy with the
 * buffer: a submission then waits for it in io-wq, never inline, and a
 * cancel that arrives while it waits ends it once it is queued.
 */
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define SIZE 65536
#define HOLD "/sys/kernel/debug/iub-sim-dma/hold_resv"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* lock @dmabuf_fd's reservation for @ms; returns once it is held */
static int hold_resv(int dmabuf_fd, unsigned int ms)
{
	char s[32];
	int fd = open(HOLD, O_WRONLY | O_CLOEXEC), n, ret = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(s, sizeof(s), "%d %u", dmabuf_fd, ms);
	if (write(fd, s, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * A cyclic playback submitted with IOSQE_ASYNC while its buffer's
 * reservation is held: the io-wq worker waits for the lock with the
 * command already cancelable. The submitter goes away meanwhile (process
 * exit or ring exit, @how); the cancel must not be lost: once queued, the
 * transfer ends, and the exit finishes. Before the fix, the cyclic
 * transfer ran on and the exiting task waited for it forever.
 */
static int async_cancel_child(int how)
{
	struct iub_transfer t = { .length = SIZE, .flags = IUB_XFER_CYCLIC };
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct dmabuf b;
	int fd, port, h;

	fd = iub_test_open();
	port = iub_test_claim(fd, SIM_DAC0);
	if (fd < 0 || port < 0 || io_uring_queue_init(8, &ring, 0) ||
	    dmabuf_create(&b, DMABUF_UDMABUF, SIZE))
		return 10;
	h = iub_test_attach(fd, b.fd);
	if (h < 0)
		return 11;
	t.handle = h;
	t.port = port;
	/* mapped for the DAC first: only the reservation lock is in the way */
	t.flags = 0;
	if (iub_test_ioctl(fd, IUB_IOC_TRANSFER, &t) != SIZE)
		return 14;
	t.flags = IUB_XFER_CYCLIC;
	if (hold_resv(b.fd, 1000))
		return 12;
	sqe = io_uring_get_sqe(&ring);
	if (iub_prep_cmd(sqe, fd, IUB_IOC_TRANSFER, &t, sizeof(t)))
		return 15;
	sqe->flags |= IOSQE_ASYNC;
	if (io_uring_submit(&ring) != 1)
		return 13;
	usleep(200000);		/* the worker waits for the lock now */
	if (how == 0)
		_exit(0);	/* process exit with the command in io-wq */
	io_uring_queue_exit(&ring);	/* ring exit: waits for the command */
	return 0;
}

static void async_cancel(struct __test_metadata *_metadata, int how)
{
	int status = -1, fd, ret = -1;
	double t0 = now();
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(async_cancel_child(how));
	while (now() - t0 < 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(20000);
	}
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("the submitter did not finish exiting within 10 s: the cancel was lost");
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* the transfer ended and its file went: the DAC port is free again */
	fd = iub_test_open();
	ASSERT_LE(0, fd);
	while (now() - t0 < 10) {
		ret = iub_test_claim(fd, SIM_DAC0);
		if (ret >= 0)
			break;
		usleep(20000);
	}
	close(fd);
	ASSERT_LE(0, ret) TH_LOG("the DAC is still busy 10 s later: the cancel was lost");
	EXPECT_GT(3.0, now() - t0);
}

TEST(async_cancel_at_process_exit)
{
	async_cancel(_metadata, 0);
}

TEST(async_cancel_at_ring_exit)
{
	async_cancel(_metadata, 1);
}

/*
 * io_uring issues a command inline with IO_URING_F_NONBLOCK, under the
 * ring's lock: a held reservation must not make io_uring_submit() wait.
 * The transfer still runs, after the lock, from io-wq.
 */
TEST(nonblock_issue_does_not_wait)
{
	struct io_uring ring;
	struct dmabuf b;
	double t0, t_sub;
	int fd, port, h, ret;

	fd = iub_test_open();
	ASSERT_LE(0, fd);
	port = iub_test_claim(fd, SIM_ADC0);
	ASSERT_LE(0, port);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	ASSERT_EQ(0, dmabuf_create(&b, DMABUF_UDMABUF, SIZE));
	h = iub_test_attach(fd, b.fd);
	ASSERT_LE(0, h);
	/* mapped once, unheld: only the reservation lock is in the way */
	ASSERT_EQ(0, iub_test_queue_xfer(&ring, fd, h, port, 0, SIZE, 0, 1));
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(SIZE, iub_test_wait_cqe(&ring, 10000, NULL));

	ASSERT_EQ(0, hold_resv(b.fd, 1500));
	t0 = now();
	ASSERT_EQ(0, iub_test_queue_xfer(&ring, fd, h, port, 0, SIZE, 0, 2));
	ASSERT_EQ(1, io_uring_submit(&ring));
	t_sub = now() - t0;
	ret = iub_test_wait_cqe(&ring, 10000, NULL);
	EXPECT_EQ(SIZE, ret);
	EXPECT_GT(0.5, t_sub)
		TH_LOG("io_uring_submit() waited %.2f s for the reservation lock", t_sub);
	EXPECT_LT(1.3, now() - t0) TH_LOG("the transfer did not wait for the lock");
	io_uring_queue_exit(&ring);
	close(fd);
	dmabuf_destroy(&b);
}

struct get_ports_arg {
	int fd;
	void *buf;
	int ret;
};

static void *get_ports_thread(void *p)
{
	struct get_ports_arg *a = p;
	struct iub_query q = { .data = (__u64)(unsigned long)a->buf,
			       .size = 4096 / sizeof(struct iub_port_info) *
				       sizeof(struct iub_port_info) };

	a->ret = ioctl(a->fd, IUB_IOC_GET_PORTS, &q) < 0 ? -errno : 0;
	return NULL;
}

struct claim_arg {
	const char *name;
	volatile int done;
	int ret;
};

static void *claim_thread(void *p)
{
	struct claim_arg *a = p;
	int fd = iub_test_open();

	a->ret = fd < 0 ? -errno : iub_test_claim(fd, a->name);
	if (fd >= 0)
		close(fd);
	a->done = 1;
	return NULL;
}

/*
 * GET_PORTS into a page whose fault takes long (userfaultfd, FUSE): the
 * registry's lock must not be held while it waits, or every claim,
 * unbind and converter removal waits too.
 */
TEST(get_ports_fault_does_not_block_claims)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp = { 0 };
	struct get_ports_arg g = { 0 };
	struct claim_arg c = { .name = SIM_ADC1 };
	pthread_t tg, tc;
	int uffd, i;
	void *page;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	/* Debian's kernel has it; the debug kernel's defconfig does not */
	if (uffd < 0 && errno == ENOSYS)
		SKIP(return, "no userfaultfd in this kernel");
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	reg.range.start = (unsigned long)page;
	reg.range.len = 4096;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	g.fd = iub_test_open();
	ASSERT_LE(0, g.fd);
	g.buf = page;
	ASSERT_EQ(0, pthread_create(&tg, NULL, get_ports_thread, &g));
	usleep(300000);		/* GET_PORTS waits in the fault now */
	ASSERT_EQ(0, pthread_create(&tc, NULL, claim_thread, &c));
	for (i = 0; i < 100 && !c.done; i++)
		usleep(10000);
	EXPECT_TRUE(c.done) TH_LOG("a claim waited for another file's GET_PORTS fault");

	/* let the fault in, then both finish */
	zp.range.start = (unsigned long)page;
	zp.range.len = 4096;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	pthread_join(tg, NULL);
	pthread_join(tc, NULL);
	EXPECT_EQ(0, g.ret);
	EXPECT_LE(0, c.ret);
	EXPECT_STREQ(((struct iub_port_info *)page)[0].name[0] ? "named" : "",
		     "named");
	close(g.fd);
	close(uffd);
	munmap(page, 4096);
}

/*
 * The bridge's workqueue signals fences, which memory reclaim may wait
 * for: it has a rescuer thread (WQ_MEM_RECLAIM), "kworker/R-" and the
 * queue's name, "iub".
 */
TEST(workqueue_has_rescuer)
{
	char path[64], comm[32];
	bool found = false;
	int pid;

	for (pid = 2; pid < 32768 && !found; pid++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strcmp(comm, "kworker/R-iub\n"))
			found = true;
		fclose(f);
	}
	EXPECT_TRUE(found) TH_LOG("no rescuer: iub_wq lacks WQ_MEM_RECLAIM");
}

/*
 * Once BUF_DETACH, or close() of the file, returned, the bridge no longer
 * maps the buffer (nothing is in flight on it): an exporter's CPU-access
 * syncs (DMA_BUF_IOCTL_SYNC on a system-heap buffer syncs every attachment
 * it thinks mapped) must not race an unmap the bridge does later. Before,
 * a worker unmapped it some time after: the debug kernel's DMA-API check
 * caught the system heap syncing a mapping being torn down.
 */
static void unmapped_at_once(struct __test_metadata *_metadata, bool by_close)
{
	struct iub_transfer t = { .length = SIZE };
	struct iub_buf_detach d = { 0 };
	struct dmabuf b;
	int fd, port, h, i;

	ASSERT_EQ(0, dmabuf_create(&b, DMABUF_HEAP, SIZE));
	for (i = 0; i < 50; i++) {
		fd = iub_test_open();
		ASSERT_LE(0, fd);
		port = iub_test_claim(fd, SIM_ADC0);
		ASSERT_LE(0, port);
		h = iub_test_attach(fd, b.fd);
		ASSERT_LE(0, h);
		t.handle = h;
		t.port = port;
		ASSERT_EQ(SIZE, iub_test_ioctl(fd, IUB_IOC_TRANSFER, &t));
		ASSERT_EQ(1, dmabuf_attachments(&b));
		if (by_close) {
			close(fd);
		} else {
			d.handle = h;
			ASSERT_EQ(0, iub_test_ioctl(fd, IUB_IOC_BUF_DETACH, &d));
		}
		ASSERT_EQ(0, dmabuf_attachments(&b))
			TH_LOG("round %d: still attached after %s returned", i,
			       by_close ? "close()" : "BUF_DETACH");
		ASSERT_EQ(0, dmabuf_sync(&b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
		ASSERT_EQ(0, dmabuf_sync(&b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
		if (!by_close)
			close(fd);
	}
	dmabuf_destroy(&b);
}

TEST(detach_unmaps_at_once)
{
	unmapped_at_once(_metadata, false);
}

TEST(close_unmaps_at_once)
{
	unmapped_at_once(_metadata, true);
}

TEST_HARNESS_MAIN
