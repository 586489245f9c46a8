// SPDX-License-Identifier: GPL-2.0
/*
 * fault-race: commands of one file racing each other from several threads.
 * Detach against transfers on the same handle, two detaches of one handle,
 * close() from another thread while a blocking ioctl or io_uring
 * transfers are in flight, close() against attach/detach, concurrent port
 * cancels against submissions, two files racing to claim one port. Every
 * command gets a documented result, every transfer completes exactly once,
 * the closed file's ports become free, and no DMABUF is left behind.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "iub_harness.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define NBUF 4
#define SIZE (64 * 1024)

FIXTURE(race) {
	int baseline;
	int fd, adc;
	struct dmabuf b[NBUF];
};

FIXTURE_SETUP(race)
{
	sim_restore(SIM_CH_ADC0);
	self->baseline = dmabuf_count();
	ASSERT_LE(0, self->baseline);
	for (int i = 0; i < NBUF; i++) {
		ASSERT_EQ(0, dmabuf_create(&self->b[i], i % 2 ? DMABUF_HEAP :
					   DMABUF_UDMABUF, SIZE));
	}
	self->fd = iub_test_open();
	ASSERT_LE(0, self->fd);
	self->adc = iub_test_claim(self->fd, SIM_ADC0);
	ASSERT_LE(0, self->adc);
}

FIXTURE_TEARDOWN(race)
{
	int fd;

	sim_restore(SIM_CH_ADC0);
	if (self->fd >= 0)
		close(self->fd);
	/* the port is free again: another open file can claim it */
	fd = iub_test_open();
	EXPECT_LE(0, fd);
	for (int i = 0; i < 100; i++) {
		if (iub_test_claim(fd, SIM_ADC0) >= 0)
			break;
		usleep(20000);
	}
	EXPECT_LE(0, iub_test_find_port(fd, SIM_ADC0, NULL));
	close(fd);
	for (int i = 0; i < NBUF; i++)
		dmabuf_destroy(&self->b[i]);
	EXPECT_EQ(self->baseline, dmabuf_count_settle(self->baseline, 3000));
}

struct shared {
	FIXTURE_DATA(race) *self;
	atomic_int stop;
	atomic_int handle;
	atomic_int bad;		/* undocumented results */
	atomic_int ok, enoent, other;
	int bad_value;
};

static void note_bad(struct shared *s, int v)
{
	s->bad_value = v;
	atomic_fetch_add(&s->bad, 1);
}

/* submits transfers on whatever handle is current, reaps them */
static void *submitter(void *arg)
{
	struct shared *s = arg;
	struct io_uring ring;
	int inflight = 0;

	if (io_uring_queue_init(32, &ring, 0)) {
		note_bad(s, -1);
		return NULL;
	}
	while (!atomic_load(&s->stop) || inflight) {
		struct io_uring_cqe *cqe;

		while (!atomic_load(&s->stop) && inflight < 8) {
			iub_test_queue_xfer(&ring, s->self->fd,
					    atomic_load(&s->handle), s->self->adc,
					    0, SIZE, 0, 0);
			if (io_uring_submit(&ring) != 1) {
				note_bad(s, -2);
				break;
			}
			inflight++;
		}
		if (!inflight)
			break;
		if (io_uring_wait_cqe(&ring, &cqe))
			break;
		if (cqe->res == SIZE)
			atomic_fetch_add(&s->ok, 1);
		else if (cqe->res == -ENOENT)
			atomic_fetch_add(&s->enoent, 1);
		else
			note_bad(s, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
		inflight--;
	}
	io_uring_queue_exit(&ring);
	return NULL;
}

/*
 * Detach the handle that transfers are being submitted on, attach again,
 * over and over: each transfer either finds the buffer (and completes
 * normally, the buffer kept until it ends) or does not (ENOENT).
 */
TEST_F(race, detach_vs_transfer)
{
	struct shared s = { .self = self };
	pthread_t th;

	s.handle = iub_test_attach(self->fd, self->b[0].fd);
	ASSERT_LE(0, s.handle);
	ASSERT_EQ(0, pthread_create(&th, NULL, submitter, &s));
	for (int i = 0; i < 500; i++) {
		struct iub_buf_detach d = { .handle = atomic_load(&s.handle) };
		int h;

		ASSERT_EQ(0, iub_test_ioctl(self->fd, IUB_IOC_BUF_DETACH, &d));
		if (i % 3 == 1)
			usleep(100);	/* transfers meanwhile find no buffer */
		h = iub_test_attach(self->fd, self->b[i % NBUF].fd);
		ASSERT_LE(0, h);
		atomic_store(&s.handle, h);
		if (i % 3 == 2)
			usleep(1000);	/* and now they find it */
	}
	atomic_store(&s.stop, 1);
	pthread_join(th, NULL);
	EXPECT_EQ(0, s.bad) TH_LOG("unexpected result %d", s.bad_value);
	TH_LOG("%d transfers completed, %d found no buffer", s.ok, s.enoent);
	EXPECT_LT(0, s.ok);
}

struct detacher {
	int fd;
	atomic_int *handle;
	atomic_int *go;
	int result;
};

static void *detach_once(void *arg)
{
	struct detacher *d = arg;
	struct iub_buf_detach bd;

	while (!atomic_load(d->go))
		;
	bd = (struct iub_buf_detach){ .handle = atomic_load(d->handle) };
	d->result = iub_test_ioctl(d->fd, IUB_IOC_BUF_DETACH, &bd);
	return NULL;
}

/* two threads detach the same handle: exactly one succeeds */
TEST_F(race, double_detach)
{
	atomic_int handle, go;

	for (int i = 0; i < 300; i++) {
		struct detacher d[2];
		pthread_t th[2];

		atomic_store(&go, 0);
		atomic_store(&handle, iub_test_attach(self->fd, self->b[i % NBUF].fd));
		ASSERT_LE(0, atomic_load(&handle));
		for (int t = 0; t < 2; t++) {
			d[t] = (struct detacher){ self->fd, &handle, &go, 1 };
			ASSERT_EQ(0, pthread_create(&th[t], NULL, detach_once, &d[t]));
		}
		atomic_store(&go, 1);
		pthread_join(th[0], NULL);
		pthread_join(th[1], NULL);
		ASSERT_TRUE((d[0].result == 0 && d[1].result == -ENOENT) ||
			    (d[1].result == 0 && d[0].result == -ENOENT))
			TH_LOG("results %d %d", d[0].result, d[1].result);
	}
}

struct blocked {
	int fd;
	struct iub_transfer t;
	int result;
};

static void *blocking_transfer(void *arg)
{
	struct blocked *b = arg;

	b->result = iub_test_ioctl(b->fd, IUB_IOC_TRANSFER, &b->t);
	return NULL;
}

/*
 * close() from another thread while a blocking TRANSFER waits on a stalled
 * channel: the ioctl holds the file, so it goes on and completes once the
 * channel runs again; the file is released afterwards.
 */
TEST_F(race, close_during_blocking_ioctl)
{
	struct blocked b = { .fd = self->fd };
	pthread_t th;

	b.t = (struct iub_transfer){ .port = self->adc, .length = SIZE };
	b.t.handle = iub_test_attach(self->fd, self->b[0].fd);
	ASSERT_LE(0, b.t.handle);
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	ASSERT_EQ(0, pthread_create(&th, NULL, blocking_transfer, &b));
	usleep(200000);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	usleep(200000);
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 0));
	pthread_join(th, NULL);
	EXPECT_EQ(SIZE, b.result);
}

