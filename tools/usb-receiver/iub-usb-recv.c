// SPDX-License-Identifier: GPL-2.0
/*
 * iub-usb-recv - the USB host side of iio-usb-bridge.
 *
 * Finds the bridge's gadget function (a vendor-specific interface whose
 * iInterface string is "iio-usb-bridge") on the USB host, keeps several
 * asynchronous bulk transfers in flight on one of its endpoints, and either
 * receives and verifies the simulated board's sample stream (bulk IN) or
 * sends a generated one (bulk OUT, --send). Reports the throughput.
 *
 * Where things happen:
 *   find_interface()  device and interface selection
 *   run_stream()      the event loop; xfer_done() is the completion callback
 *   stop_stream()     cancellation (byte count, time limit, signal, error)
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

static const char *prog = "iub-usb-recv";
static volatile sig_atomic_t got_signal;

/**
 * struct slot - one transfer and its buffer
 * @run: the stream it belongs to
 * @xfer: the libusb transfer
 * @buf: its buffer, of run->size bytes
 * @dev_mem: @buf comes from libusb_dev_mem_alloc()
 * @busy: submitted and not yet completed
 */
struct slot {
	struct stream *run;
	struct libusb_transfer *xfer;
	unsigned char *buf;
	bool dev_mem;
	bool busy;
};

/**
 * struct stream - state of a run
 * @o: the options
 * @ctx: libusb context
 * @h: the opened device
 * @ep: endpoint address
 * @max_packet: its wMaxPacketSize
 * @size: bytes per transfer (--size, rounded up to @max_packet on IN)
 * @slots: the transfers, o->queue of them
 * @inflight: slots busy
 * @outstanding: bytes requested by the busy slots
 * @queued: bytes handed to the generator so far (send)
 * @moved: bytes that arrived (receive) or went out (send)
 * @transfers: completed transfers
 * @short_transfers: completed transfers shorter than requested
 * @stopping: no more submissions; the busy slots are being cancelled
 * @maybe_gone: a failure that a disconnect in progress can cause
 * @status: IUB_RECV_DONE until the first failure
 * @error: message of the first failure
 * @verifier: receive: the stream check
 * @gen: send: the stream generator
 * @t_start: first submission
 * @t_end: last completion that moved data, or when a time limit or a
 *         signal stopped the run if that is later
 */
struct stream {
	const struct iub_recv_opts *o;
	libusb_context *ctx;
	libusb_device_handle *h;
	unsigned char ep;
	unsigned int max_packet;
	size_t size;
	struct slot *slots;
	unsigned int inflight;
	uint64_t outstanding;
	uint64_t queued;
	uint64_t moved;
	uint64_t transfers;
	uint64_t short_transfers;
	bool stopping;
	bool maybe_gone;
	enum iub_recv_status status;
	char error[256];
	struct iub_recv_verifier verifier;
	struct iub_recv_generator gen;
	double t_start;
	double t_end;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
 * @ep: the endpoint address
 * @max_packet: the endpoint's wMaxPacketSize (packet size bits only)
 * @fd: the --device file descriptor (libusb_close() leaves it open), or -1
 */
struct found {
	libusb_device_handle *h;
	int fd;
	int interface;
	unsigned char ep;
	unsigned int max_packet;
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
		ep = nth_bulk_ep(alt, dir_in, o->ep_index);
		if (o->verbose)
			msg("bus %03u device %03u (%04x:%04x) interface %u: class 0x%02x, %s bulk %s endpoint %u",
			    libusb_get_bus_number(dev),
			    libusb_get_device_address(dev), dd.idVendor,
			    dd.idProduct, alt->bInterfaceNumber,
			    alt->bInterfaceClass, ep ? "has" : "no",
			    dir_in ? "IN" : "OUT", o->ep_index);
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
		f->ep = ep->bEndpointAddress;
		f->max_packet = ep->wMaxPacketSize & 0x7ff;
		found = true;
	}
	libusb_free_config_descriptor(cfg);
	return found;
}

