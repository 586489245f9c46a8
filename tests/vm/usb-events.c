// SPDX-License-Identifier: GPL-2.0
/*
 * usb-events: IUB_IOC_PORT_EVENT on a function with protocol "libiio" and
 * two pipes (usb-events.sh sets it up on dummy_hcd, where the USB host is
 * Linux with tests/vm/usb-ctrl, and on the simulated SG UDC, whose host
 * sends what its debugfs "control" file is given). The host's requests go
 * through $IUB_USB_CTRL: "request REQ VALUE [N]" (exit 0: acknowledged,
 * 3: stalled) and "unbind".
 *
 * Rejections through ioctl() and io_uring alike; the events of the host's
 * requests, in order; a closed pipe's transfers end with ECANCELED before
 * its event arrives, the other pipe's stay; a full queue reports what it
 * dropped; a cancelled wait ends with ECANCELED; unbinding ends a wait with
 * ESHUTDOWN.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <liburing.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "iub_test.h"

#define SIZE 65536
#define EV_UD 0xe0e0

#define EV(code, value) ((code) << 16 | (value))

/* The host sends a request through $IUB_USB_CTRL: its exit status. */
static int host(const char *fmt, ...)
{
	const char *ctrl = getenv("IUB_USB_CTRL");
	char cmd[512], args[64];
	va_list ap;
	int st;

	if (!ctrl)
		return -1;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s", ctrl, args);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Queue (not submit) an IUB_IOC_PORT_EVENT that waits. */
static void queue_event(struct io_uring *ring, int fd, __u32 port, __u64 ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct iub_port_claim c = { .port = port };

	if (!sqe || iub_prep_cmd(sqe, fd, IUB_IOC_PORT_EVENT, &c, sizeof(c)))
		abort();
	sqe->user_data = ud;
}

/* The next queued event, without waiting: the event or -errno. */
static int take(int fd, __u32 port)
{
	struct iub_port_claim c = { .port = port, .flags = IUB_EVENT_NOWAIT };

	return iub_test_ioctl(fd, IUB_IOC_PORT_EVENT, &c);
}

FIXTURE(ev) {
	int fd;
	struct io_uring ring;
	struct dmabuf b;
	int h, in0, out0, in1, out1;
};

FIXTURE_SETUP(ev)
{
	int e;

	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(16, &self->ring, 0));
	ASSERT_EQ(0, dmabuf_create(&self->b, DMABUF_UDMABUF, SIZE));
	self->h = iub_test_attach(self->fd, self->b.fd);
	ASSERT_LE(0, self->h);
	self->in0 = iub_test_claim(self->fd, "usb0:in0");
	self->out0 = iub_test_claim(self->fd, "usb0:out0");
	self->in1 = iub_test_claim(self->fd, "usb0:in1");
	self->out1 = iub_test_claim(self->fd, "usb0:out1");
	ASSERT_LE(0, self->in0);
	ASSERT_LE(0, self->out0);
	ASSERT_LE(0, self->in1);
	ASSERT_LE(0, self->out1);
	/* what earlier cases left: the host configuring us, their requests */
	while ((e = take(self->fd, self->in0)) >= 0)
		TH_LOG("left over: event %u value %u", IUB_EVENT_CODE(e),
		       IUB_EVENT_VALUE(e));
	ASSERT_EQ(-EAGAIN, e);
}

FIXTURE_TEARDOWN(ev)
{
	dmabuf_destroy(&self->b);
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

#define both(op, block) iub_test_both(self->fd, &self->ring, (op), (block))

/* Every rejection, on both paths. */
TEST_F(ev, rejections)
{
	struct iub_port_claim c = { .port = self->in0, .flags = IUB_EVENT_NOWAIT };
	struct iub_port_info info;
	int other, conv;

	EXPECT_EQ(-EAGAIN, both(IUB_IOC_PORT_EVENT, &c));
	c.flags = 2;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_PORT_EVENT, &c));
	c.flags = IUB_EVENT_NOWAIT;
	c.reserved = 1;
	EXPECT_EQ(-EINVAL, both(IUB_IOC_PORT_EVENT, &c));
	c.reserved = 0;
	c.port = 0xffff;
	EXPECT_EQ(-ENODEV, both(IUB_IOC_PORT_EVENT, &c));

	/* a port of the function that another file holds, then ours */
	other = iub_test_open();
	ASSERT_LE(0, other);
	c.port = self->in1;
	EXPECT_EQ(-EPERM, iub_test_ioctl(other, IUB_IOC_PORT_EVENT, &c));
	close(other);

	/* converter ports have no events */
	conv = iub_test_claim(self->fd, "iub-sim-adc.0:rx");
	ASSERT_LE(0, conv);
	c.port = conv;
	EXPECT_EQ(-EOPNOTSUPP, both(IUB_IOC_PORT_EVENT, &c));

	/* libiio: OUT lengths in packets of this link */
	ASSERT_LE(0, iub_test_find_port(self->fd, "usb0:out1", &info));
	EXPECT_EQ(strtoul(getenv("IUB_OUT_ALIGN") ?: "0", NULL, 0), info.align);
	ASSERT_LE(0, iub_test_find_port(self->fd, "usb0:in1", &info));
	EXPECT_EQ(1, info.align);
}

