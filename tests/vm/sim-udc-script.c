// SPDX-License-Identifier: GPL-2.0
/*
 * sim-udc-script: the scripted host of the simulated SG UDC (debugfs
 * "inject" on OUT endpoints, "capture" on IN endpoints), through the
 * bridge's function on it (usb-events.sh sets it up: usb0, two pipes, the
 * OUT ports aligned to 1024-byte packets). What libiio's host does and the
 * daemon's tests rely on: a host transfer that ends with a short packet
 * ends the device's request; one of whole packets does not (no ZLP), its
 * bytes and the next transfer's fill the same request; each IN request is
 * one captured record, read back whole.
 */
#include <stdlib.h>

#include <liburing.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "iub_test.h"

#define SIZE 65536
#define DBG "/sys/kernel/debug/iub-sim-udc/"

FIXTURE(script) {
	int fd;
	struct io_uring ring;
	struct dmabuf b;
	int h, in0, out0;
	char in_dir[64], out_dir[64];
};

static int inject(const char *dir, const void *data, size_t len)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "%sinject", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, data, len) == (ssize_t)len ? 0 : -errno;
	close(fd);
	return ret;
}

/* One captured IN request: its length, or -errno (EAGAIN: none yet). */
static int capture_read(const char *dir, void *buf, size_t len)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "%scapture", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read(fd, buf, len);
	ret = ret < 0 ? -errno : ret;
	close(fd);
	return ret;
}

FIXTURE_SETUP(script)
{
	char path[128];

	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
	ASSERT_EQ(0, dmabuf_create(&self->b, DMABUF_UDMABUF, SIZE));
	self->h = iub_test_attach(self->fd, self->b.fd);
	ASSERT_LE(0, self->h);
	self->in0 = iub_test_claim(self->fd, "usb0:in0");
	self->out0 = iub_test_claim(self->fd, "usb0:out0");
	ASSERT_LE(0, self->in0);
	ASSERT_LE(0, self->out0);
	/* usb0's pipe 0 is the first pair the function took: ep1 */
	snprintf(self->in_dir, sizeof(self->in_dir), DBG "ep1in/");
	snprintf(self->out_dir, sizeof(self->out_dir), DBG "ep1out/");
	snprintf(path, sizeof(path), "%sreset", self->out_dir);
	ASSERT_EQ(0, iub_test_write_file(path, 1));
	snprintf(path, sizeof(path), "%sreset", self->in_dir);
	ASSERT_EQ(0, iub_test_write_file(path, 1));
	/* until something is injected the host would send its stream */
	snprintf(path, sizeof(path), "%spause", self->out_dir);
	ASSERT_EQ(0, iub_test_write_file(path, 1));
}

/* The host polls OUT again: only what was injected, from now on. */
static int unpause(const char *dir)
{
	char path[128];

	snprintf(path, sizeof(path), "%spause", dir);
	return iub_test_write_file(path, 0);
}

FIXTURE_TEARDOWN(script)
{
	dmabuf_destroy(&self->b);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

/* A short host transfer ends the request with its bytes. */
TEST_F(script, short_transfer_ends_the_request)
{
	static const char cmd[] = "VERSION\r\n";

	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out0, 0, 4096, 0, 1));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, inject(self->out_dir, cmd, strlen(cmd)));
	ASSERT_EQ(0, unpause(self->out_dir));
	EXPECT_EQ(strlen(cmd), iub_test_wait_cqe(&self->ring, 10000, NULL));
	EXPECT_EQ(0, memcmp(self->b.map, cmd, strlen(cmd)));
	/* and nothing more until told */
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out0, 4096, 4096, 0, 2));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 500, NULL));
	ASSERT_EQ(0, inject(self->out_dir, cmd, 3));
	EXPECT_EQ(3, iub_test_wait_cqe(&self->ring, 10000, NULL));
}

/*
 * Whole packets and no ZLP: the request goes on into the host's next
 * transfer, as with libiio's host. A request no longer than the host's
 * transfer ends with it.
 */
TEST_F(script, whole_packets_do_not_end_the_request)
{
	static char data[2048 + 5];

	for (unsigned int i = 0; i < sizeof(data); i++)
		data[i] = i * 7;
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out0, 0, 4096, 0, 1));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, inject(self->out_dir, data, 2048));
	ASSERT_EQ(0, unpause(self->out_dir));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 500, NULL));
	ASSERT_EQ(0, inject(self->out_dir, data + 2048, 5));
	EXPECT_EQ(2053, iub_test_wait_cqe(&self->ring, 10000, NULL));
	EXPECT_EQ(0, memcmp(self->b.map, data, sizeof(data)));

	/* a request of exactly the host's 2048 bytes */
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out0, 8192, 2048, 0, 2));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, inject(self->out_dir, data, 2048));
	EXPECT_EQ(2048, iub_test_wait_cqe(&self->ring, 10000, NULL));
}

/* Each captured IN request is one record, read back whole, in order. */
TEST_F(script, captured_requests_come_back_whole)
{
	unsigned char *m = self->b.map;
	static char buf[8192];
	char path[128];
	__u64 ud;
	int i;

	memcpy(m, "0\n", 2);
	for (i = 0; i < 4096; i++)
		m[4096 + i] = i * 3;
	snprintf(path, sizeof(path), "%scapture", self->in_dir);
	ASSERT_EQ(0, iub_test_write_file(path, 2));
	EXPECT_EQ(-EAGAIN, capture_read(self->in_dir, buf, sizeof(buf)));
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->in0, 0, 2, 0, 1));
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->in0, 4096, 4096, 0, 2));
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	EXPECT_EQ(2, iub_test_wait_cqe(&self->ring, 10000, &ud));
	EXPECT_EQ(4096, iub_test_wait_cqe(&self->ring, 10000, &ud));
	EXPECT_EQ(-EMSGSIZE, capture_read(self->in_dir, buf, 1));
	EXPECT_EQ(2, capture_read(self->in_dir, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "0\n", 2));
	EXPECT_EQ(4096, capture_read(self->in_dir, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, m + 4096, 4096));
	EXPECT_EQ(-EAGAIN, capture_read(self->in_dir, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