static void not_found(const struct iub_recv_opts *o, const struct search *s)
{
	const char *dir = o->mode == IUB_RECV_RECEIVE ? "IN" : "OUT";
	char what[512];

	if (o->any_bulk)
		snprintf(what, sizeof(what), "an interface with bulk %s endpoint %u",
			 dir, o->ep_index);
	else
		snprintf(what, sizeof(what),
			 "an interface of class 0xff named \"%s\" with bulk %s endpoint %u",
			 o->name, dir, o->ep_index);
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

/* Return: 0 with @f filled, or IUB_RECV_EXIT_NODEV after a message. */
static int find_interface(const struct iub_recv_opts *o, libusb_context *ctx,
			  struct found *f)
{
	libusb_device_handle *h = NULL;
	struct search s = { 0 };
	libusb_device **list;
	ssize_t n, i;
	int fd, rc;

	if (o->device) {
		fd = open(o->device, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
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
	not_found(o, &s);
	return IUB_RECV_EXIT_NODEV;
}

/* The stream -------------------------------------------------------------------- */

static bool target_reached(const struct stream *st)
{
	return st->o->bytes && st->moved >= st->o->bytes;
}

static void fail(struct stream *st, enum iub_recv_status status,
		 const char *fmt, ...)
{
	va_list ap;

	if (st->status != IUB_RECV_DONE)
		return;		/* the first failure is the one reported */
	if (target_reached(st))
		return;		/* everything arrived: what follows is moot */
	st->status = status;
	va_start(ap, fmt);
	vsnprintf(st->error, sizeof(st->error), fmt, ap);
	va_end(ap);
}

/* Stop submitting and cancel whatever is in flight. */
static void stop_stream(struct stream *st)
{
	unsigned int i;

	if (st->stopping)
		return;
	st->stopping = true;
	for (i = 0; i < st->o->queue; i++)
		if (st->slots[i].busy)
			libusb_cancel_transfer(st->slots[i].xfer);
}

/* Bytes the next submission of a slot asks for; 0: none is needed. */
static size_t next_length(const struct stream *st)
{
	uint64_t need;

	if (!st->o->bytes)
		return st->size;
	if (st->o->mode == IUB_RECV_SEND) {
		need = st->o->bytes - st->queued;
		return need < st->size ? (size_t)need : st->size;
	}
	/* receive: what has neither arrived nor been asked for yet, rounded
	 * up to whole packets so that a full packet never overflows */
	if (st->moved + st->outstanding >= st->o->bytes)
		return 0;
	need = st->o->bytes - st->moved - st->outstanding;
	need = (need + st->max_packet - 1) / st->max_packet * st->max_packet;
	return need < st->size ? (size_t)need : st->size;
}

#define USBFS_LIMIT "/sys/module/usbcore/parameters/usbfs_memory_mb"

/* The usbfs memory limit, as a string, for a message. */
static const char *usbfs_limit(void)
{
	static char val[32];
	FILE *f = fopen(USBFS_LIMIT, "r");

	if (!f || !fgets(val, sizeof(val), f))
		snprintf(val, sizeof(val), "16 (the default)");
	if (f)
		fclose(f);
	val[strcspn(val, "\n")] = '\0';
	return val;
}

/* Submit @sl again if more is to move. Return: false on failure. */
static bool submit_slot(struct stream *st, struct slot *sl)
{
	size_t len = next_length(st);
	int rc;

	if (!len)
		return true;
	if (st->o->mode == IUB_RECV_SEND) {
		iub_recv_generate(&st->gen, sl->buf, len);
		st->queued += len;
	}
	sl->xfer->length = (int)len;
	rc = libusb_submit_transfer(sl->xfer);
	if (rc) {
		if (rc == LIBUSB_ERROR_NO_DEVICE)
			fail(st, IUB_RECV_DISCONNECTED, "device disconnected");
		else if (rc == LIBUSB_ERROR_NO_MEM)
			fail(st, IUB_RECV_ERROR,
			     "cannot submit a transfer: %s; --queue %u x --size %zu asks for %.1f MiB in flight, usbfs allows %s MiB for all transfers on the machine (%s; 0 lifts the limit)",
			     libusb_strerror(rc), st->o->queue, st->size,
			     (double)st->o->queue * (double)st->size / 1048576.0,
			     usbfs_limit(), USBFS_LIMIT);
		else
			fail(st, IUB_RECV_ERROR, "cannot submit a transfer: %s",
			     libusb_strerror(rc));
		st->maybe_gone = rc == LIBUSB_ERROR_IO;
		return false;
	}
	sl->busy = true;
	st->inflight++;
	st->outstanding += len;
	return true;
}

static void LIBUSB_CALL xfer_done(struct libusb_transfer *t)
{
	struct slot *sl = t->user_data;
	struct stream *st = sl->run;
	size_t got = t->actual_length > 0 ? (size_t)t->actual_length : 0;

	sl->busy = false;
	st->inflight--;
	st->outstanding -= (uint64_t)t->length;
	if (got) {
		if (st->o->mode == IUB_RECV_RECEIVE && st->o->verify)
			iub_recv_verify(&st->verifier, sl->buf, got);
		st->moved += got;
		st->t_end = now();
	}

	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		st->transfers++;
		if (got < (size_t)t->length)
			st->short_transfers++;
		break;
	case LIBUSB_TRANSFER_CANCELLED:
		return;
	case LIBUSB_TRANSFER_NO_DEVICE:
		fail(st, IUB_RECV_DISCONNECTED, "device disconnected");
		stop_stream(st);
		return;
	case LIBUSB_TRANSFER_STALL:
		fail(st, IUB_RECV_ERROR, "endpoint 0x%02x stalled", st->ep);
		stop_stream(st);
		return;
	case LIBUSB_TRANSFER_OVERFLOW:
		fail(st, IUB_RECV_ERROR,
		     "endpoint 0x%02x: the device sent more than a transfer asked for",
		     st->ep);
		stop_stream(st);
		return;
	case LIBUSB_TRANSFER_TIMED_OUT:
	case LIBUSB_TRANSFER_ERROR:
	default:
		fail(st, IUB_RECV_ERROR, "transfer on endpoint 0x%02x failed",
		     st->ep);
		st->maybe_gone = true;
		stop_stream(st);
		return;
	}
	if (st->o->mode == IUB_RECV_SEND && got < (size_t)t->length) {
		/* the device took less than we sent: the stream it sees has a
		 * hole, so going on would only produce errors over there */
		fail(st, IUB_RECV_ERROR,
		     "endpoint 0x%02x accepted %zu of %d bytes", st->ep, got,
		     t->length);
		stop_stream(st);
		return;
	}
	if (st->stopping)
		return;
	if (target_reached(st)) {
		stop_stream(st);
		return;
	}
	if (!submit_slot(st, sl))
		stop_stream(st);
}

static void progress(struct stream *st, bool last)
{
	static double t_last, t_prev;
	static uint64_t b_prev;
	static bool shown;
	bool tty = isatty(STDERR_FILENO);
	double t = now(), rate, avg;
	char extra[64] = "";

	if (st->o->quiet)
		return;
	if (!t_last)
		t_last = t_prev = st->t_start;
	if (last) {
		if (tty && shown)
			fputc('\n', stderr);	/* keep the last progress line */
		return;
	}
	if (t - t_last < (tty ? 0.25 : 1.0))
		return;
	t_last = t;
	shown = true;
	rate = (double)(st->moved - b_prev) / (t - t_prev);
	avg = (double)st->moved / (t - st->t_start);
	t_prev = t;
	b_prev = st->moved;
	if (st->o->mode == IUB_RECV_RECEIVE && st->o->verify)
		snprintf(extra, sizeof(extra), ", %" PRIu64 " mismatches",
			 (uint64_t)st->verifier.check.mismatches);
	fprintf(stderr, "%s%s: %s %.1f MiB, %.1f MiB/s (average %.1f)%s%s",
		tty ? "\r" : "", prog,
		st->o->mode == IUB_RECV_SEND ? "sent" : "received",
		(double)st->moved / 1048576.0, rate / 1048576.0,
		avg / 1048576.0, extra, tty ? "\033[K" : "\n");
}

/*
 * A transfer error can be the first sign of a disconnect (the URBs die
 * before the device is gone): give the kernel a moment, then ask.
 */
static void classify_error(struct stream *st)
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
		libusb_handle_events_timeout_completed(st->ctx, &tv, NULL);
	}
}