/* Requests become events in the order the host sent them, to any pipe's port. */
TEST_F(ev, requests_in_order)
{
	__u64 ud;

	/* one waiting through io_uring, then two queued */
	queue_event(&self->ring, self->fd, self->out1, EV_UD);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));
	ASSERT_EQ(0, host("request 1 1"));
	EXPECT_EQ(EV(IUB_EVENT_OPEN_PIPE, 1),
		  iub_test_wait_cqe(&self->ring, 10000, &ud));
	EXPECT_EQ(EV_UD, ud);
	ASSERT_EQ(0, host("request 2 0"));
	ASSERT_EQ(0, host("request 0 0"));
	/* handled by a worker: the ioctl waits for it */
	EXPECT_EQ(EV(IUB_EVENT_CLOSE_PIPE, 0),
		  iub_test_ioctl(self->fd, IUB_IOC_PORT_EVENT,
				 &(struct iub_port_claim){ .port = self->in0 }));
	EXPECT_EQ(EV(IUB_EVENT_RESET_PIPES, 0),
		  iub_test_ioctl(self->fd, IUB_IOC_PORT_EVENT,
				 &(struct iub_port_claim){ .port = self->in1 }));
	EXPECT_EQ(-EAGAIN, take(self->fd, self->in0));
}

/* What libiio does not send is refused on ep0, and no event comes. */
TEST_F(ev, bad_requests_stall)
{
	EXPECT_EQ(3, host("request 1 2"));	/* no pipe 2 */
	EXPECT_EQ(3, host("request 2 7"));
	EXPECT_EQ(3, host("request 3 0"));	/* no such request */
	usleep(200000);
	EXPECT_EQ(-EAGAIN, take(self->fd, self->in0));
}

/*
 * CLOSE_PIPE 1: the transfers of pipe 1 end with ECANCELED before the
 * event is handed on; pipe 0's go on.
 */
TEST_F(ev, close_pipe_ends_its_transfers)
{
	struct iub_port_claim cancel = { .port = self->out0 };
	int res[4] = { 1, 1, 1, 1 }, seen = 0, ev_at = -1;
	__u64 ud;

	/* bulk OUT transfers the host never sends to, one per pipe */
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out0, 0, 4096, 0, 0));
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out1, 4096, 4096, 0, 1));
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out1, 8192, 4096, 0, 2));
	queue_event(&self->ring, self->fd, self->in0, EV_UD);
	ASSERT_EQ(4, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));

	ASSERT_EQ(0, host("request 2 1"));
	while (seen < 3) {
		int r = iub_test_wait_cqe(&self->ring, 10000, &ud);

		ASSERT_NE(-ETIME, r);
		if (ud == EV_UD) {
			EXPECT_EQ(EV(IUB_EVENT_CLOSE_PIPE, 1), r);
			ev_at = seen;
			res[3] = r;
		} else {
			ASSERT_LT(ud, 3);
			res[ud] = r;
		}
		seen++;
	}
	EXPECT_EQ(-ECANCELED, res[1]);
	EXPECT_EQ(-ECANCELED, res[2]);
	EXPECT_EQ(2, ev_at);			/* the event last */
	EXPECT_EQ(1, res[0]);			/* pipe 0 still waits */
	EXPECT_EQ(1, iub_test_ioctl(self->fd, IUB_IOC_PORT_CANCEL, &cancel));
	EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 10000, &ud));
	EXPECT_EQ(0, ud);
}

