// SPDX-License-Identifier: GPL-2.0
/*
 * iub-usb-recv - the USB host side of iio-usb-bridge.
 *
 * Finds the bridge's gadget function (a vendor-specific interface whose
 * iInterface string is "iio-usb-bridge") on the USB host, keeps several
 * asynchronous bulk transfers in flight on one or more of its endpoints,
 * and either receives and verifies the simulated board's sample stream
 * (bulk IN; --output also writes it to a file) or sends a generated one or
 * a file (bulk OUT, --send, --input). Reports the throughput.
 *
 * Where things happen:
 *   find_interface()  device and interface selection (--wait: again)
 *   run_streams()     the event loop, over all endpoints
 *   usb_stream.c      the transfers of one endpoint: submission,
 *                     completion, cancellation (the libusb receiver core,
 *                     shared with the benchmark's iub-bench-recv)
 *
 * Documentation/usb-receiver.rst describes the tool.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libusb.h>

#include "recv_core.h"
#include "usb_stream.h"

static const char *prog = "iub-usb-recv";
static volatile sig_atomic_t got_signal;

/* All the streams of a run, one per endpoint. */
struct run {
	const struct iub_recv_opts *o;
	libusb_context *ctx;
	struct iub_usb_stream st[IUB_RECV_MAX_ENDPOINTS];
	unsigned int n;
	FILE *report;
};

#define now iub_usb_now

static void msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static const char *speed_name(int speed)
{
	switch (speed) {
	case LIBUSB_SPEED_LOW: return "low";
	case LIBUSB_SPEED_FULL: return "full";
	case LIBUSB_SPEED_HIGH: return "high";
	case LIBUSB_SPEED_SUPER: return "super";
	case LIBUSB_SPEED_SUPER_PLUS: return "super-plus";
	default: return "unknown";
	}
}

/* Device and interface -------------------------------------------------------- */

/**
 * struct found - the interface chosen
 * @h: the device, opened
 * @interface: its bInterfaceNumber
 * @ep: the endpoints' addresses (--endpoints of them)
 * @max_packet: their wMaxPacketSize (packet size bits only)
 * @fd: the --device file descriptor (libusb_close() leaves it open), or -1
 */
struct found {
	libusb_device_handle *h;
	int fd;
	int interface;
	unsigned char ep[IUB_RECV_MAX_ENDPOINTS];
	unsigned int max_packet[IUB_RECV_MAX_ENDPOINTS];
};

/* The Nth bulk endpoint of direction @dir_in in @alt, or NULL. */
static const struct libusb_endpoint_descriptor *
nth_bulk_ep(const struct libusb_interface_descriptor *alt, bool dir_in,
	    unsigned int n)
{
	const struct libusb_endpoint_descriptor *ep;
	int i;

	for (i = 0; i < alt->bNumEndpoints; i++) {
		ep = &alt->endpoint[i];
		if ((ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) !=
		    LIBUSB_TRANSFER_TYPE_BULK)
			continue;
		if (!!(ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) != dir_in)
			continue;
		if (!n--)
			return ep;
	}
	return NULL;
}

/* Counts of what the search met, for the message when nothing matched. */
struct search {
	unsigned int devices;
	unsigned int no_access;
};

/*
 * Look through the active configuration of @dev for the interface the
 * options ask for. @hp is the device's handle if already open (--device),
 * else NULL; the device is opened on demand (to read strings) and the handle
 * left in *@hp. Return: true with @f filled, or false.
 */
static bool match_device(const struct iub_recv_opts *o, libusb_device *dev,
			 libusb_device_handle **hp, struct search *s,
			 struct found *f)
{
	bool dir_in = o->mode == IUB_RECV_RECEIVE;
	const struct libusb_endpoint_descriptor *ep;
	const struct libusb_interface_descriptor *alt;
	struct libusb_config_descriptor *cfg;
	struct libusb_device_descriptor dd;
	char str[256];
	bool found = false;
	int i, rc;