/* Return: 0, or -1 if a transfer could not be cancelled (not freed then). */
static int run_stream(struct stream *st)
{
	const struct iub_recv_opts *o = st->o;
	double deadline, stop_at = 0;
	struct timeval tv;
	unsigned int i;
	int rc;

	st->t_start = now();
	st->t_end = st->t_start;
	deadline = o->seconds ? st->t_start + o->seconds : 0;
	for (i = 0; i < o->queue; i++) {
		if (!submit_slot(st, &st->slots[i])) {
			stop_stream(st);
			break;
		}
	}

	while (st->inflight) {
		tv.tv_sec = 0;
		tv.tv_usec = 100000;
		rc = libusb_handle_events_timeout_completed(st->ctx, &tv, NULL);
		if (rc && rc != LIBUSB_ERROR_INTERRUPTED) {
			fail(st, rc == LIBUSB_ERROR_NO_DEVICE ?
			     IUB_RECV_DISCONNECTED : IUB_RECV_ERROR,
			     "handling USB events: %s", libusb_strerror(rc));
			stop_stream(st);
		}
		if (!st->stopping && got_signal) {
			if (!o->quiet)
				msg("interrupted");
			st->t_end = now();
			stop_stream(st);
		}
		if (!st->stopping && deadline && now() >= deadline) {
			st->t_end = now();
			stop_stream(st);
		}
		if (st->stopping) {
			if (!stop_at)
				stop_at = now();
			else if (now() - stop_at > 5.0) {
				msg("%u transfers did not finish cancelling within 5 s",
				    st->inflight);
				fail(st, IUB_RECV_ERROR, "transfers stuck");
				return -1;
			}
		}
		progress(st, false);
	}
	return 0;
}

