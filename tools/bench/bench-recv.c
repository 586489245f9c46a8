// SPDX-License-Identifier: GPL-2.0
/*
 * iub-bench-recv - the USB host side of the benchmark (Documentation/benchmark.rst).
 *
 * iub-usb-recv's libusb receiver core (tools/usb-receiver/usb_stream.c)
 * on one or more bulk IN endpoints at once (two concurrent streams need two
 * endpoints of one interface, and usbfs lets only one program claim an
 * interface), with a byte target that comes late: the device side streams
 * for a while and only then says how much it sent, and a line protocol
 * on stdin and stdout for iub-bench.
 *
 *   iub-bench-recv [--streams K] [--size BYTES] [--queue N] [--no-verify]
 *                  [--vid HEX] [--pid HEX] [--seconds S]
 *
 * Takes the first K bulk IN endpoints of the first device with VID:PID
 * (default 1d6b:0104), over all interfaces of its configuration, in
 * descriptor order; claims their interfaces; keeps N transfers of BYTES
 * in flight on each; verifies every byte against the simulated board's
 * stream (sim/iub_sim_stream.h), one verifier per endpoint.
 *
 * Protocol: prints "ready" once the transfers are submitted. Reads one
 * line from stdin: K byte counts (stop each endpoint once it has that
 * many), or "stop" (stop now, count what arrived). Then prints one line
 * per endpoint and a summary:
 *   mismatch ep 0xEP: byte N expected 0xW got 0xW   (first one, if any)
 *   stream I ep=0xEP bytes=B mismatches=M first=T last=T after_first=B
 *   host user=U sys=S status=ok|error: ...
 * Times are CLOCK_MONOTONIC seconds, the same clock as the device side's.
 * user/sys: this process's CPU time from "ready" to the end.
 *
 * Exit status: 0 done and verified, 1 mismatches, 3 no device, 4 transfer
 * error or timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libusb.h>

#include "iub_size.h"
#include "recv_core.h"
#include "usb_stream.h"

#define MAX_STREAMS	4
#define MAX_QUEUE	64

/*
 * One benchmark stream: the libusb receiver core (usb_stream.c, the same
 * as iub-usb-recv's) on one bulk IN endpoint, and its interface.
 */
struct stream {
	struct iub_usb_stream u;
	int intf;
};

static struct {
	unsigned int streams, queue;
	size_t size;
	bool verify;
	int vid, pid;
	double seconds;
	bool failed;
	char error[256];
} o = { 1, 8, 1 << 20, true, 0x1d6b, 0x0104, 600, false, "" };

static libusb_context *ctx;
static libusb_device_handle *h;
static struct stream streams[MAX_STREAMS];

#define now iub_usb_now

static void set_error(const char *fmt, const char *arg)
{
	if (o.failed)
		return;
	o.failed = true;
	snprintf(o.error, sizeof(o.error), fmt, arg);
}

static void stop(struct stream *st)
{
	iub_usb_stream_stop(&st->u);
}

/* The targets line from stdin; returns true once it has come. */
static bool read_targets(void)
{
	char line[256], *p = line, *end;
	unsigned int i;
	ssize_t n;

	n = read(STDIN_FILENO, line, sizeof(line) - 1);
	if (n <= 0) {
		/* the device side went away without a word: stop */
		for (i = 0; i < o.streams; i++)
			stop(&streams[i]);
		if (n < 0)
			set_error("stdin: %s", strerror(errno));
		return true;
	}
	line[n] = 0;
	if (!strncmp(line, "stop", 4)) {
		for (i = 0; i < o.streams; i++)
			stop(&streams[i]);
		return true;
	}
	for (i = 0; i < o.streams; i++) {
		struct stream *st = &streams[i];
		uint64_t target = strtoull(p, &end, 0);

		if (end == p || !target) {
			set_error("bad targets line: %.100s", line);
			stop(st);
			continue;
		}
		p = end;
		if (st->u.moved > target)
			set_error("more data than the device side sent%s", "");
		iub_usb_stream_set_target(&st->u, target);
	}
	return true;
}