struct ringer {
	int fd, adc, handle;
	struct io_uring ring;
	atomic_int ready;
	atomic_int exit_now;
	int completions;
};

static void *ring_owner(void *arg)
{
	struct ringer *r = arg;

	for (int i = 0; i < 16; i++)
		iub_test_queue_xfer(&r->ring, r->fd, r->handle, r->adc, 0, SIZE,
				    0, i);
	if (io_uring_submit(&r->ring) != 16)
		r->completions = -1;
	atomic_store(&r->ready, 1);
	while (!atomic_load(&r->exit_now))
		usleep(1000);
	io_uring_queue_exit(&r->ring);
	return NULL;
}

/*
 * close() from one thread, then ring exit from the thread that owns the
 * ring, with 16 transfers in flight on a stalled channel: the ring holds
 * the file until its commands are cancelled; then the file goes.
 */
TEST_F(race, close_then_ring_exit)
{
	struct ringer r = { .fd = self->fd, .adc = self->adc };
	pthread_t th;

	r.handle = iub_test_attach(self->fd, self->b[1].fd);
	ASSERT_LE(0, r.handle);
	ASSERT_EQ(0, io_uring_queue_init(32, &r.ring, 0));
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "stall", 1));
	ASSERT_EQ(0, pthread_create(&th, NULL, ring_owner, &r));
	while (!atomic_load(&r.ready))
		usleep(1000);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	/* the file is still held: the channel is still ours */
	EXPECT_EQ(0, r.completions);
	atomic_store(&r.exit_now, 1);
	pthread_join(th, NULL);
}

static void *attach_detach_loop(void *arg)
{
	struct shared *s = arg;
	struct iub_buf_detach kept = { .handle = ~0U };
	unsigned int n = 0;

	while (!atomic_load(&s->stop)) {
		int h = iub_test_attach(s->self->fd, s->self->b[2].fd);

		if (h >= 0) {
			struct iub_buf_detach d = { .handle = h };

			atomic_fetch_add(&s->ok, 1);
			/* keep every other one attached: close detaches it */
			if (n++ % 2)
				iub_test_ioctl(s->self->fd, IUB_IOC_BUF_DETACH, &d);
			else
				kept.handle = h;
		} else if (h == -EBADF) {
			break;	/* the file was closed */
		} else if (h == -EEXIST && kept.handle != ~0U) {
			/* attached once per file: let the kept one go */
			iub_test_ioctl(s->self->fd, IUB_IOC_BUF_DETACH, &kept);
			kept.handle = ~0U;
		} else {
			note_bad(s, h);
		}
	}
	return NULL;
}

