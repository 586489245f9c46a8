// SPDX-License-Identifier: GPL-2.0
/*
 * usb-errors: the documented rejections on USB ports, through ioctl() and
 * io_uring alike, on whichever UDC usb-errors.sh set up (dummy_hcd: the
 * CPU path; the simulated SG UDC: the DMA path), while a host reads the
 * bulk IN endpoint: a transfer that slipped past a check would really
 * run. Flags that do not apply (ZLP on bulk OUT, CYCLIC on USB), ranges
 * outside the buffer, routes the wrong way, and the errno of a cancelled
 * USB transfer. The last case streams USB_ERRORS_BYTES of the simulated
 * board's stream out of bulk IN: the host verifies that it got exactly
 * that, so nothing refused went out.
 */
#include <pthread.h>
#include <stdlib.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"
#include "../../sim/iub_sim_stream.h"

#define SIZE 65536
#define USB_IN "usb0:in0"
#define USB_OUT "usb0:out0"
#define USB_ERRORS_BYTES (1024 * 1024)

FIXTURE(usb) {
	int fd;
	struct io_uring ring;
	struct dmabuf b;
	int h, in, out;
	struct iub_port_info in_info, out_info;
};

FIXTURE_SETUP(usb)
{
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
	ASSERT_EQ(0, dmabuf_create(&self->b, DMABUF_UDMABUF, SIZE));
	self->h = iub_test_attach(self->fd, self->b.fd);
	ASSERT_LE(0, self->h);
	self->in = iub_test_claim(self->fd, USB_IN);
	self->out = iub_test_claim(self->fd, USB_OUT);
	ASSERT_LE(0, self->in);
	ASSERT_LE(0, self->out);
	ASSERT_LE(0, iub_test_find_port(self->fd, USB_IN, &self->in_info));
	ASSERT_LE(0, iub_test_find_port(self->fd, USB_OUT, &self->out_info));
	ASSERT_TRUE(self->in_info.flags & IUB_PORT_F_ONLINE);
	TH_LOG("%s path", self->in_info.flags & IUB_PORT_F_USB_CPU ? "CPU" : "DMA");
}

FIXTURE_TEARDOWN(usb)
{
	dmabuf_destroy(&self->b);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

/* the fixture's file, through ioctl() and io_uring: one result */
#define both(op, block) iub_test_both(self->fd, &self->ring, (op), (block))

static int xfer(FIXTURE_DATA(usb) *self, int port, __u32 flags, __u32 off,
		__u32 len)
{
	struct iub_transfer t = { .handle = self->h, .port = port,
				  .flags = flags, .offset = off, .length = len };

	return both(IUB_IOC_TRANSFER, &t);
}

TEST_F(usb, flags_that_do_not_apply)
{
	unsigned int bit;

	EXPECT_EQ(-EINVAL, xfer(self, self->out, IUB_XFER_ZLP, 0, 4096));
	EXPECT_EQ(-EINVAL, xfer(self, self->out, IUB_XFER_ZLP | IUB_XFER_NO_SYNC, 0, 4096));
	EXPECT_EQ(-EINVAL, xfer(self, self->in, IUB_XFER_CYCLIC, 0, 4096));
	EXPECT_EQ(-EINVAL, xfer(self, self->out, IUB_XFER_CYCLIC, 0, 4096));
	EXPECT_EQ(-EINVAL, xfer(self, self->in, IUB_XFER_CYCLIC | IUB_XFER_ZLP, 0, 4096));
	for (bit = 3; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, xfer(self, self->in, 1u << bit, 0, 4096));
		EXPECT_EQ(-EINVAL, xfer(self, self->out, 1u << bit, 0, 4096));
	}
	EXPECT_FALSE(self->in_info.flags & IUB_PORT_F_CYCLIC);
	EXPECT_FALSE(self->out_info.flags & IUB_PORT_F_CYCLIC);
}