/* RESET_PIPES ends the transfers of every pipe. */
TEST_F(ev, reset_pipes_ends_every_pipe)
{
	__u64 ud;
	int i;

	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out0, 0, 4096, 0, 0));
	ASSERT_EQ(0, iub_test_queue_xfer(&self->ring, self->fd, self->h,
					 self->out1, 4096, 4096, 0, 1));
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));
	ASSERT_EQ(0, host("request 0 0"));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(-ECANCELED, iub_test_wait_cqe(&self->ring, 10000, &ud));
	EXPECT_EQ(EV(IUB_EVENT_RESET_PIPES, 0),
		  iub_test_ioctl(self->fd, IUB_IOC_PORT_EVENT,
				 &(struct iub_port_claim){ .port = self->in0 }));
}

/* 70 requests nobody takes: 64 queued, then how many were dropped. */
TEST_F(ev, full_queue_reports_the_loss)
{
	int i, e;

	ASSERT_EQ(0, host("request 1 0 70"));
	/* the last ones are handled by the worker: wait for the LOST */
	for (i = 0; i < 64; i++)
		ASSERT_EQ(EV(IUB_EVENT_OPEN_PIPE, 0),
			  iub_test_ioctl(self->fd, IUB_IOC_PORT_EVENT,
					 &(struct iub_port_claim){ .port = self->in0 }));
	e = iub_test_ioctl(self->fd, IUB_IOC_PORT_EVENT,
			   &(struct iub_port_claim){ .port = self->in0 });
	EXPECT_EQ(EV(IUB_EVENT_LOST, 6), e);
	EXPECT_EQ(-EAGAIN, take(self->fd, self->in0));
	/* and events flow again */
	ASSERT_EQ(0, host("request 2 0"));
	EXPECT_EQ(EV(IUB_EVENT_CLOSE_PIPE, 0),
		  iub_test_ioctl(self->fd, IUB_IOC_PORT_EVENT,
				 &(struct iub_port_claim){ .port = self->in0 }));
}

static void on_alarm(int sig)
{
}

/*
 * A wait that ends without an event leaves the queue to the next command:
 * a ring that exits cancels its waiting command (ECANCELED, the CQE no one
 * reads), a signal interrupts a blocking ioctl (EINTR).
 */
TEST_F(ev, cancelled_waits_take_nothing)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct io_uring ring2;

	ASSERT_EQ(0, io_uring_queue_init(4, &ring2, 0));
	queue_event(&ring2, self->fd, self->in0, EV_UD);
	ASSERT_EQ(1, io_uring_submit(&ring2));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&ring2, 300, NULL));
	io_uring_queue_exit(&ring2);

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	EXPECT_EQ(-EINTR, iub_test_ioctl(self->fd, IUB_IOC_PORT_EVENT,
					 &(struct iub_port_claim){ .port = self->in0 }));

	ASSERT_EQ(0, host("request 1 1"));
	EXPECT_EQ(EV(IUB_EVENT_OPEN_PIPE, 1),
		  iub_test_ioctl(self->fd, IUB_IOC_PORT_EVENT,
				 &(struct iub_port_claim){ .port = self->in0 }));
}

/*
 * Last: unbinding the function. The host leaving is an event for the first
 * waiting command; the second ends with ESHUTDOWN, as does a new one.
 */
TEST_F(ev, unbind_ends_the_wait)
{
	struct iub_port_claim c = { .port = self->in1 };
	int r, i;
	__u64 ud;

	queue_event(&self->ring, self->fd, self->in1, EV_UD);
	queue_event(&self->ring, self->fd, self->in1, EV_UD + 1);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&self->ring, 300, NULL));
	ASSERT_EQ(0, host("unbind"));
	for (i = 0; i < 2; i++) {
		r = iub_test_wait_cqe(&self->ring, 10000, &ud);
		if (ud == EV_UD) {
			EXPECT_EQ(EV(IUB_EVENT_OFFLINE, 0), r);
		} else {
			EXPECT_EQ(-ESHUTDOWN, r);
		}
	}
	r = iub_test_ioctl(self->fd, IUB_IOC_PORT_EVENT, &c);
	EXPECT_TRUE(r == -ESHUTDOWN || r == -ENODEV) TH_LOG("got %d", r);
}

TEST_HARNESS_MAIN