	if (libusb_get_device_descriptor(dev, &dd))
		return false;
	if ((o->vid >= 0 && dd.idVendor != o->vid) ||
	    (o->pid >= 0 && dd.idProduct != o->pid)) {
		if (o->verbose)
			msg("bus %03u device %03u (%04x:%04x): not the --vid/--pid asked for",
			    libusb_get_bus_number(dev),
			    libusb_get_device_address(dev), dd.idVendor,
			    dd.idProduct);
		return false;
	}
	s->devices++;
	rc = libusb_get_active_config_descriptor(dev, &cfg);
	if (rc) {
		if (o->verbose)
			msg("bus %03u device %03u (%04x:%04x): no active configuration (%s)",
			    libusb_get_bus_number(dev),
			    libusb_get_device_address(dev), dd.idVendor,
			    dd.idProduct, libusb_strerror(rc));
		return false;
	}
	for (i = 0; i < cfg->bNumInterfaces && !found; i++) {
		if (cfg->interface[i].num_altsetting < 1)
			continue;
		alt = &cfg->interface[i].altsetting[0];
		if (o->interface >= 0 && alt->bInterfaceNumber != o->interface)
			continue;
		/* the last of the --endpoints; the others come before it */
		ep = nth_bulk_ep(alt, dir_in, o->ep_index + o->endpoints - 1);
		if (o->verbose)
			msg("bus %03u device %03u (%04x:%04x) interface %u: class 0x%02x, %s bulk %s endpoint %u",
			    libusb_get_bus_number(dev),
			    libusb_get_device_address(dev), dd.idVendor,
			    dd.idProduct, alt->bInterfaceNumber,
			    alt->bInterfaceClass, ep ? "has" : "no",
			    dir_in ? "IN" : "OUT", o->ep_index + o->endpoints - 1);
		if (!ep)
			continue;
		if (!o->any_bulk) {
			if (alt->bInterfaceClass != LIBUSB_CLASS_VENDOR_SPEC ||
			    !alt->iInterface) {
				if (o->verbose)
					msg("  not of class 0xff with an iInterface string");
				continue;
			}
			if (!*hp) {
				rc = libusb_open(dev, hp);
				if (rc) {
					*hp = NULL;
					if (rc == LIBUSB_ERROR_ACCESS)
						s->no_access++;
					if (o->verbose)
						msg("  cannot open it: %s",
						    libusb_strerror(rc));
					break;
				}
			}
			rc = libusb_get_string_descriptor_ascii(*hp,
				alt->iInterface, (unsigned char *)str,
				sizeof(str));
			if (rc < 0) {
				if (o->verbose)
					msg("  cannot read its string: %s",
					    libusb_strerror(rc));
				continue;
			}
			if (o->verbose)
				msg("  its iInterface string is \"%s\"", str);
			if (strcmp(str, o->name))
				continue;
		}
		if (!*hp) {
			rc = libusb_open(dev, hp);
			if (rc) {
				*hp = NULL;
				if (rc == LIBUSB_ERROR_ACCESS)
					s->no_access++;
				msg("cannot open bus %03u device %03u: %s",
				    libusb_get_bus_number(dev),
				    libusb_get_device_address(dev),
				    libusb_strerror(rc));
				break;
			}
		}
		f->h = *hp;
		f->interface = alt->bInterfaceNumber;
		for (unsigned int k = 0; k < o->endpoints; k++) {
			ep = nth_bulk_ep(alt, dir_in, o->ep_index + k);
			f->ep[k] = ep->bEndpointAddress;
			f->max_packet[k] = ep->wMaxPacketSize & 0x7ff;
		}
		found = true;
	}
	libusb_free_config_descriptor(cfg);
	return found;
}

