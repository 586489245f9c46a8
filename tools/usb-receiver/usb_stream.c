// SPDX-License-Identifier: GPL-2.0
/*
 * The libusb receiver core (usb_stream.h): one bulk endpoint's transfers,
 * submitted, completed (iub_usb_xfer_done()), resubmitted and cancelled.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iub_io.h"
#include "usb_stream.h"

/**
 * struct iub_usb_slot - one transfer and its buffer
 * @st: the stream it belongs to
 * @xfer: the libusb transfer
 * @buf: its buffer, of st->size bytes
 * @dev_mem: @buf comes from libusb_dev_mem_alloc()
 * @busy: submitted and not yet completed
 */
struct iub_usb_slot {
	struct iub_usb_stream *st;
	struct libusb_transfer *xfer;
	unsigned char *buf;
	bool dev_mem;
	bool busy;
};

/* CLOCK_MONOTONIC, in seconds */
double iub_usb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The defaults: everything off, no files. */
void iub_usb_stream_init(struct iub_usb_stream *st)
{
	memset(st, 0, sizeof(*st));
	st->out_fd = -1;
	st->in_fd = -1;
	st->status = IUB_RECV_DONE;
}

static bool target_reached(const struct iub_usb_stream *st)
{
	return st->target && st->moved >= st->target;
}

/**
 * iub_usb_stream_fail() - record a failure of the stream
 * @st: the stream
 * @status: IUB_RECV_DISCONNECTED or IUB_RECV_ERROR
 * @fmt: the message
 *
 * Only the first failure counts, and none once the target was reached
 * (what follows it is moot).
 */
void iub_usb_stream_fail(struct iub_usb_stream *st,
			 enum iub_recv_status status, const char *fmt, ...)
{
	va_list ap;

	if (st->status != IUB_RECV_DONE || target_reached(st))
		return;
	st->status = status;
	va_start(ap, fmt);
	vsnprintf(st->error, sizeof(st->error), fmt, ap);
	va_end(ap);
}

/**
 * iub_usb_stream_stop() - stop submitting, cancel what is in flight
 * @st: the stream
 *
 * The cancelled transfers still complete, through libusb's event handling:
 * the stream is over once @st->inflight is 0.
 */
void iub_usb_stream_stop(struct iub_usb_stream *st)
{
	if (st->stopping)
		return;
	st->stopping = true;
	for (unsigned int i = 0; i < st->queue; i++)
		if (st->slots[i].busy)
			libusb_cancel_transfer(st->slots[i].xfer);
}

/**
 * iub_usb_stream_set_target() - the byte count, known only now
 * @st: the stream
 * @target: stop once this many bytes have moved
 */
void iub_usb_stream_set_target(struct iub_usb_stream *st, uint64_t target)
{
	st->target = target;
	if (target_reached(st))
		iub_usb_stream_stop(st);
}

/* Bytes the next submission of a slot asks for; 0: none is needed. */
static size_t next_length(const struct iub_usb_stream *st)
{
	uint64_t need;

	if (st->send && st->in_eof)
		return 0;
	if (!st->target)
		return st->size;
	if (st->send) {
		need = st->target - st->queued;
		return need < st->size ? (size_t)need : st->size;
	}
	/* receive: what has neither arrived nor been asked for yet, rounded
	 * up to whole packets so that a full packet never overflows */
	if (st->moved + st->outstanding >= st->target)
		return 0;
	need = st->target - st->moved - st->outstanding;
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

/* What goes out next into @buf, at most @len bytes; 0 at the end. */
static size_t fill_send(struct iub_usb_stream *st, void *buf, size_t len)
{
	ssize_t n;

	if (st->in_fd < 0) {
		iub_recv_generate(&st->gen, buf, len);
		return len;
	}
	n = iub_read_full(st->in_fd, buf, len);
	if (n < 0) {
		iub_usb_stream_fail(st, IUB_RECV_ERROR, "reading %s: %s",
				    st->in_name, strerror(errno));
		return 0;
	}
	if ((size_t)n < len)
		st->in_eof = true;	/* the end of the file */
	return (size_t)n;
}

/* Submit @sl again if more is to move. Return: false on failure. */
static bool submit_slot(struct iub_usb_stream *st, struct iub_usb_slot *sl)
{
	size_t len = next_length(st);
	int rc;

	if (!len)
		return true;
	if (st->send) {
		len = fill_send(st, sl->buf, len);
		if (st->status != IUB_RECV_DONE)
			return false;
		if (!len)
			return true;
		st->queued += len;
	}
	sl->xfer->length = (int)len;
	rc = libusb_submit_transfer(sl->xfer);
	if (rc) {
		if (rc == LIBUSB_ERROR_NO_DEVICE)
			iub_usb_stream_fail(st, IUB_RECV_DISCONNECTED,
					    "device disconnected");
		else if (rc == LIBUSB_ERROR_NO_MEM)
			iub_usb_stream_fail(st, IUB_RECV_ERROR,
				"cannot submit a transfer: %s; --queue %u x --size %zu asks for %.1f MiB in flight, usbfs allows %s MiB for all transfers on the machine (%s; 0 lifts the limit)",
				libusb_strerror(rc), st->queue, st->size,
				(double)st->queue * (double)st->size / 1048576.0,
				usbfs_limit(), USBFS_LIMIT);
		else
			iub_usb_stream_fail(st, IUB_RECV_ERROR,
					    "cannot submit a transfer: %s",
					    libusb_strerror(rc));
		st->maybe_gone = rc == LIBUSB_ERROR_IO;
		return false;
	}
	sl->busy = true;
	st->inflight++;
	st->outstanding += len;
	return true;
}

/* The data of a completed transfer. Return: false on failure. */
static bool take_data(struct iub_usb_stream *st, struct iub_usb_slot *sl,
		      size_t got)
{
	/* the time of arrival, before the verifier's work */
	st->t_end = iub_usb_now();
	if (!st->send && st->verify)
		iub_recv_verify(&st->verifier, sl->buf, got);
	st->moved += got;
	if (!st->t_first) {
		st->t_first = st->t_end;
		st->at_first = st->moved;
	}
	if (st->out_fd >= 0 && iub_write_all(st->out_fd, sl->buf, got)) {
		iub_usb_stream_fail(st, IUB_RECV_ERROR, "writing %s: %s",
				    st->out_name, strerror(errno));
		return false;
	}
	return true;
}

/* Whether the transfer ended well; else the failure is recorded. */
static bool xfer_ok(struct iub_usb_stream *st, struct libusb_transfer *t,
		    size_t got)
{
	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		st->transfers++;
		if (got < (size_t)t->length)
			st->short_transfers++;
		break;
	case LIBUSB_TRANSFER_NO_DEVICE:
		iub_usb_stream_fail(st, IUB_RECV_DISCONNECTED,
				    "device disconnected");
		return false;
	case LIBUSB_TRANSFER_STALL:
		iub_usb_stream_fail(st, IUB_RECV_ERROR,
				    "endpoint 0x%02x stalled", st->ep);
		return false;
	case LIBUSB_TRANSFER_OVERFLOW:
		iub_usb_stream_fail(st, IUB_RECV_ERROR,
				    "endpoint 0x%02x: the device sent more than a transfer asked for",
				    st->ep);
		return false;
	case LIBUSB_TRANSFER_TIMED_OUT:
	case LIBUSB_TRANSFER_ERROR:
	default:
		iub_usb_stream_fail(st, IUB_RECV_ERROR,
				    "transfer on endpoint 0x%02x failed", st->ep);
		st->maybe_gone = true;
		return false;
	}
	if (st->send && got < (size_t)t->length) {
		/* the device took less than we sent: the stream it sees has a
		 * hole, so going on would only produce errors over there */
		iub_usb_stream_fail(st, IUB_RECV_ERROR,
				    "endpoint 0x%02x accepted %zu of %d bytes",
				    st->ep, got, t->length);
		return false;
	}
	return true;
}