static int find_device(void)
{
	libusb_device **list;
	ssize_t n;
	int rc = -1;

	for (double until = now() + 20; rc && now() < until; usleep(100000)) {
		n = libusb_get_device_list(ctx, &list);
		for (ssize_t i = 0; i < n && rc; i++) {
			struct libusb_device_descriptor dd;

			if (libusb_get_device_descriptor(list[i], &dd) ||
			    dd.idVendor != o.vid || dd.idProduct != o.pid)
				continue;
			rc = libusb_open(list[i], &h);
		}
		if (n >= 0)
			libusb_free_device_list(list, 1);
	}
	return rc;
}

/* The first o.streams bulk IN endpoints, over all interfaces. */
static int find_endpoints(void)
{
	struct libusb_config_descriptor *cfg;
	unsigned int k = 0;

	for (double until = now() + 20;; usleep(100000)) {
		if (!libusb_get_active_config_descriptor(libusb_get_device(h), &cfg))
			break;
		if (now() > until)
			return -1;
	}
	for (int i = 0; i < cfg->bNumInterfaces && k < o.streams; i++) {
		const struct libusb_interface_descriptor *id;

		if (!cfg->interface[i].num_altsetting)
			continue;
		id = &cfg->interface[i].altsetting[0];
		for (int e = 0; e < id->bNumEndpoints && k < o.streams; e++) {
			const struct libusb_endpoint_descriptor *ed = &id->endpoint[e];

			if ((ed->bmAttributes & 3) != LIBUSB_TRANSFER_TYPE_BULK ||
			    !(ed->bEndpointAddress & LIBUSB_ENDPOINT_IN))
				continue;
			streams[k].u.ep = ed->bEndpointAddress;
			streams[k].intf = id->bInterfaceNumber;
			streams[k].u.max_packet = ed->wMaxPacketSize ? ed->wMaxPacketSize : 512;
			k++;
		}
	}
	libusb_free_config_descriptor(cfg);
	return k == o.streams ? 0 : -1;
}

