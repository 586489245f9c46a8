/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iub-usb-recv: the parts that do not touch libusb (command line, stream
 * verifier and generator, result formatting), kept apart so that the unit
 * test (test_recv_core.c) can run them on the build machine with sanitizers.
 *
 * Documentation/usb-receiver.rst describes the tool.
 */
#ifndef IUB_RECV_CORE_H
#define IUB_RECV_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iub_sim_stream.h"
#include "iub_size.h"

/* Exit codes, as documented in --help and Documentation/usb-receiver.rst. */
#define IUB_RECV_EXIT_OK	0	/* byte count reached, data verified */
#define IUB_RECV_EXIT_VERIFY	1	/* data did not match the stream */
#define IUB_RECV_EXIT_USAGE	2	/* bad command line */
#define IUB_RECV_EXIT_NODEV	3	/* no such device or interface */
#define IUB_RECV_EXIT_XFER	4	/* transfer error, disconnect, or the
					 * stream ended before --bytes */

/* The iInterface string of the bridge's gadget function. */
#define IUB_RECV_DEFAULT_NAME	"iio-usb-bridge"
/* Largest --size and --queue accepted. */
#define IUB_RECV_MAX_SIZE	(256u << 20)
#define IUB_RECV_MAX_QUEUE	256u
/* Largest --endpoints accepted. */
#define IUB_RECV_MAX_ENDPOINTS	8u

enum iub_recv_mode {
	IUB_RECV_RECEIVE,	/* bulk IN, verify */
	IUB_RECV_SEND,		/* bulk OUT, generate */
};

/**
 * struct iub_recv_opts - the command line, parsed
 * @mode: receive (default) or send
 * @vid: idVendor to match, or -1
 * @pid: idProduct to match, or -1
 * @interface: bInterfaceNumber to use, or -1 for the first that matches
 * @ep_index: which bulk endpoint of the direction (0: the first)
 * @endpoints: how many, from @ep_index on, each with its own stream
 * @device: usbfs node to open directly (libusb_wrap_sys_device), or NULL
 * @name: iInterface string an interface must carry (with class 0xff)
 * @any_bulk: accept any interface with a bulk endpoint of the direction
 * @queue: transfers kept in flight
 * @size: bytes per transfer
 * @bytes: stop after this many bytes; 0: no limit
 * @seconds: stop after this long; 0: no limit
 * @verify: check received data against the stream format
 * @seed: value of the first word sent
 * @zlp: end OUT transfers that are a multiple of wMaxPacketSize with a ZLP
 * @zero_copy: transfer buffers from libusb_dev_mem_alloc() (usbfs mmap)
 * @quiet: no progress line, no device line
 * @progress: the progress line also when stderr is not a terminal
 * @json: final report as a JSON object
 * @verbose: say which devices and interfaces were looked at
 * @output: receive: write the data to this file ("-": stdout), or NULL
 * @input: send: the data from this file ("-": stdin), or NULL: generated
 * @wait: look for the device for up to this long; 0: once
 */
struct iub_recv_opts {
	enum iub_recv_mode mode;
	int vid;
	int pid;
	int interface;
	unsigned int ep_index;
	unsigned int endpoints;
	const char *device;
	const char *name;
	bool any_bulk;
	unsigned int queue;
	size_t size;
	uint64_t bytes;
	double seconds;
	bool verify;
	uint32_t seed;
	bool zlp;
	bool zero_copy;
	bool quiet;
	bool progress;
	bool json;
	bool verbose;
	const char *output;
	const char *input;
	double wait;
};

/* Return values of iub_recv_parse_args(). */
#define IUB_RECV_PARSE_OK	0	/* run */
#define IUB_RECV_PARSE_DONE	1	/* --help or --version printed: exit 0 */
#define IUB_RECV_PARSE_USAGE	(-1)	/* message printed: exit 2 */

int iub_recv_parse_args(struct iub_recv_opts *o, int argc, char **argv,
			FILE *out, FILE *err);
void iub_recv_usage(FILE *f, const char *prog);

/**
 * struct iub_recv_verifier - stream verifier over arbitrary byte chunks
 * @check: the word-level verifier of sim/iub_sim_stream.h
 * @part: bytes of a word split between two chunks
 * @npart: how many bytes of @part are valid (0..3)
 * @bytes: bytes fed so far
 *
 * Transfers may end anywhere (a short packet), so a word may straddle two
 * of them: the leftover bytes wait in @part for the next chunk.
 */
struct iub_recv_verifier {
	struct iub_sim_stream_check check;
	unsigned char part[IUB_SIM_STREAM_WORD_SIZE];
	unsigned int npart;
	uint64_t bytes;
};

void iub_recv_verifier_init(struct iub_recv_verifier *v);
uint64_t iub_recv_verify(struct iub_recv_verifier *v, const void *buf,
			 size_t len);

/**
 * struct iub_recv_generator - stream generator over arbitrary byte chunks
 * @next: value of the word being emitted
 * @phase: bytes of @next already emitted (0..3)
 * @bytes: bytes generated so far
 */
struct iub_recv_generator {
	uint32_t next;
	unsigned int phase;
	uint64_t bytes;
};

void iub_recv_generator_init(struct iub_recv_generator *g, uint32_t seed);
void iub_recv_generate(struct iub_recv_generator *g, void *buf, size_t len);

enum iub_recv_status {
	IUB_RECV_DONE,		/* ran to the end: byte count, time, signal */
	IUB_RECV_DISCONNECTED,	/* the device went away */
	IUB_RECV_ERROR,		/* a transfer failed */
};

/**
 * struct iub_recv_result - what a run did, for the final report
 * @mode: receive or send
 * @status: how the run ended
 * @error: what went wrong (status other than IUB_RECV_DONE), or NULL
 * @bytes: bytes moved
 * @target: --bytes, 0 if none
 * @seconds: from the first submission to the last completion
 * @transfers: completed transfers (with data or not)
 * @short_transfers: completed transfers shorter than requested
 * @verify: whether the data was checked (receive mode)
 * @mismatches: words that did not match
 * @first_bad: byte offset of the first mismatching word
 * @first_expected: value expected there
 * @first_got: value found there
 * @bus: bus number of the device
 * @address: device address on the bus
 * @vid: idVendor
 * @pid: idProduct
 * @speed: "high", "super", ...
 * @interface: bInterfaceNumber
 * @endpoint: bEndpointAddress
 * @max_packet: wMaxPacketSize of the endpoint
 * @queue: transfers in flight
 * @size: bytes per transfer
 */
struct iub_recv_result {
	enum iub_recv_mode mode;
	enum iub_recv_status status;
	const char *error;
	uint64_t bytes;
	uint64_t target;
	double seconds;
	uint64_t transfers;
	uint64_t short_transfers;
	bool verify;
	uint64_t mismatches;
	uint64_t first_bad;
	uint32_t first_expected;
	uint32_t first_got;
	unsigned int bus;
	unsigned int address;
	unsigned int vid;
	unsigned int pid;
	const char *speed;
	unsigned int interface;
	unsigned int endpoint;
	unsigned int max_packet;
	unsigned int queue;
	size_t size;
};

void iub_recv_result_from_verifier(struct iub_recv_result *r,
				   const struct iub_recv_verifier *v);
int iub_recv_exit_code(const struct iub_recv_result *r);
double iub_recv_mib_per_s(uint64_t bytes, double seconds);
int iub_recv_format_line(const struct iub_recv_result *r, char *buf,
			 size_t size);
int iub_recv_format_json(const struct iub_recv_result *r, char *buf,
			 size_t size);

#endif /* IUB_RECV_CORE_H */
