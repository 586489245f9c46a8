// SPDX-License-Identifier: GPL-2.0
/*
 * usb-cancel-slow: cancel many USB transfers on a UDC that gives dequeued
 * requests back late. Puts COUNT transfers in flight on a bulk IN port of
 * the simulated SG UDC (its host paused, so they all stay queued), then
 * ends them one way and checks that each ended in time, and never before
 * the UDC gave its request back (the UDC's debugfs "owned").
 *
 *   usb-cancel-slow cancel|exit|kill PORT EPDIR COUNT SIZE MAX_MS
 *
 * cancel: IUB_IOC_PORT_CANCEL; returns COUNT; every CQE is -ECANCELED,
 *	the last one within MAX_MS, none before the UDC gave back as many
 *	requests as CQEs arrived.
 * exit:   io_uring_queue_exit() with the transfers in flight, then every
 *	fd closed: the DMABUFs are freed within MAX_MS, and not while the
 *	UDC still owns a request.
 * kill:   the same from a child killed with SIGKILL: it exits within
 *	MAX_MS, its DMABUFs are freed within MAX_MS, not while the UDC owns
 *	a request.
 *
 * EPDIR is the endpoint's directory in /sys/kernel/debug/iub-sim-udc.
 * Prints "ok - " and "not ok - " lines; exit 0 on success, 1 on failure,
 * 4 to skip. Before it exits, it waits (up to 30 s) for the UDC to give
 * every request back, so that the next run starts clean.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>

#include "dmabuf_util.h"
#include "iub_test.h"

#define MAX_COUNT	128

static const char *ep_dir;
static unsigned int count;
static int failed;

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static unsigned long long ep_read(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", ep_dir, name);
	return iub_test_read_file(path);
}

static void check(bool ok, const char *mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(bool ok, const char *mode, const char *fmt, ...)
{
	va_list ap;

	printf("%s - %s: ", ok ? "ok" : "not ok", mode);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failed = 1;
}

static void die(const char *what, int err)
{
	printf("not ok - %s: %s (errno %d)\n", what, strerror(err < 0 ? -err : err),
	       err < 0 ? -err : err);
	exit(1);
}

/* Wait until the UDC holds @n requests of ours on its queue. */
static bool wait_queued(unsigned int n)
{
	for (int i = 0; i < 2000; i++) {
		if (ep_read("queued") == n)
			return true;
		usleep(10000);
	}
	return false;
}

/* Wait until the UDC owns no request (the dequeue delay may be long). */
static void wait_owned_zero(void)
{
	for (int i = 0; i < 3000 && ep_read("owned"); i++)
		usleep(10000);
}

/**
 * struct inflight - one open file with COUNT transfers in flight
 * @fd: the bridge
 * @port: the port's id
 * @ring: the ring the transfers went through
 * @bufs: one DMABUF per transfer
 */
struct inflight {
	int fd;
	int port;
	struct io_uring ring;
	struct dmabuf bufs[MAX_COUNT];
};

static void start(struct inflight *f, const char *port_name, unsigned int size)
{
	int ret;

	f->fd = iub_test_open();
	if (f->fd < 0)
		die("open", errno);
	f->port = iub_test_claim(f->fd, port_name);
	if (f->port < 0)
		die(port_name, f->port);
	ret = io_uring_queue_init(2 * MAX_COUNT, &f->ring, 0);
	if (ret)
		die("io_uring", ret);
	for (unsigned int i = 0; i < count; i++) {
		int h;

		ret = dmabuf_create(&f->bufs[i], DMABUF_UDMABUF, size);
		if (ret)
			die("dmabuf", ret);
		h = iub_test_attach(f->fd, f->bufs[i].fd);
		if (h < 0)
			die("attach", h);
		iub_test_queue_xfer(&f->ring, f->fd, h, f->port, 0, size, 0, i);
	}
	ret = io_uring_submit(&f->ring);
	if (ret != (int)count)
		die("submit", ret < 0 ? ret : -EIO);
}

static void close_files(struct inflight *f)
{
	for (unsigned int i = 0; i < count; i++)
		dmabuf_destroy(&f->bufs[i]);
	close(f->fd);
}

/*
 * The DMABUFs of the transfers are freed: when, and how many requests the
 * UDC still owned at that moment (DMA into freed memory, on hardware).
 */
static void wait_freed(const char *mode, int base, long long t0,
		       unsigned int max_ms)
{
	unsigned long long owned = ~0ULL;
	long long t = -1;

	for (int i = 0; i < 6000; i++) {
		if (dmabuf_count() == base) {
			t = now_ms() - t0;
			owned = ep_read("owned");
			break;
		}
		usleep(5000);
	}
	check(t >= 0 && t <= max_ms, mode,
	      "DMABUFs freed after %lld ms (limit %u ms)", t, max_ms);
	check(owned == 0, mode,
	      "the UDC owned %llu requests when the DMABUFs were freed", owned);
}

