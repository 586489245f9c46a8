// SPDX-License-Identifier: GPL-2.0
/*
 * lifetime-helper: the process side of tests/vm/lifetime.sh. Each mode
 * leaves something of the bridge alive in the kernel after its file is
 * closed or its port is gone, says so on stdout, and lets it go when its
 * standard input reaches end of file:
 *
 *   hold-fence [sync-file]  capture into a udmabuf on the simulated ADC,
 *                           close the bridge: the DMABUF's dma_resv keeps
 *                           our fence. With "sync-file", export it as a
 *                           sync_file and close the DMABUF too.
 *   hold-fence stream       the same left by an in-kernel stream (four
 *                           routes of the udmabuf, ADC 0 -> DAC 0).
 *   usb-late PORT           a USB transfer on PORT from a ring with
 *                           IORING_SETUP_DEFER_TASKRUN: it completes in
 *                           the kernel, its CQE is reaped only at EOF.
 *   route-sigint N FROM TO  N times: a child's blocking ROUTE ioctl FROM ->
 *                           TO, FROM stalled (the simulated ADC 0), is
 *                           interrupted by a signal, the child closes its
 *                           file at once and exits.
 *
 * Exit status 0 when what the mode checks held, 1 otherwise.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "iub_test.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define SIZE 65536

static int die(const char *what, int err)
{
	printf("lifetime-helper: %s: %s\n", what, strerror(err < 0 ? -err : err));
	fflush(stdout);
	return 1;
}

static void say(const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
}

/* until stdin is closed by the test */
static void wait_eof(void)
{
	char c;

	while (read(0, &c, 1) > 0)
		;
}

/*
 * Open the bridge, claim @a and @b (NULL: none), attach a new udmabuf.
 * Returns the handle, or -1 after saying why.
 */
static int open_claim_attach(int *fd, const char *a, int *pa, const char *b,
			     int *pb, struct dmabuf *buf)
{
	int ret, h;

	*fd = iub_test_open();
	if (*fd < 0) {
		die("open", errno);
		return -1;
	}
	*pa = iub_test_claim(*fd, a);
	if (*pa < 0) {
		die("claim", *pa);
		return -1;
	}
	if (b) {
		*pb = iub_test_claim(*fd, b);
		if (*pb < 0) {
			die("claim", *pb);
			return -1;
		}
	}
	ret = dmabuf_create(buf, DMABUF_UDMABUF, SIZE);
	if (ret) {
		die("udmabuf", ret);
		return -1;
	}
	h = iub_test_attach(*fd, buf->fd);
	if (h < 0) {
		die("attach", h);
		return -1;
	}
	return h;
}

/* A stream ADC 0 -> DAC 0 over one udmabuf, four routes, then close. */
static int hold_fence_stream(void)
{
	struct {
		struct iub_stream s;
		struct iub_stream_range r;
	} d = { .s = { .nr_ranges = 1, .bytes = 4 * SIZE },
		.r = { .length = SIZE } };
	struct iub_stream_cmd c = { .stream = (__u64)(uintptr_t)&d,
				    .size = sizeof(d) };
	struct dmabuf b;
	int fd, adc, dac, h, ret;

	h = open_claim_attach(&fd, SIM_ADC0, &adc, SIM_DAC0, &dac, &b);
	if (h < 0)
		return 1;
	d.s.from = adc;
	d.s.to = dac;
	d.r.handle = h;
	ret = iub_test_ioctl(fd, IUB_IOC_STREAM, &c);
	if (ret)
		return die("stream", ret);
	close(fd);	/* the routes' fences stay in the DMABUF's dma_resv */
	say("held: stream");
	wait_eof();
	dmabuf_destroy(&b);
	say("released");
	return 0;
}