static void LIBUSB_CALL xfer_done(struct libusb_transfer *t)
{
	struct iub_usb_slot *sl = t->user_data;
	struct iub_usb_stream *st = sl->st;
	size_t got = t->actual_length > 0 ? (size_t)t->actual_length : 0;

	sl->busy = false;
	st->inflight--;
	st->outstanding -= (uint64_t)t->length;
	if (got && !take_data(st, sl, got)) {
		iub_usb_stream_stop(st);
		return;
	}
	if (t->status == LIBUSB_TRANSFER_CANCELLED)
		return;
	if (!xfer_ok(st, t, got) || target_reached(st) ||
	    (!st->stopping && !submit_slot(st, sl)))
		iub_usb_stream_stop(st);
}

/**
 * iub_usb_stream_alloc() - allocate the transfers and their buffers
 * @st: the stream, configured
 *
 * With @st->zero_copy, buffers come from usbfs where it can map them;
 * @st->dev_mem says whether all of them did.
 *
 * Return: 0, or -1 (out of memory; iub_usb_stream_free() cleans up).
 */
int iub_usb_stream_alloc(struct iub_usb_stream *st)
{
	bool zero_copy = st->zero_copy;

	iub_recv_verifier_init(&st->verifier);
	iub_recv_generator_init(&st->gen, st->seed);
	st->slots = calloc(st->queue, sizeof(*st->slots));
	if (!st->slots)
		return -1;
	for (unsigned int i = 0; i < st->queue; i++) {
		struct iub_usb_slot *sl = &st->slots[i];

		sl->st = st;
		sl->xfer = libusb_alloc_transfer(0);
		if (!sl->xfer)
			return -1;
		if (zero_copy) {
			/* usbfs-mapped: no copy between kernel and user */
			sl->buf = libusb_dev_mem_alloc(st->h, st->size);
			sl->dev_mem = sl->buf != NULL;
			zero_copy = sl->dev_mem;
		}
		if (!sl->buf)
			sl->buf = aligned_alloc(4096, (st->size + 4095) & ~(size_t)4095);
		if (!sl->buf)
			return -1;
		libusb_fill_bulk_transfer(sl->xfer, st->h, st->ep, sl->buf,
					  (int)st->size, xfer_done, sl, 0);
		if (st->send && st->zlp)
			sl->xfer->flags |= LIBUSB_TRANSFER_ADD_ZERO_PACKET;
	}
	st->dev_mem = st->zero_copy && zero_copy;
	return 0;
}

/**
 * iub_usb_stream_free() - free the transfers that have completed
 * @st: the stream
 *
 * A transfer still busy (its cancellation never completed) is left to
 * libusb and to the exit of the process.
 */
void iub_usb_stream_free(struct iub_usb_stream *st)
{
	if (!st->slots)
		return;
	for (unsigned int i = 0; i < st->queue; i++) {
		struct iub_usb_slot *sl = &st->slots[i];

		if (sl->busy)
			continue;
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

/**
 * iub_usb_stream_start() - submit every slot
 * @st: the stream, allocated
 *
 * Return: false if a submission failed (the stream is then stopping).
 */
bool iub_usb_stream_start(struct iub_usb_stream *st)
{
	st->t_start = iub_usb_now();
	st->t_end = st->t_start;
	for (unsigned int i = 0; i < st->queue; i++) {
		if (!submit_slot(st, &st->slots[i])) {
			iub_usb_stream_stop(st);
			return false;
		}
	}
	return true;
}