static void do_cancel(const char *port_name, unsigned int size,
		      unsigned int max_ms)
{
	struct iub_port_claim c = { 0 };
	long long t0, t_ret, last = 0, first = -1;
	unsigned int cqes = 0, wrong = 0, early = 0, early_k = 0;
	unsigned long long owned_ret, early_owned = 0;
	struct inflight f;
	int n, res = 0;

	start(&f, port_name, size);
	if (!wait_queued(count))
		die("transfers never all queued in the UDC", ETIMEDOUT);
	c.port = f.port;
	t0 = now_ms();
	n = iub_test_ioctl(f.fd, IUB_IOC_PORT_CANCEL, &c);
	t_ret = now_ms() - t0;
	owned_ret = ep_read("owned");
	printf("# PORT_CANCEL returned %d after %lld ms; the UDC owned %llu\n",
	       n, t_ret, owned_ret);
	while (cqes < count) {
		unsigned long long owned;
		__u64 ud;

		res = iub_test_wait_cqe(&f.ring, max_ms + 20000, &ud);
		if (res == -ETIME)
			break;
		cqes++;
		last = now_ms() - t0;
		if (first < 0)
			first = last;
		if (res != -ECANCELED)
			wrong++;
		/* CQE k must not come before the UDC gave k requests back */
		owned = ep_read("owned");
		if (count - owned < cqes && !early++) {
			early_k = cqes;
			early_owned = owned;
		}
	}
	check(n == (int)count, "cancel", "PORT_CANCEL ended %d of %u transfers",
	      n, count);
	check(cqes == count && !wrong, "cancel",
	      "%u of %u CQEs, %u not ECANCELED", cqes, count, wrong);
	check(cqes == count && last <= max_ms, "cancel",
	      "CQEs from %lld to %lld ms after the cancel (limit %u ms)",
	      first, last, max_ms);
	if (early)
		check(false, "cancel",
		      "%u CQEs before the UDC gave their requests back (CQE %u: the UDC still owned %llu of %u)",
		      early, early_k, early_owned, count);
	else
		check(true, "cancel", "no CQE before the UDC gave its request back");
	io_uring_queue_exit(&f.ring);
	close_files(&f);
}

static void do_exit(const char *port_name, unsigned int size,
		    unsigned int max_ms)
{
	int base = dmabuf_count();
	struct inflight f;
	long long t0;

	start(&f, port_name, size);
	if (!wait_queued(count))
		die("transfers never all queued in the UDC", ETIMEDOUT);
	t0 = now_ms();
	io_uring_queue_exit(&f.ring);
	close_files(&f);
	wait_freed("ring exit", base, t0, max_ms);
}

static void do_kill(const char *port_name, unsigned int size,
		    unsigned int max_ms)
{
	int base = dmabuf_count(), p[2], status;
	long long t0, t;
	struct inflight f;
	pid_t pid;
	char c;

	if (pipe(p))
		die("pipe", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		close(p[0]);
		start(&f, port_name, size);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("the child did not start its transfers", EIO);
	close(p[0]);
	if (!wait_queued(count)) {
		kill(pid, SIGKILL);
		die("transfers never all queued in the UDC", ETIMEDOUT);
	}
	t0 = now_ms();
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid", errno);
	t = now_ms() - t0;
	check(t <= max_ms, "SIGKILL", "the process exited after %lld ms (limit %u ms)",
	      t, max_ms);
	wait_freed("SIGKILL", base, t0, max_ms);
}

int main(int argc, char **argv)
{
	unsigned int size, max_ms;
	const char *mode;
	unsigned long long misuse0, misuse;

	if (argc != 7) {
		fprintf(stderr, "usage: usb-cancel-slow cancel|exit|kill PORT EPDIR COUNT SIZE MAX_MS\n");
		return 2;
	}
	mode = argv[1];
	ep_dir = argv[3];
	count = strtoul(argv[4], NULL, 0);
	size = strtoul(argv[5], NULL, 0);
	max_ms = strtoul(argv[6], NULL, 0);
	if (!count || count > MAX_COUNT || !size)
		return 2;
	if (ep_read("owned") == ~0ULL) {
		printf("no %s/owned: not the simulated UDC\n", ep_dir);
		return 4;
	}
	misuse0 = iub_test_read_file("/sys/kernel/debug/iub-sim-udc/misuse");

	if (!strcmp(mode, "cancel"))
		do_cancel(argv[2], size, max_ms);
	else if (!strcmp(mode, "exit"))
		do_exit(argv[2], size, max_ms);
	else if (!strcmp(mode, "kill"))
		do_kill(argv[2], size, max_ms);
	else
		return 2;

	wait_owned_zero();
	misuse = iub_test_read_file("/sys/kernel/debug/iub-sim-udc/misuse");
	check(misuse == misuse0, mode,
	      "%llu gadget API violations caught by the UDC (see the kernel log)",
	      misuse - misuse0);
	return failed;
}