static double cpu_of(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "streams", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "queue", required_argument, NULL, 'q' },
		{ "no-verify", no_argument, NULL, 'N' },
		{ "vid", required_argument, NULL, 'V' },
		{ "pid", required_argument, NULL, 'P' },
		{ "seconds", required_argument, NULL, 't' },
		{ }
	};
	bool targets = false, zero_copy = true;
	char msg[300];
	struct rusage ru0, ru1;
	unsigned int i, j;
	uint64_t bad = 0, size;
	double deadline;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': o.streams = strtoul(optarg, NULL, 0); break;
		case 's':
			if (iub_parse_size(optarg, &size) || size > SIZE_MAX) {
				fprintf(stderr, "iub-bench-recv: --size: '%s' is not a size\n", optarg);
				return 2;
			}
			o.size = (size_t)size;
			break;
		case 'q': o.queue = strtoul(optarg, NULL, 0); break;
		case 'N': o.verify = false; break;
		case 'V': o.vid = (int)strtol(optarg, NULL, 16); break;
		case 'P': o.pid = (int)strtol(optarg, NULL, 16); break;
		case 't': o.seconds = strtod(optarg, NULL); break;
		default: return 2;
		}
	}
	if (!o.streams || o.streams > MAX_STREAMS || !o.queue ||
	    o.queue > MAX_QUEUE || !o.size || o.size % 4096 || o.size > (256u << 20)) {
		fprintf(stderr, "iub-bench-recv: bad arguments\n");
		return 2;
	}
	if (libusb_init(&ctx)) {
		fprintf(stderr, "iub-bench-recv: libusb_init failed\n");
		return 3;
	}
	if (find_device() || find_endpoints()) {
		fprintf(stderr, "iub-bench-recv: no device %04x:%04x with %u bulk IN endpoints\n",
			o.vid, o.pid, o.streams);
		return 3;
	}
	for (i = 0; i < o.streams; i++) {
		for (j = 0; j < i && streams[j].intf != streams[i].intf; j++)
			;
		if (j < i)
			continue;	/* claimed already */
		rc = libusb_claim_interface(h, streams[i].intf);
		if (rc) {
			fprintf(stderr, "iub-bench-recv: claim interface %d: %s\n",
				streams[i].intf, libusb_strerror(rc));
			return 3;
		}
	}
	for (i = 0; i < o.streams; i++) {
		struct iub_usb_stream *u = &streams[i].u;
		unsigned char ep = u->ep;
		unsigned int max_packet = u->max_packet;

		iub_usb_stream_init(u);
		u->h = h;
		u->ep = ep;
		u->max_packet = max_packet;
		u->size = o.size;
		u->queue = o.queue;
		u->verify = o.verify;
		/* usbfs-mapped buffers: no copy_to_user at reap time */
		u->zero_copy = true;
		if (iub_usb_stream_alloc(u)) {
			fprintf(stderr, "iub-bench-recv: out of memory\n");
			return 4;
		}
		zero_copy = zero_copy && u->dev_mem;
	}
	for (i = 0; i < o.streams; i++)
		iub_usb_stream_start(&streams[i].u);
	getrusage(RUSAGE_SELF, &ru0);
	printf("ready\n");
	fflush(stdout);

	deadline = now() + o.seconds;
	for (;;) {
		struct timeval tv = { 0, 20000 };
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		bool busy = false;

		for (i = 0; i < o.streams; i++)
			if (streams[i].u.inflight ||
			    (!streams[i].u.stopping && !targets))
				busy = true;
		if (!busy)
			break;
		rc = libusb_handle_events_timeout_completed(ctx, &tv, NULL);
		if (rc && rc != LIBUSB_ERROR_INTERRUPTED) {
			set_error("handling events: %s", libusb_strerror(rc));
			for (i = 0; i < o.streams; i++)
				stop(&streams[i]);
		}
		if (!targets && poll(&p, 1, 0) == 1)
			targets = read_targets();
		if (now() > deadline) {
			set_error("time limit reached%s", "");
			for (i = 0; i < o.streams; i++)
				stop(&streams[i]);
			targets = true;
		}
	}
	getrusage(RUSAGE_SELF, &ru1);

	for (i = 0; i < o.streams; i++) {
		struct iub_usb_stream *u = &streams[i].u;
		const struct iub_sim_stream_check *chk = &u->verifier.check;
		uint64_t mm = o.verify ? chk->mismatches : 0;

		bad += mm;
		if (mm)
			printf("mismatch ep 0x%02x: byte %" PRIu64 " expected 0x%08" PRIx32
			       " got 0x%08" PRIx32 "\n", u->ep,
			       (uint64_t)chk->first_bad * 4,
			       (uint32_t)chk->first_expected,
			       (uint32_t)chk->first_got);
		if (u->status != IUB_RECV_DONE) {
			snprintf(msg, sizeof(msg), "ep 0x%02x: %s", u->ep, u->error);
			set_error("%s", msg);
		}
		if (u->target && u->moved != u->target)
			set_error("an endpoint got fewer bytes than the device sent%s", "");
		printf("stream %u ep=0x%02x bytes=%" PRIu64 " mismatches=%" PRIu64
		       " verified=%d first=%.6f last=%.6f after_first=%" PRIu64 "\n",
		       i, u->ep, u->moved, mm, o.verify ? !mm : -1, u->t_first,
		       u->t_first ? u->t_end : 0.0, u->moved - u->at_first);
	}
	printf("host user=%.3f sys=%.3f zero_copy=%d status=%s%s\n",
	       cpu_of(&ru1.ru_utime) - cpu_of(&ru0.ru_utime),
	       cpu_of(&ru1.ru_stime) - cpu_of(&ru0.ru_stime), zero_copy,
	       o.failed ? "error: " : "ok", o.error);
	fflush(stdout);

	for (i = 0; i < o.streams; i++)
		iub_usb_stream_free(&streams[i].u);
	for (i = 0; i < o.streams; i++)
		libusb_release_interface(h, streams[i].intf);
	libusb_close(h);
	libusb_exit(ctx);
	return o.failed ? 4 : bad ? 1 : 0;
}
