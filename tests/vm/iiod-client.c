// SPDX-License-Identifier: GPL-2.0
/*
 * iiod-client: a libiio 0.24 client (Debian's libiio0, unmodified) for
 * what its command-line tools cannot do: two buffers open at once in one
 * context on the USB backend (iub-iiod gives each its own pipe), and a
 * cyclic DAC buffer. Linked dynamically against libiio; run from the
 * host's root through chroot in the test VM (tests/vm/iiod-usb.sh).
 *
 *   iiod-client both URI ADC DAC BYTES
 *	capture BYTES from the ADC (every channel, verified: each 32-bit word
 *	is the previous plus one) while pushing BYTES of the stream to the
 *	DAC, both buffers open all the time
 *   iiod-client cyclic URI DAC SECONDS
 *	push one buffer of the stream as a cyclic buffer, keep it open
 *	SECONDS, close it
 *
 * Output: "# ..." lines and one "ok"/"not ok" line; exit status 0 or 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <iio.h>

#define SAMPLES	16384

static struct iio_device *open_dev(struct iio_context *ctx, const char *id,
				   bool output)
{
	struct iio_device *dev = iio_context_find_device(ctx, id);
	unsigned int i, n = 0;

	if (!dev) {
		printf("not ok - no device %s in the context\n", id);
		return NULL;
	}
	for (i = 0; i < iio_device_get_channels_count(dev); i++) {
		struct iio_channel *c = iio_device_get_channel(dev, i);

		if (iio_channel_is_scan_element(c) &&
		    iio_channel_is_output(c) == output) {
			iio_channel_enable(c);
			n++;
		}
	}
	printf("# %s: %u channels enabled\n", id, n);
	return n ? dev : NULL;
}

static uint32_t next_out;

static void fill(struct iio_buffer *b)
{
	uint32_t *p = iio_buffer_start(b), *end = iio_buffer_end(b);

	while (p < end)
		*p++ = next_out++;
}

static int both(struct iio_context *ctx, const char *adc_id,
		const char *dac_id, size_t bytes)
{
	struct iio_device *adc = open_dev(ctx, adc_id, false);
	struct iio_device *dac = open_dev(ctx, dac_id, true);
	struct iio_buffer *in, *out;
	uint64_t got = 0, pushed = 0, bad = 0;
	uint32_t expect = 0;
	bool synced = false;
	ssize_t n;

	if (!adc || !dac)
		return 1;
	in = iio_device_create_buffer(adc, SAMPLES, false);
	if (!in) {
		printf("not ok - ADC buffer: %s\n", strerror(errno));
		return 1;
	}
	out = iio_device_create_buffer(dac, SAMPLES, false);
	if (!out) {
		printf("not ok - DAC buffer while the ADC's is open: %s\n", strerror(errno));
		return 1;
	}
	while (got < bytes || pushed < bytes) {
		if (got < bytes) {
			uint32_t *p, *end;

			n = iio_buffer_refill(in);
			if (n < 0) {
				printf("not ok - refill: %s\n", strerror(-n));
				return 1;
			}
			end = iio_buffer_end(in);
			for (p = iio_buffer_start(in); p < end; p++) {
				if (synced && *p != expect)
					bad++;
				expect = *p + 1;
				synced = true;
			}
			got += n;
		}
		if (pushed < bytes) {
			fill(out);
			n = iio_buffer_push(out);
			if (n < 0) {
				printf("not ok - push: %s\n", strerror(-n));
				return 1;
			}
			pushed += n;
		}
	}
	iio_buffer_destroy(out);
	iio_buffer_destroy(in);
	printf("# ADC: %llu bytes, %llu mismatches; DAC: %llu bytes pushed\n",
	       (unsigned long long)got, (unsigned long long)bad,
	       (unsigned long long)pushed);
	if (bad) {
		printf("not ok - the ADC's stream has %llu mismatches\n",
		       (unsigned long long)bad);
		return 1;
	}
	printf("ok - ADC and DAC buffers open at once, ADC stream verified\n");
	return 0;
}

static int cyclic(struct iio_context *ctx, const char *dac_id, unsigned int s)
{
	struct iio_device *dac = open_dev(ctx, dac_id, true);
	struct iio_buffer *out;
	ssize_t n;

	if (!dac)
		return 1;
	out = iio_device_create_buffer(dac, SAMPLES, true);
	if (!out) {
		printf("not ok - cyclic DAC buffer: %s\n", strerror(errno));
		return 1;
	}
	fill(out);
	n = iio_buffer_push(out);
	if (n < 0) {
		printf("not ok - push: %s\n", strerror(-n));
		return 1;
	}
	sleep(s);
	iio_buffer_destroy(out);
	printf("ok - cyclic buffer of %zd bytes pushed once, played %u s\n", n, s);
	return 0;
}

int main(int argc, char **argv)
{
	struct iio_context *ctx;
	int ret;

	if (argc < 5) {
		fprintf(stderr, "usage: iiod-client both URI ADC DAC BYTES | cyclic URI DAC SECONDS\n");
		return 2;
	}
	ctx = iio_create_context_from_uri(argv[2]);
	if (!ctx) {
		printf("not ok - context %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "both") && argc == 6)
		ret = both(ctx, argv[3], argv[4], strtoull(argv[5], NULL, 0));
	else if (!strcmp(argv[1], "cyclic"))
		ret = cyclic(ctx, argv[3], atoi(argv[4]));
	else
		ret = 2;
	iio_context_destroy(ctx);
	return ret;
}