TEST_F(usb, range_outside_the_buffer)
{
	int port[2] = { self->in, self->out }, i;
	struct iub_port_info *info[2] = { &self->in_info, &self->out_info };

	/*
	 * Bulk OUT moves whole packets at any speed: offsets and lengths in
	 * multiples of 1024 (Documentation/usb-function.rst); bulk IN any.
	 */
	ASSERT_EQ(1, self->in_info.align);
	ASSERT_EQ(1024, self->out_info.align);
	for (i = 0; i < 2; i++) {
		int p = port[i];
		__u32 align = info[i]->align, max = info[i]->max_transfer;

		EXPECT_EQ(-EINVAL, xfer(self, p, 0, 0, 0));
		EXPECT_EQ(-EINVAL, xfer(self, p, 0, SIZE, 4096));
		EXPECT_EQ(-EINVAL, xfer(self, p, 0, SIZE - 4096, 8192));
		EXPECT_EQ(-EINVAL, xfer(self, p, 0, SIZE - align, 2 * align));
		EXPECT_EQ(-EINVAL, xfer(self, p, 0, 0, SIZE + align));
		EXPECT_EQ(-EINVAL, xfer(self, p, 0, 0xfffff000, 0x2000));
		EXPECT_EQ(-EINVAL, xfer(self, p, 0, 0xffffffff & ~(align - 1), align));
		if (align > 1) {
			EXPECT_EQ(-EINVAL, xfer(self, p, 0, align / 2, 4096));
			EXPECT_EQ(-EINVAL, xfer(self, p, 0, 0, 4096 + align / 2));
		}
		if (max <= 0xffffffff - align)
			EXPECT_EQ(-E2BIG, xfer(self, p, 0, 0, max + align));
	}
}

TEST_F(usb, routes_the_wrong_way)
{
	struct iub_route rt = { .handle = self->h, .length = 4096 };
	int adc = iub_test_claim(self->fd, SIM_ADC0);

	ASSERT_LE(0, adc);
	/* bulk IN does not fill a buffer, bulk OUT does not empty one */
	rt.from = self->in;
	rt.to = self->in;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.from = adc;
	rt.to = self->out;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.from = self->out;
	rt.to = adc;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	/* a range past the end, toward a host that reads */
	rt.from = adc;
	rt.to = self->in;
	rt.flags = IUB_ROUTE_ZLP;
	rt.offset = SIZE - 2048;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
	rt.offset = 0xfffff000;
	rt.length = 0x2000;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_ROUTE, &rt));
}

struct blocked {
	int fd, h, port, res;
};

static void *blocking_transfer(void *arg)
{
	struct blocked *b = arg;
	struct iub_transfer t = { .handle = b->h, .port = b->port,
				  .length = 4096 };

	b->res = iub_test_ioctl(b->fd, IUB_IOC_TRANSFER, &t);
	return NULL;
}

/*
 * A bulk OUT transfer the host never sends to ends with ECANCELED when the
 * port is cancelled: queued through io_uring, and blocked in ioctl().
 */
TEST_F(usb, cancelled_transfer_errno)
{
	struct iub_port_claim c = { .port = self->out };
	struct blocked b = { .fd = self->fd, .h = self->h, .port = self->out };
	pthread_t thread;
	int i;

	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out, 0, 4096, 0, 7));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));
	EXPECT_EQ(1, iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c));
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 10000, NULL));

	ASSERT_EQ(0, pthread_create(&thread, NULL, blocking_transfer, &b));
	/* cancel until the blocked transfer was there to be cancelled */
	for (i = 0; i < 200; i++) {
		int n;

		usleep(50000);
		n = iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &c);
		if (n == 1)
			break;
		EXPECT_EQ(0, n);
	}
	EXPECT_GT(200, i) TH_LOG("the blocking transfer was never queued");
	pthread_join(thread, NULL);
	EXPECT_EQ(-ECANCELED, b.res);
}

/*
 * Last (the harness runs the cases in this order; usb-errors.sh's host
 * waits for exactly this stream, so run the program whole, not one case
 * with -t): the stream goes out, half of each buffer through ioctl(),
 * half through io_uring; the host checks it got exactly this, so none of
 * the refused transfers above sent anything.
 */
TEST_F(usb, only_the_stream_reached_the_host)
{
	struct iub_transfer t = { .handle = self->h, .port = self->in,
				  .length = SIZE / 2 };
	__u32 next = 0x20000000, done;

	for (done = 0; done < USB_ERRORS_BYTES; done += SIZE) {
		ASSERT_EQ(0, dmabuf_sync(&self->b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
		next = iub_sim_stream_fill(self->b.map, SIZE / 4, next);
		ASSERT_EQ(0, dmabuf_sync(&self->b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
		t.offset = 0;
		ASSERT_EQ(SIZE / 2, iub_test_ioctl(self->fd, IUB_IOC_TRANSFER, &t));
		t.offset = SIZE / 2;
		ASSERT_EQ(SIZE / 2, iub_test_uring_cmd(&self->ring, self->fd,
						       IUB_IOC_TRANSFER, &t, sizeof(t)));
	}
}

TEST_HARNESS_MAIN