static int hold_fence(bool sync_file)
{
	struct iub_transfer t = { .length = SIZE };
	struct dmabuf b;
	int fd, port, h, ret, sfd = -1;

	h = open_claim_attach(&fd, SIM_ADC0, &port, NULL, NULL, &b);
	if (h < 0)
		return 1;
	t.handle = h;
	t.port = port;
	if (sync_file) {
		/*
		 * Exported while the capture runs: a signalled fence is not
		 * exported (the stub is). The ADC stalls until then.
		 */
		struct dma_buf_export_sync_file e = {
			.flags = DMA_BUF_SYNC_READ,	/* its writers: ours */
			.fd = -1,
		};
		struct io_uring_cqe *cqe;
		struct io_uring ring;

		if (io_uring_queue_init(4, &ring, 0))
			return die("ring", EIO);
		if (sim_set(SIM_CH_ADC0, "stall", 1))
			return die("stall", EIO);
		if (iub_test_queue_xfer(&ring, fd, h, port, 0, SIZE, 0, 1) ||
		    io_uring_submit(&ring) != 1)
			return die("submit", EIO);
		ret = ioctl(b.fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e) ? -errno : 0;
		sim_set(SIM_CH_ADC0, "stall", 0);
		if (ret)
			return die("export sync_file", ret);
		sfd = e.fd;
		if (io_uring_wait_cqe(&ring, &cqe) || cqe->res != SIZE)
			return die("capture", EIO);
		io_uring_cqe_seen(&ring, cqe);
		io_uring_queue_exit(&ring);
		close(fd);
		dmabuf_destroy(&b);	/* only the sync_file holds our fence */
		say("held: sync-file");
	} else {
		ret = iub_test_ioctl(fd, IUB_IOC_TRANSFER, &t);
		if (ret != SIZE)
			return die("transfer", ret < 0 ? ret : -EIO);
		close(fd);	/* our fence stays in the DMABUF's dma_resv */
		say("held: udmabuf");
	}
	wait_eof();
	if (sfd >= 0)
		close(sfd);
	else
		dmabuf_destroy(&b);
	say("released");
	return 0;
}

/* the port's completed transfers, from GET_PORTS */
static long long port_transfers(int fd, const char *name)
{
	struct iub_port_info info;

	if (iub_test_find_port(fd, name, &info) < 0)
		return -1;
	return info.transfers;
}

static int usb_late(const char *name)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	};
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct dmabuf b;
	long long before;
	int fd, port, h, ret, i;

	h = open_claim_attach(&fd, name, &port, NULL, NULL, &b);
	if (h < 0)
		return 1;
	ret = io_uring_queue_init_params(8, &ring, &p);
	if (ret)
		return die("DEFER_TASKRUN ring", ret);
	before = port_transfers(fd, name);
	ret = iub_test_queue_xfer(&ring, fd, h, port, 0, SIZE, 0, 1);
	if (ret || io_uring_submit(&ring) != 1)
		return die("submit", ret ? ret : -EIO);
	/* the transfer ends in the kernel; its CQE waits for us */
	for (i = 0; i < 600 && port_transfers(fd, name) <= before; i++)
		usleep(10000);
	if (port_transfers(fd, name) <= before)
		return die("the transfer did not complete", ETIMEDOUT);
	say("completed, not reaped");
	wait_eof();
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret)
		return die("wait_cqe", ret);
	printf("reaped: res %d\n", cqe->res);
	ret = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	close(fd);
	dmabuf_destroy(&b);
	return ret == SIZE ? 0 : 1;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* one child: a blocking route, interrupted, then close at once */
static int route_sigint_child(const char *from, const char *to)
{
	/*
	 * Every 20 ms, not once: a child that does not reach the ioctl within
	 * 20 ms (a slow guest) takes the signal before it and would then block
	 * for good on the stalled ADC (the likely cause of a time-out seen
	 * once in the arm64 lane under TCG).
	 */
	struct itimerval it = { .it_value = { .tv_usec = 20000 },
				.it_interval = { .tv_usec = 20000 } };
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct iub_route r = { .length = SIZE };
	struct dmabuf b;
	int fd, h, ret, pf, pt;

	h = open_claim_attach(&fd, from, &pf, to, &pt, &b);
	if (h < 0)
		return 1;
	r.from = pf;
	r.to = pt;
	r.handle = h;
	/* the ADC stalls: the USB stage waits on its fence (a cancel clears it) */
	if (sim_set(SIM_CH_ADC0, "stall", 1))
		return die("stall", EIO);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	ret = iub_test_ioctl(fd, IUB_IOC_ROUTE, &r);
	close(fd);	/* right away: a worker may still hold a stage */
	dmabuf_destroy(&b);
	if (ret != -EINTR)
		return die("route not interrupted", ret < 0 ? ret : -EPROTO);
	return 0;
}

static int route_sigint(int n, const char *from, const char *to)
{
	int i, status;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			return die("fork", errno);
		if (!pid)
			_exit(route_sigint_child(from, to));
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			return die("round failed", EPROTO);
	}
	printf("%d interrupted routes\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "hold-fence") &&
	    !strcmp(argv[2], "stream"))
		return hold_fence_stream();
	if (argc >= 2 && !strcmp(argv[1], "hold-fence"))
		return hold_fence(argc >= 3 && !strcmp(argv[2], "sync-file"));
	if (argc == 3 && !strcmp(argv[1], "usb-late"))
		return usb_late(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "route-sigint"))
		return route_sigint(atoi(argv[2]), argv[3], argv[4]);
	fprintf(stderr,
		"usage: %s hold-fence [sync-file|stream] | usb-late PORT | route-sigint N FROM TO\n",
		argv[0]);
	return 2;
}