/* close() from another thread while a thread attaches and detaches */
TEST_F(race, close_vs_attach)
{
	for (int round = 0; round < 20; round++) {
		struct shared s = { .self = self };
		pthread_t th;

		if (self->fd < 0) {
			self->fd = iub_test_open();
			ASSERT_LE(0, self->fd);
		}
		ASSERT_EQ(0, pthread_create(&th, NULL, attach_detach_loop, &s));
		usleep(1000 * (1 + round % 7));
		ASSERT_EQ(0, close(self->fd));
		self->fd = -1;
		usleep(10000);
		atomic_store(&s.stop, 1);
		pthread_join(th, NULL);
		EXPECT_EQ(0, s.bad) TH_LOG("unexpected result %d", s.bad_value);
	}
}

static void *canceller(void *arg)
{
	struct shared *s = arg;
	struct iub_port_claim c = { .port = s->self->adc };

	while (!atomic_load(&s->stop)) {
		int n = iub_test_ioctl(s->self->fd, IUB_IOC_PORT_CANCEL, &c);

		if (n < 0)
			note_bad(s, n);
		usleep(500);
	}
	return NULL;
}

/*
 * Two threads cancel the port over and over while a third submits and
 * reaps: every transfer completes exactly once, with its bytes or
 * ECANCELED.
 */
TEST_F(race, cancels_vs_submissions)
{
	struct shared s = { .self = self };
	struct io_uring ring;
	pthread_t th[2];
	int submitted = 0, reaped = 0;

	s.handle = iub_test_attach(self->fd, self->b[3].fd);
	ASSERT_LE(0, s.handle);
	ASSERT_EQ(0, sim_set(SIM_CH_ADC0, "rate", 64 * 1024 * 1024));
	ASSERT_EQ(0, io_uring_queue_init(64, &ring, 0));
	for (int t = 0; t < 2; t++) {
		ASSERT_EQ(0, pthread_create(&th[t], NULL, canceller, &s));
	}
	for (int i = 0; i < 2000; i++) {
		struct io_uring_cqe *cqe;

		if (submitted - reaped < 16) {
			iub_test_queue_xfer(&ring, self->fd, s.handle, self->adc,
					    0, SIZE, 0, i);
			ASSERT_EQ(1, io_uring_submit(&ring));
			submitted++;
		}
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			if (cqe->res != SIZE && cqe->res != -ECANCELED)
				note_bad(&s, cqe->res);
			io_uring_cqe_seen(&ring, cqe);
			reaped++;
		}
	}
	atomic_store(&s.stop, 1);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	while (reaped < submitted) {
		int res = iub_test_wait_cqe(&ring, 5000, NULL);

		ASSERT_NE(-ETIME, res) TH_LOG("%d of %d reaped", reaped, submitted);
		if (res != SIZE && res != -ECANCELED)
			note_bad(&s, res);
		reaped++;
	}
	EXPECT_EQ(-ETIME, iub_test_wait_cqe(&ring, 100, NULL));
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, s.bad) TH_LOG("unexpected result %d", s.bad_value);
}

struct claimer {
	int fd, port;
	atomic_int *go;
	int result;
};

static void *claim_once(void *arg)
{
	struct claimer *c = arg;
	struct iub_port_claim pc = { .port = c->port };

	while (!atomic_load(c->go))
		;
	c->result = iub_test_ioctl(c->fd, IUB_IOC_PORT_CLAIM, &pc);
	return NULL;
}

/* two files race to claim one port: exactly one gets it */
TEST_F(race, two_files_claim)
{
	int adc1 = iub_test_find_port(self->fd, SIM_ADC1, NULL);
	int fd2 = iub_test_open();
	atomic_int go;

	ASSERT_LE(0, adc1);
	ASSERT_LE(0, fd2);
	for (int i = 0; i < 300; i++) {
		struct claimer c[2] = { { self->fd, adc1, &go, 1 },
					{ fd2, adc1, &go, 1 } };
		struct iub_port_claim pc = { .port = adc1 };
		pthread_t th[2];
		int winner;

		atomic_store(&go, 0);
		for (int t = 0; t < 2; t++) {
			ASSERT_EQ(0, pthread_create(&th[t], NULL, claim_once, &c[t]));
		}
		atomic_store(&go, 1);
		pthread_join(th[0], NULL);
		pthread_join(th[1], NULL);
		ASSERT_TRUE((c[0].result == 0 && c[1].result == -EBUSY) ||
			    (c[1].result == 0 && c[0].result == -EBUSY))
			TH_LOG("results %d %d", c[0].result, c[1].result);
		winner = c[0].result == 0 ? 0 : 1;
		/* the loser can neither release nor use it */
		EXPECT_EQ(-EPERM, iub_test_ioctl(c[!winner].fd,
						 IUB_IOC_PORT_RELEASE, &pc));
		EXPECT_EQ(0, iub_test_ioctl(c[winner].fd, IUB_IOC_PORT_RELEASE, &pc));
	}
	close(fd2);
}

TEST_HARNESS_MAIN