static void not_found(const struct iub_recv_opts *o, const struct search *s)
{
	const char *dir = o->mode == IUB_RECV_RECEIVE ? "IN" : "OUT";
	char what[512];

	char eps[64];

	if (o->endpoints > 1)
		snprintf(eps, sizeof(eps), "endpoints %u to %u", o->ep_index,
			 o->ep_index + o->endpoints - 1);
	else
		snprintf(eps, sizeof(eps), "endpoint %u", o->ep_index);
	if (o->any_bulk)
		snprintf(what, sizeof(what), "an interface with bulk %s %s",
			 dir, eps);
	else
		snprintf(what, sizeof(what),
			 "an interface of class 0xff named \"%s\" with bulk %s %s",
			 o->name, dir, eps);
	if (o->interface >= 0)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 " (interface %d)", o->interface);
	msg("no device has %s (%u USB devices%s looked at)", what, s->devices,
	    o->vid >= 0 || o->pid >= 0 ? " of that --vid/--pid" : "");
	if (s->no_access)
		msg("%u of them could not be opened: permission denied (run as root, or see the udev rule in Documentation/usb-receiver.rst)",
		    s->no_access);
	if (!o->any_bulk)
		msg("is the gadget bound to a UDC? --any-bulk takes any bulk interface, -v lists what was seen");
}

/*
 * Return: 0 with @f filled, or IUB_RECV_EXIT_NODEV (after a message,
 * unless @again: the caller will look again).
 */
static int find_interface(const struct iub_recv_opts *o, libusb_context *ctx,
			  struct found *f, bool again)
{
	libusb_device_handle *h = NULL;
	struct search s = { 0 };
	libusb_device **list;
	ssize_t n, i;
	int fd, rc;

	if (o->device) {
		fd = open(o->device, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			if (!again)
				msg("cannot open %s: %s", o->device, strerror(errno));
			return IUB_RECV_EXIT_NODEV;
		}
		rc = libusb_wrap_sys_device(ctx, (intptr_t)fd, &h);
		if (rc) {
			msg("%s is not a USB device node libusb can use: %s",
			    o->device, libusb_strerror(rc));
			close(fd);
			return IUB_RECV_EXIT_NODEV;
		}
		if (match_device(o, libusb_get_device(h), &h, &s, f)) {
			f->fd = fd;
			return 0;
		}
		libusb_close(h);
		close(fd);
		if (!again)
			not_found(o, &s);
		return IUB_RECV_EXIT_NODEV;
	}

	f->fd = -1;
	n = libusb_get_device_list(ctx, &list);
	if (n < 0) {
		msg("cannot list USB devices: %s", libusb_strerror((int)n));
		return IUB_RECV_EXIT_NODEV;
	}
	for (i = 0; i < n; i++) {
		h = NULL;
		if (match_device(o, list[i], &h, &s, f))
			break;
		if (h)
			libusb_close(h);
	}
	libusb_free_device_list(list, 1);
	if (i < n)
		return 0;
	if (!again)
		not_found(o, &s);
	return IUB_RECV_EXIT_NODEV;
}

/* The streams ------------------------------------------------------------------- */

static uint64_t moved_total(const struct run *run)
{
	uint64_t moved = 0;

	for (unsigned int i = 0; i < run->n; i++)
		moved += run->st[i].moved;
	return moved;
}

static void progress(struct run *run, bool last)
{
	static double t_last, t_prev;
	static uint64_t b_prev;
	static bool shown;
	bool tty = isatty(STDERR_FILENO);
	double t = now(), rate, avg, t0 = run->st[0].t_start;
	uint64_t moved = moved_total(run), bad = 0;
	char extra[64] = "";

	/* a progress line only on a terminal (as its neighbours do), or
	 * when asked for: then a line each second */
	if (run->o->quiet || (!tty && !run->o->progress))
		return;
	if (!t_last)
		t_last = t_prev = t0;
	if (last) {
		if (shown && tty)
			fputc('\n', stderr);	/* keep the last progress line */
		return;
	}
	if (t - t_last < (tty ? 0.25 : 1.0))
		return;
	t_last = t;
	shown = true;
	rate = (double)(moved - b_prev) / (t - t_prev);
	avg = (double)moved / (t - t0);
	t_prev = t;
	b_prev = moved;
	for (unsigned int i = 0; i < run->n; i++)
		bad += run->st[i].verifier.check.mismatches;
	if (run->o->mode == IUB_RECV_RECEIVE && run->o->verify)
		snprintf(extra, sizeof(extra), ", %" PRIu64 " mismatches", bad);
	fprintf(stderr, "%s%s: %s %.1f MiB, %.1f MiB/s (average %.1f)%s%s",
		tty ? "\r" : "", prog,
		run->o->mode == IUB_RECV_SEND ? "sent" : "received",
		(double)moved / 1048576.0, rate / 1048576.0, avg / 1048576.0,
		extra, tty ? "\033[K" : "\n");
}

