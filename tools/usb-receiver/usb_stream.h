/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The libusb receiver core: asynchronous bulk transfers kept in flight on
 * one endpoint, receiving (verified, optionally written to a file) or
 * sending (the generated stream, or a file). iub-usb-recv runs one per
 * endpoint it was asked for, iub-bench-recv one per benchmark stream; each
 * program keeps its own event loop around libusb_handle_events*().
 *
 * Documentation/usb-receiver.rst describes the behaviour.
 */
#ifndef IUB_USB_STREAM_H
#define IUB_USB_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libusb.h>

#include "recv_core.h"

struct iub_usb_slot;

/**
 * struct iub_usb_stream - transfers in flight on one bulk endpoint
 *
 * Set by the caller before iub_usb_stream_alloc():
 * @h: the opened device, its interface claimed
 * @ep: endpoint address (bit 7: IN)
 * @max_packet: its wMaxPacketSize
 * @size: bytes per transfer (receive: a multiple of @max_packet)
 * @queue: transfers kept in flight
 * @send: bulk OUT (else bulk IN)
 * @verify: receive: check the stream format
 * @zlp: send: end transfers that are a multiple of @max_packet with a ZLP
 * @zero_copy: buffers from libusb_dev_mem_alloc(), where usbfs can map them
 * @target: stop once this many bytes have moved; 0: no limit (see
 *          iub_usb_stream_set_target() to set it while running)
 * @seed: send: the first word of the generated stream
 * @out_fd: receive: write what arrives here, or -1
 * @out_name: its name, for messages
 * @in_fd: send: the data to send, or -1 for the generated stream
 * @in_name: its name, for messages
 *
 * State:
 * @slots: the transfers, @queue of them
 * @dev_mem: every buffer came from libusb_dev_mem_alloc()
 * @inflight: slots submitted and not yet completed
 * @outstanding: bytes asked for by the busy slots
 * @queued: send: bytes handed to the endpoint so far
 * @moved: bytes that arrived (receive) or went out (send)
 * @at_first: @moved after the first completion with data
 * @transfers: completed transfers
 * @short_transfers: completed transfers shorter than asked for
 * @stopping: no more submissions; the busy slots are being cancelled
 * @maybe_gone: a failure that a disconnect in progress can cause
 * @in_eof: send: @in_fd has ended
 * @status: IUB_RECV_DONE until the first failure
 * @error: the message of the first failure
 * @verifier: receive: the stream check
 * @gen: send: the stream generator
 * @t_start: first submission (CLOCK_MONOTONIC seconds)
 * @t_first: first completion with data, or 0
 * @t_end: last completion with data
 */
struct iub_usb_stream {
	libusb_device_handle *h;
	unsigned char ep;
	unsigned int max_packet;
	size_t size;
	unsigned int queue;
	bool send;
	bool verify;
	bool zlp;
	bool zero_copy;
	uint64_t target;
	uint32_t seed;
	int out_fd;
	const char *out_name;
	int in_fd;
	const char *in_name;

	struct iub_usb_slot *slots;
	bool dev_mem;
	unsigned int inflight;
	uint64_t outstanding;
	uint64_t queued;
	uint64_t moved;
	uint64_t at_first;
	uint64_t transfers;
	uint64_t short_transfers;
	bool stopping;
	bool maybe_gone;
	bool in_eof;
	enum iub_recv_status status;
	char error[256];
	struct iub_recv_verifier verifier;
	struct iub_recv_generator gen;
	double t_start;
	double t_first;
	double t_end;
};

double iub_usb_now(void);
void iub_usb_stream_init(struct iub_usb_stream *st);
int iub_usb_stream_alloc(struct iub_usb_stream *st);
void iub_usb_stream_free(struct iub_usb_stream *st);
bool iub_usb_stream_start(struct iub_usb_stream *st);
void iub_usb_stream_stop(struct iub_usb_stream *st);
void iub_usb_stream_set_target(struct iub_usb_stream *st, uint64_t target);
void iub_usb_stream_fail(struct iub_usb_stream *st,
			 enum iub_recv_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* IUB_USB_STREAM_H */
