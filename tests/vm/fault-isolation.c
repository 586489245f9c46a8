// SPDX-License-Identifier: GPL-2.0
/*
 * fault-isolation: the security properties of the UAPI. Handles and port
 * claims belong to one open file: another file, in this process or
 * another, cannot use, detach, release or cancel them (passing the fd
 * itself is how sharing is done, and works); the per-file limits hold for
 * transfers and routes too and leave other files alone; and no kernel
 * address, stale kernel memory or nonzero reserved field reaches
 * userspace through GET_FEATURES, GET_PORTS or the CQEs.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define SIZE (64 * 1024)

FIXTURE(iso) {
	int baseline;
	int a, b;		/* two open files */
	int adc, dac, h;	/* claimed and attached by a */
	struct dmabuf buf;
};

FIXTURE_SETUP(iso)
{
	sim_restore(SIM_CH_ADC0);
	self->baseline = dmabuf_count();
	ASSERT_LE(0, self->baseline);
	ASSERT_EQ(0, dmabuf_create(&self->buf, DMABUF_UDMABUF, SIZE));
	self->a = iub_test_open();
	self->b = iub_test_open();
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
	self->adc = iub_test_claim(self->a, SIM_ADC0);
	self->dac = iub_test_claim(self->a, SIM_DAC0);
	ASSERT_LE(0, self->adc);
	ASSERT_LE(0, self->dac);
	self->h = iub_test_attach(self->a, self->buf.fd);
	ASSERT_LE(0, self->h);
}

FIXTURE_TEARDOWN(iso)
{
	close(self->a);
	close(self->b);
	dmabuf_destroy(&self->buf);
	EXPECT_EQ(self->baseline, dmabuf_count_settle(self->baseline, 3000));
}

/*
 * What another file sees and may do with file a's handle and ports.
 * Returns 0 when everything was refused as documented, else the number of
 * the first check that failed (usable as a child's exit status).
 */
static int probe_other_file(int fd, int h, int adc, int dac)
{
	struct iub_transfer t = { .handle = h, .port = adc, .length = SIZE };
	struct iub_route r = { .handle = h, .from = adc, .to = dac,
			       .length = SIZE };
	struct iub_buf_detach d = { .handle = h };
	struct iub_port_claim c = { .port = adc };
	struct iub_port_info info = { 0 };
	struct io_uring ring;
	int own, ret = 0;

	/* a's port: busy, not ours; every port command refused */
	if (iub_test_find_port(fd, SIM_ADC0, &info) != adc)
		return 1;
	if (!(info.flags & IUB_PORT_F_BUSY) || (info.flags & IUB_PORT_F_CLAIMED))
		return 2;
	if (iub_test_ioctl(fd, IUB_IOC_PORT_CLAIM, &c) != -EBUSY)
		return 3;
	if (iub_test_ioctl(fd, IUB_IOC_PORT_RELEASE, &c) != -EPERM)
		return 4;
	if (iub_test_ioctl(fd, IUB_IOC_PORT_CANCEL, &c) != -EPERM)
		return 5;
	/* a's handle means nothing here */
	if (iub_test_ioctl(fd, IUB_IOC_BUF_DETACH, &d) != -ENOENT)
		return 6;
	/* a transfer on a's port: EPERM (the port is checked first) */
	if (iub_test_ioctl(fd, IUB_IOC_TRANSFER, &t) != -EPERM)
		return 7;
	if (iub_test_ioctl(fd, IUB_IOC_ROUTE, &r) != -EPERM)
		return 8;
	/* on a port of its own, a's handle is still unknown */
	own = iub_test_claim(fd, SIM_ADC1);
	if (own < 0)
		return 9;
	t.port = own;
	if (iub_test_ioctl(fd, IUB_IOC_TRANSFER, &t) != -ENOENT)
		return 10;
	/* the same through io_uring */
	if (io_uring_queue_init(4, &ring, 0))
		return 11;
	if (iub_test_uring_cmd(&ring, fd, IUB_IOC_TRANSFER, &t, sizeof(t)) != -ENOENT)
		ret = 12;
	t.port = adc;
	if (!ret && iub_test_uring_cmd(&ring, fd, IUB_IOC_TRANSFER, &t, sizeof(t)) != -EPERM)
		ret = 13;
	if (!ret && iub_test_uring_cmd(&ring, fd, IUB_IOC_BUF_DETACH, &d, sizeof(d)) != -ENOENT)
		ret = 14;
	if (!ret && iub_test_uring_cmd(&ring, fd, IUB_IOC_PORT_CANCEL, &c, sizeof(c)) != -EPERM)
		ret = 15;
	io_uring_queue_exit(&ring);
	c.port = own;
	if (!ret && iub_test_ioctl(fd, IUB_IOC_PORT_RELEASE, &c))
		ret = 16;
	return ret;
}