/*
 * A transfer error can be the first sign of a disconnect (the URBs die
 * before the device is gone): give the kernel a moment, then ask.
 */
static void classify_error(libusb_context *ctx, struct iub_usb_stream *st)
{
	double until = now() + 2.0;
	struct timeval tv = { 0, 50000 };
	int cfg;

	if (st->status != IUB_RECV_ERROR || !st->maybe_gone)
		return;
	while (now() < until) {
		if (libusb_get_configuration(st->h, &cfg) == LIBUSB_ERROR_NO_DEVICE) {
			st->status = IUB_RECV_DISCONNECTED;
			snprintf(st->error, sizeof(st->error),
				 "device disconnected");
			return;
		}
		libusb_handle_events_timeout_completed(ctx, &tv, NULL);
	}
}

static void stop_all(struct run *run)
{
	for (unsigned int i = 0; i < run->n; i++)
		iub_usb_stream_stop(&run->st[i]);
}

static unsigned int inflight(const struct run *run)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < run->n; i++)
		n += run->st[i].inflight;
	return n;
}

/*
 * Keep every endpoint's transfers in flight until each stream ends (byte
 * count, failure) or the run does (time limit, signal).
 * Return: 0, or -1 if a transfer could not be cancelled (not freed then).
 */
static int run_streams(struct run *run)
{
	const struct iub_recv_opts *o = run->o;
	double deadline, stop_at = 0, t;
	bool stopping = false, cancelling;
	struct timeval tv;
	unsigned int i;
	int rc;

	for (i = 0; i < run->n; i++)
		iub_usb_stream_start(&run->st[i]);
	deadline = o->seconds ? run->st[0].t_start + o->seconds : 0;
	while (inflight(run)) {
		tv.tv_sec = 0;
		tv.tv_usec = 100000;
		rc = libusb_handle_events_timeout_completed(run->ctx, &tv, NULL);
		if (rc && rc != LIBUSB_ERROR_INTERRUPTED) {
			for (i = 0; i < run->n; i++)
				iub_usb_stream_fail(&run->st[i],
					rc == LIBUSB_ERROR_NO_DEVICE ?
					IUB_RECV_DISCONNECTED : IUB_RECV_ERROR,
					"handling USB events: %s",
					libusb_strerror(rc));
			stop_all(run);
		}
		t = now();
		if (!stopping && (got_signal || (deadline && t >= deadline))) {
			if (got_signal && !o->quiet)
				msg("interrupted");
			/* the time counts up to the stop */
			for (i = 0; i < run->n; i++)
				if (!run->st[i].stopping)
					run->st[i].t_end = t;
			stopping = true;
			stop_all(run);
		}
		/* cancelling: from the first stop while transfers remain */
		cancelling = false;
		for (i = 0; i < run->n; i++)
			if (run->st[i].stopping && run->st[i].inflight)
				cancelling = true;
		if (!cancelling)
			stop_at = 0;
		else if (!stop_at)
			stop_at = t;
		if (stop_at && t - stop_at > 5.0) {
			msg("%u transfers did not finish cancelling within 5 s",
			    inflight(run));
			for (i = 0; i < run->n; i++)
				if (run->st[i].inflight)
					iub_usb_stream_fail(&run->st[i],
							    IUB_RECV_ERROR,
							    "transfers stuck");
			return -1;
		}
		progress(run, false);
	}
	return 0;
}

/* The report of one endpoint; its exit status. */
static int report(const struct run *run, struct iub_usb_stream *st,
		  struct iub_recv_result *r)
{
	const struct iub_recv_opts *o = run->o;
	char line[2048];

	r->mode = o->mode;
	r->status = st->status;
	r->error = st->status == IUB_RECV_DONE ? NULL : st->error;
	r->bytes = st->moved;
	r->target = o->bytes;
	r->seconds = st->t_end - st->t_start;
	r->transfers = st->transfers;
	r->short_transfers = st->short_transfers;
	r->verify = o->mode == IUB_RECV_RECEIVE && o->verify;
	if (r->verify)
		iub_recv_result_from_verifier(r, &st->verifier);
	r->endpoint = st->ep;
	r->max_packet = st->max_packet;
	r->queue = o->queue;
	r->size = st->size;