static int alloc_slots(struct stream *st)
{
	unsigned int i;

	st->slots = calloc(st->o->queue, sizeof(*st->slots));
	if (!st->slots)
		return -1;
	for (i = 0; i < st->o->queue; i++) {
		struct slot *sl = &st->slots[i];

		sl->run = st;
		sl->xfer = libusb_alloc_transfer(0);
		if (!sl->xfer)
			return -1;
		if (st->o->zero_copy) {
			sl->buf = libusb_dev_mem_alloc(st->h, st->size);
			sl->dev_mem = sl->buf != NULL;
			if (!sl->buf && i == 0 && !st->o->quiet)
				msg("--zero-copy: usbfs cannot map buffers here, using ordinary memory");
		}
		if (!sl->buf)
			sl->buf = aligned_alloc(4096, (st->size + 4095) & ~(size_t)4095);
		if (!sl->buf)
			return -1;
		libusb_fill_bulk_transfer(sl->xfer, st->h, st->ep, sl->buf,
					  (int)st->size, xfer_done, sl, 0);
		if (st->o->mode == IUB_RECV_SEND && st->o->zlp)
			sl->xfer->flags |= LIBUSB_TRANSFER_ADD_ZERO_PACKET;
	}
	return 0;
}

static void free_slots(struct stream *st, bool leak_busy)
{
	unsigned int i;

	if (!st->slots)
		return;
	for (i = 0; i < st->o->queue; i++) {
		struct slot *sl = &st->slots[i];

		if (sl->busy && leak_busy)
			continue;	/* libusb still owns it */
		if (sl->xfer)
			libusb_free_transfer(sl->xfer);
		if (sl->dev_mem)
			libusb_dev_mem_free(st->h, sl->buf, st->size);
		else
			free(sl->buf);
	}
	free(st->slots);
	st->slots = NULL;
}