/* another open file of the same process */
TEST_F(iso, other_file_same_process)
{
	struct iub_transfer t = { .handle = self->h, .port = self->adc,
				  .length = SIZE };

	EXPECT_EQ(0, probe_other_file(self->b, self->h, self->adc, self->dac));
	/* and a's own use is unaffected */
	EXPECT_EQ(SIZE, iub_test_ioctl(self->a, IUB_IOC_TRANSFER, &t));
}

/* another process, with its own open file */
TEST_F(iso, other_process)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = iub_test_open();

		_exit(fd < 0 ? 100 : probe_other_file(fd, self->h, self->adc,
						       self->dac));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * The file itself, passed over a socket (SCM_RIGHTS): the receiver acts
 * as file a, with its handles and ports. Sharing is by passing the fd.
 */
TEST_F(iso, fd_passing_shares_the_file)
{
	int sv[2], status;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char cbuf[CMSG_SPACE(sizeof(int))], c;
		struct iovec iov = { .iov_base = &c, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		struct iub_transfer t = { .handle = self->h, .port = self->adc,
					  .length = SIZE };
		int fd;

		/* forget the inherited files: only the passed one counts */
		close(self->a);
		close(self->b);
		if (recvmsg(sv[1], &msg, 0) != 1)
			_exit(1);
		memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(fd));
		_exit(iub_test_ioctl(fd, IUB_IOC_TRANSFER, &t) == SIZE ? 0 : 2);
	}
	{
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 'f';
		struct iovec iov = { .iov_base = &c, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &self->a, sizeof(int));
		ASSERT_EQ(1, sendmsg(sv[0], &msg, 0));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sv[0]);
	close(sv[1]);
}

/* a file at its buffer limit does not limit another file */
TEST_F(iso, buffer_limit_per_file)
{
	struct iub_features f;
	struct iub_query q = { .data = (__u64)(unsigned long)&f, .size = sizeof(f) };
	struct dmabuf *more;
	int n = 1;	/* a has one already */

	ASSERT_EQ((int)sizeof(f), iub_test_ioctl(self->a, IUB_IOC_GET_FEATURES, &q));
	more = dmabuf_create_many(f.max_buffers);
	ASSERT_NE(NULL, more);
	for (int i = 0; i < (int)f.max_buffers - 1; i++)
		if (iub_test_attach(self->a, more[i].fd) >= 0)
			n++;
	EXPECT_EQ((int)f.max_buffers, n);
	EXPECT_EQ(-ENOSPC, iub_test_attach(self->a, more[f.max_buffers - 1].fd));
	EXPECT_LE(0, iub_test_attach(self->b, more[f.max_buffers - 1].fd));
	EXPECT_LE(0, iub_test_attach(self->b, self->buf.fd));
	close(self->a);
	close(self->b);
	self->a = self->b = -1;
	dmabuf_destroy_many(more, f.max_buffers);
}

/* one more parked NOP on @fd; returns what io_uring_submit() did */
static int park_one(struct io_uring *ring, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -1;
	iub_prep_nop(sqe, fd, IUB_NOP_PARK, 0);
	return io_uring_submit(ring);
}

/*
 * The in-flight limit counts transfers and routes (a route is three
 * requests): at the limit they fail with EBUSY before doing anything, and
 * another file is not limited.
 */
TEST_F(iso, inflight_limit_counts_transfers_and_routes)
{
	struct iub_transfer t = { .handle = self->h, .port = self->adc,
				  .length = SIZE };
	struct iub_route r = { .handle = self->h, .from = self->adc,
			       .to = self->dac, .length = SIZE };
	struct iub_transfer tb = { .length = SIZE };
	struct iub_nop n = { .flags = IUB_NOP_PARK };
	struct iub_features f;
	struct iub_query q = { .data = (__u64)(unsigned long)&f, .size = sizeof(f) };
	struct io_uring ring;
	unsigned int i;

	ASSERT_EQ((int)sizeof(f), iub_test_ioctl(self->a, IUB_IOC_GET_FEATURES, &q));
	ASSERT_EQ(0, io_uring_queue_init(2048, &ring, 0));
	/* park all but two */
	for (i = 0; i < f.max_inflight - 2; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		ASSERT_NE(NULL, sqe);
		ASSERT_EQ(0, iub_prep_cmd(sqe, self->a, IUB_IOC_NOP, &n, sizeof(n)));
	}
	ASSERT_EQ((int)f.max_inflight - 2, io_uring_submit(&ring));
	/* a route needs three: refused, nothing queued on either port */
	EXPECT_EQ(-EBUSY, iub_test_ioctl(self->a, IUB_IOC_ROUTE, &r));
	/* a transfer needs one: fine, twice */
	EXPECT_EQ(SIZE, iub_test_ioctl(self->a, IUB_IOC_TRANSFER, &t));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&ring, 100, NULL));
	ASSERT_EQ(1, park_one(&ring, self->a));
	/* one left: one transfer, then EBUSY with one more parked */
	EXPECT_EQ(SIZE, iub_test_ioctl(self->a, IUB_IOC_TRANSFER, &t));
	ASSERT_EQ(1, park_one(&ring, self->a));
	EXPECT_EQ(-EBUSY, iub_test_ioctl(self->a, IUB_IOC_TRANSFER, &t));
	EXPECT_EQ(-EBUSY, iub_test_uring_cmd(&ring, self->a, IUB_IOC_TRANSFER,
					     &t, sizeof(t)));
	/* b is not limited by a */
	tb.handle = iub_test_attach(self->b, self->buf.fd);
	tb.port = iub_test_claim(self->b, SIM_ADC1);
	EXPECT_EQ(SIZE, iub_test_ioctl(self->b, IUB_IOC_TRANSFER, &tb));
	io_uring_queue_exit(&ring);
	/* the parked ones are gone: the budget is back */
	for (i = 0; i < 100; i++) {
		if (iub_test_ioctl(self->a, IUB_IOC_ROUTE, &r) == SIZE)
			break;
		usleep(20000);
	}
	EXPECT_GT(100, i);
}