	if (st->status != IUB_RECV_DONE)
		msg("%s after %" PRIu64 " bytes%s", st->error, st->moved,
		    o->bytes ? " (fewer than --bytes)" : "");
	else if (o->bytes && st->moved < o->bytes)
		msg("stopped after %" PRIu64 " of %" PRIu64 " bytes",
		    st->moved, o->bytes);
	if (r->verify && r->mismatches)
		msg("%" PRIu64 " words did not match the stream; the first at byte %" PRIu64 ": expected 0x%08" PRIx32 ", got 0x%08" PRIx32,
		    r->mismatches, r->first_bad, r->first_expected, r->first_got);
	if (o->json)
		iub_recv_format_json(r, line, sizeof(line));
	else
		iub_recv_format_line(r, line, sizeof(line));
	/* several endpoints: a line each, that says which */
	if (run->n > 1 && !o->json)
		fprintf(run->report, "endpoint 0x%02x: ", st->ep);
	fprintf(run->report, "%s\n", line);
	fflush(run->report);
	return iub_recv_exit_code(r);
}

/* --output and --input. Return: 0, or IUB_RECV_EXIT_USAGE after a message. */
static int open_files(const struct iub_recv_opts *o, struct iub_usb_stream *st,
		      FILE **report)
{
	if (o->output && !strcmp(o->output, "-")) {
		st->out_fd = STDOUT_FILENO;
		*report = stderr;	/* stdout carries the data */
	} else if (o->output) {
		st->out_fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC |
				  O_CLOEXEC, 0644);
		if (st->out_fd < 0) {
			msg("%s: %s", o->output, strerror(errno));
			return IUB_RECV_EXIT_USAGE;
		}
	}
	st->out_name = o->output;
	if (o->input && !strcmp(o->input, "-")) {
		st->in_fd = STDIN_FILENO;
	} else if (o->input) {
		st->in_fd = open(o->input, O_RDONLY | O_CLOEXEC);
		if (st->in_fd < 0) {
			msg("%s: %s", o->input, strerror(errno));
			return IUB_RECV_EXIT_USAGE;
		}
	}
	st->in_name = o->input;
	return 0;
}

static void close_device(libusb_context *ctx, struct found *f)
{
	libusb_close(f->h);
	if (f->fd >= 0)
		close(f->fd);
	libusb_exit(ctx);
}

/* The exit status of the run: a mismatch wins, then any failure. */
static int worst(int a, int b)
{
	if (a == IUB_RECV_EXIT_VERIFY || b == IUB_RECV_EXIT_VERIFY)
		return IUB_RECV_EXIT_VERIFY;
	return a ? a : b;
}