static void report(const struct stream *st, struct iub_recv_result *r)
{
	char line[2048];

	r->mode = st->o->mode;
	r->status = st->status;
	r->error = st->status == IUB_RECV_DONE ? NULL : st->error;
	r->bytes = st->moved;
	r->target = st->o->bytes;
	r->seconds = st->t_end - st->t_start;
	r->transfers = st->transfers;
	r->short_transfers = st->short_transfers;
	r->verify = st->o->mode == IUB_RECV_RECEIVE && st->o->verify;
	if (r->verify)
		iub_recv_result_from_verifier(r, &st->verifier);
	r->queue = st->o->queue;
	r->size = st->size;

	if (st->status != IUB_RECV_DONE)
		msg("%s after %" PRIu64 " bytes%s", st->error, st->moved,
		    st->o->bytes ? " (fewer than --bytes)" : "");
	else if (st->o->bytes && st->moved < st->o->bytes)
		msg("stopped after %" PRIu64 " of %" PRIu64 " bytes",
		    st->moved, st->o->bytes);
	if (r->verify && r->mismatches)
		msg("%" PRIu64 " words did not match the stream; the first at byte %" PRIu64 ": expected 0x%08" PRIx32 ", got 0x%08" PRIx32,
		    r->mismatches, r->first_bad, r->first_expected, r->first_got);
	if (st->o->json)
		iub_recv_format_json(r, line, sizeof(line));
	else
		iub_recv_format_line(r, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
}

static void close_device(struct stream *st, struct found *f)
{
	libusb_close(st->h);
	if (f->fd >= 0)
		close(f->fd);
	libusb_exit(st->ctx);
}

int main(int argc, char **argv)
{
	struct iub_recv_result r = { 0 };
	struct stream st = { 0 };
	struct iub_recv_opts o;
	struct sigaction sa = { 0 };
	libusb_device *dev;
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
	rc = libusb_init(&st.ctx);
	if (rc) {
		msg("cannot initialize libusb: %s", libusb_strerror(rc));
		return IUB_RECV_EXIT_NODEV;
	}
	ret = find_interface(&o, st.ctx, &f);
	if (ret) {
		libusb_exit(st.ctx);
		return ret;
	}
	st.o = &o;
	st.h = f.h;
	st.ep = f.ep;
	st.max_packet = f.max_packet ? f.max_packet : 512;
	st.size = o.size;
	if (o.mode == IUB_RECV_RECEIVE && st.size % st.max_packet) {
		st.size = (st.size / st.max_packet + 1) * st.max_packet;
		if (!o.quiet)
			msg("--size rounded up to %zu, a multiple of wMaxPacketSize %u",
			    st.size, st.max_packet);
	}
	iub_recv_verifier_init(&st.verifier);
	iub_recv_generator_init(&st.gen, o.seed);

	dev = libusb_get_device(st.h);
	r.bus = libusb_get_bus_number(dev);
	r.address = libusb_get_device_address(dev);
	r.speed = speed_name(libusb_get_device_speed(dev));
	r.interface = (unsigned int)f.interface;
	r.endpoint = f.ep;
	r.max_packet = st.max_packet;
	{
		struct libusb_device_descriptor dd;

		if (!libusb_get_device_descriptor(dev, &dd)) {
			r.vid = dd.idVendor;
			r.pid = dd.idProduct;
		}
	}

	rc = libusb_claim_interface(st.h, f.interface);
	if (rc) {
		msg("cannot claim interface %d of bus %03u device %03u: %s%s",
		    f.interface, r.bus, r.address, libusb_strerror(rc),
		    rc == LIBUSB_ERROR_BUSY ?
		    " (a kernel driver or another program has it)" : "");
		close_device(&st, &f);
		return IUB_RECV_EXIT_NODEV;
	}
	if (!o.quiet)
		msg("%s bus %03u device %03u (%04x:%04x, %s speed), interface %d, bulk %s endpoint 0x%02x (wMaxPacketSize %u): %u x %zu bytes in flight",
		    o.mode == IUB_RECV_SEND ? "sending to" : "receiving from",
		    r.bus, r.address, r.vid, r.pid, r.speed, f.interface,
		    o.mode == IUB_RECV_SEND ? "OUT" : "IN", f.ep, st.max_packet,
		    o.queue, st.size);

	if (alloc_slots(&st)) {
		msg("out of memory for %u transfers of %zu bytes", o.queue,
		    st.size);
		free_slots(&st, false);
		libusb_release_interface(st.h, f.interface);
		close_device(&st, &f);
		return IUB_RECV_EXIT_XFER;
	}
	rc = run_stream(&st);
	progress(&st, true);
	classify_error(&st);
	report(&st, &r);
	ret = iub_recv_exit_code(&r);
	if (rc) {
		/* transfers still owned by libusb: leave them to exit() */
		free_slots(&st, true);
		return ret;
	}
	free_slots(&st, false);
	libusb_release_interface(st.h, f.interface);
	close_device(&st, &f);
	return ret;
}