/* a value that looks like a kernel address (x86-64: top bits set) */
static int looks_like_kernel_pointer(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t off = 0; off + 8 <= len; off += 8) {
		__u64 v;

		memcpy(&v, c + off, 8);
		if ((v >> 47) == 0x1ffff)
			return 1;
	}
	return 0;
}

/*
 * GET_FEATURES clears the caller's whole buffer past what it writes, and
 * GET_PORTS writes whole, zero-padded entries: no stale kernel memory, no
 * kernel address, reserved fields zero.
 */
TEST_F(iso, queries_leak_nothing)
{
	static unsigned char out[4096];
	struct iub_query q = { .data = (__u64)(unsigned long)out, .size = sizeof(out) };
	struct iub_port_info *p = (void *)out;
	int n, ret;

	memset(out, 0xa5, sizeof(out));
	ret = iub_test_ioctl(self->a, IUB_IOC_GET_FEATURES, &q);
	ASSERT_EQ((int)sizeof(struct iub_features), ret);
	for (size_t i = ret; i < sizeof(out); i++) {
		ASSERT_EQ(0, out[i]) TH_LOG("byte %zu not cleared", i);
	}
	EXPECT_EQ(0, ((struct iub_features *)out)->reserved0);
	EXPECT_FALSE(looks_like_kernel_pointer(out, ret));

	memset(out, 0xa5, sizeof(out));
	q.size = 42 * sizeof(*p);
	n = iub_test_ioctl(self->a, IUB_IOC_GET_PORTS, &q);
	ASSERT_LT(0, n);
	ASSERT_GE(42, n);
	for (int i = 0; i < n; i++) {
		size_t len = strnlen(p[i].name, sizeof(p[i].name));

		ASSERT_GT(sizeof(p[i].name), len) TH_LOG("name not terminated");
		for (size_t k = len; k < sizeof(p[i].name); k++) {
			ASSERT_EQ(0, p[i].name[k]) TH_LOG("port %d name byte %zu", i, k);
		}
		/* USB ports have no gaps (converter ports' are numbers) */
		if (p[i].kind == IUB_PORT_USB) {
			EXPECT_EQ(0, p[i].gaps);
			EXPECT_EQ(0, p[i].gap_ns);
		}
		EXPECT_FALSE(looks_like_kernel_pointer(&p[i].id,
						       sizeof(p[i]) - sizeof(p[i].name)));
	}
	/* entries past the ports are left alone */
	for (size_t i = n * sizeof(*p); i < q.size; i++) {
		ASSERT_EQ(0xa5, out[i]);
	}
}

/* the extra CQE words carry nothing but documented values */
TEST_F(iso, cqe32_extra_words)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, IORING_SETUP_CQE32));
	sqe = io_uring_get_sqe(&ring);
	iub_prep_nop(sqe, self->a, IUB_NOP_ASYNC, 5);
	sqe = io_uring_get_sqe(&ring);
	iub_prep_transfer(sqe, self->a, self->h, self->adc, 0, SIZE, 0);
	sqe = io_uring_get_sqe(&ring);
	iub_prep_route(sqe, self->a, self->h, self->adc, self->dac, 0, SIZE, 0);
	ASSERT_EQ(3, io_uring_submit(&ring));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		EXPECT_LE(0, cqe->res);
		EXPECT_FALSE(looks_like_kernel_pointer(cqe->big_cqe, 16));
		EXPECT_EQ(0, cqe->big_cqe[1]);
		if (cqe->res == 5) {
			EXPECT_EQ(0, cqe->big_cqe[0]);
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
}

TEST_HARNESS_MAIN