int main(int argc, char **argv)
{
	struct iub_recv_result r0 = { 0 };
	struct sigaction sa = { 0 };
	struct run run = { 0 };
	struct iub_recv_opts o;
	double wait_until;
	libusb_device *dev;
	unsigned int i;
	struct found f;
	int rc, ret;

	if (argc > 0 && argv[0] && strrchr(argv[0], '/'))
		prog = strrchr(argv[0], '/') + 1;
	else if (argc > 0 && argv[0])
		prog = argv[0];
	rc = iub_recv_parse_args(&o, argc, argv, stdout, stderr);
	if (rc == IUB_RECV_PARSE_DONE)
		return IUB_RECV_EXIT_OK;
	if (rc != IUB_RECV_PARSE_OK)
		return IUB_RECV_EXIT_USAGE;
	run.o = &o;
	run.n = o.endpoints;
	run.report = stdout;
	for (i = 0; i < run.n; i++)
		iub_usb_stream_init(&run.st[i]);
	ret = open_files(&o, &run.st[0], &run.report);
	if (ret)
		return ret;

	/* from now on, SIGINT and SIGTERM end the run with a report (also
	 * when they come before the stream starts); a second one kills */
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* without udev (containers, the test VM): open the node directly */
	if (o.device)
		libusb_set_option(NULL, LIBUSB_OPTION_NO_DEVICE_DISCOVERY);
	/*
	 * --wait: look again every 100 ms, silently until the last time,
	 * each time in a new libusb context: without udev (a container, the
	 * test VM) a context's device list is the buses as they were when it
	 * was made
	 */
	wait_until = now() + o.wait;
	for (;;) {
		bool last = !o.wait || now() >= wait_until || got_signal;

		rc = libusb_init(&run.ctx);
		if (rc) {
			msg("cannot initialize libusb: %s", libusb_strerror(rc));
			return IUB_RECV_EXIT_NODEV;
		}
		ret = find_interface(&o, run.ctx, &f, !last);
		if (!ret)
			break;
		libusb_exit(run.ctx);
		if (last)
			return ret;
		usleep(100000);
	}

	dev = libusb_get_device(f.h);
	r0.bus = libusb_get_bus_number(dev);
	r0.address = libusb_get_device_address(dev);
	r0.speed = speed_name(libusb_get_device_speed(dev));
	r0.interface = (unsigned int)f.interface;
	{
		struct libusb_device_descriptor dd;

		if (!libusb_get_device_descriptor(dev, &dd)) {
			r0.vid = dd.idVendor;
			r0.pid = dd.idProduct;
		}
	}

	rc = libusb_claim_interface(f.h, f.interface);
	if (rc) {
		msg("cannot claim interface %d of bus %03u device %03u: %s%s",
		    f.interface, r0.bus, r0.address, libusb_strerror(rc),
		    rc == LIBUSB_ERROR_BUSY ?
		    " (a kernel driver or another program has it)" : "");
		close_device(run.ctx, &f);
		return IUB_RECV_EXIT_NODEV;
	}
	for (i = 0; i < run.n; i++) {
		struct iub_usb_stream *st = &run.st[i];

		st->h = f.h;
		st->ep = f.ep[i];
		st->max_packet = f.max_packet[i] ? f.max_packet[i] : 512;
		st->size = o.size;
		st->queue = o.queue;
		st->send = o.mode == IUB_RECV_SEND;
		st->verify = o.verify;
		st->zlp = o.zlp;
		st->zero_copy = o.zero_copy;
		st->target = o.bytes;
		st->seed = o.seed;
		if (!st->send && st->size % st->max_packet) {
			st->size = (st->size / st->max_packet + 1) * st->max_packet;
			if (!o.quiet)
				msg("--size rounded up to %zu, a multiple of wMaxPacketSize %u",
				    st->size, st->max_packet);
		}
		if (!o.quiet)
			msg("%s bus %03u device %03u (%04x:%04x, %s speed), interface %d, bulk %s endpoint 0x%02x (wMaxPacketSize %u): %u x %zu bytes in flight",
			    st->send ? "sending to" : "receiving from",
			    r0.bus, r0.address, r0.vid, r0.pid, r0.speed,
			    f.interface, st->send ? "OUT" : "IN", st->ep,
			    st->max_packet, o.queue, st->size);
		if (iub_usb_stream_alloc(st)) {
			msg("out of memory for %u transfers of %zu bytes",
			    o.queue, st->size);
			for (unsigned int k = 0; k <= i; k++)
				iub_usb_stream_free(&run.st[k]);
			libusb_release_interface(f.h, f.interface);
			close_device(run.ctx, &f);
			return IUB_RECV_EXIT_XFER;
		}
		if (o.zero_copy && !st->dev_mem && i == 0 && !o.quiet)
			msg("--zero-copy: usbfs cannot map buffers here, using ordinary memory");
	}

	rc = run_streams(&run);
	progress(&run, true);
	ret = 0;
	for (i = 0; i < run.n; i++) {
		struct iub_recv_result r = r0;

		classify_error(run.ctx, &run.st[i]);
		ret = worst(ret, report(&run, &run.st[i], &r));
		iub_usb_stream_free(&run.st[i]);
	}
	if (rc)
		return ret;	/* transfers still owned by libusb: exit() */
	libusb_release_interface(f.h, f.interface);
	close_device(run.ctx, &f);
	return ret;
}
