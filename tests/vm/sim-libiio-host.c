// SPDX-License-Identifier: GPL-2.0
/*
 * sim-libiio-host: what libiio 0.24's USB backend sends and reads, played
 * by the scripted host of the simulated SG UDC (debugfs "control",
 * "inject", "capture": Documentation/sim-udc.rst), against a device side
 * serving libiio's protocol on the bridge's function in protocol=libiio
 * (iub-iiod). No USB host can reach the simulated UDC, so this is how the
 * daemon's zero-copy path runs on a scatter-gather controller: every
 * command is one bulk OUT transfer, every IN request one record.
 *
 *   sim-libiio-host ADC_ID BYTES READBUF
 *	context on pipe 0 (RESET_PIPES, OPEN_PIPE 0, VERSION, PRINT: the XML
 *	names ADC_ID), then on pipe 1: OPEN ADC_ID with every scan channel,
 *	READBUFs of READBUF bytes until BYTES came, each reply parsed
 *	("<n>\n", the mask line, n bytes) and the samples verified across
 *	READBUFs (each 32-bit word the previous plus one: nothing lost or
 *	repeated), CLOSE; then a host that goes away mid-READBUF (CLOSE_PIPE
 *	only) and opens the pipe again: the first reply it reads is its own.
 *
 * Pipe k is the simulated UDC's endpoints ep<k+1>in and ep<k+1>out (the
 * function takes the first free pair). Output: "# ..." and "ok"/"not ok"
 * lines; exit status 0 or 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../sim/iub_sim_stream.h"

#define DBG		"/sys/kernel/debug/iub-sim-udc/"
#define REC_MAX		(1024 * 1024)
#define WAIT_MS		30000

static unsigned char rec[REC_MAX];
static struct iub_sim_stream_check chk;

static int fail(const char *fmt, ...)
{
	va_list ap;

	printf("not ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static int write_str(const char *path, const void *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

static void ep_file(char *path, size_t len, unsigned int pipe, bool in,
		    const char *file)
{
	snprintf(path, len, DBG "ep%u%s/%s", pipe + 1, in ? "in" : "out", file);
}

/* libiio's vendor request: 0 RESET_PIPES, 1 OPEN_PIPE, 2 CLOSE_PIPE */
static void request(unsigned int req, unsigned int pipe)
{
	char v[32];
	int n = snprintf(v, sizeof(v), "%llu\n",
			 0x41ULL << 40 | (unsigned long long)req << 32 |
			 (unsigned long long)pipe << 16);

	if (write_str(DBG "control", v, n))
		fail("vendor request %u pipe %u: %s", req, pipe, strerror(errno));
}

/* One command line, one bulk OUT transfer, as libiio writes it. */
static void command(unsigned int pipe, const char *fmt, ...)
{
	char line[256], path[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	memcpy(line + n, "\r\n", 2);
	ep_file(path, sizeof(path), pipe, false, "inject");
	if (write_str(path, line, n + 2))
		fail("inject on pipe %u: %s", pipe, strerror(errno));
	ep_file(path, sizeof(path), pipe, false, "pause");
	write_str(path, "0\n", 2);	/* the host polls OUT from now on */
}

/* The next IN request the host read on the pipe: its length. */
static int next_record(unsigned int pipe, int wait_ms)
{
	struct timespec ts = { 0, 1000000 };
	char path[128];
	int fd, n, waited;

	ep_file(path, sizeof(path), pipe, true, "capture");
	for (waited = 0; waited < wait_ms; waited++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("open %s: %s", path, strerror(errno));
		n = read(fd, rec, sizeof(rec));
		close(fd);
		if (n >= 0)
			return n;
		if (errno != EAGAIN)
			fail("read %s: %s", path, strerror(errno));
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* A reply line: its own transfer, ending in '\n'. Returns its integer. */
static long reply_int(unsigned int pipe, const char *what)
{
	int n = next_record(pipe, WAIT_MS);

	if (n < 0)
		fail("%s: no reply within %d ms", what, WAIT_MS);
	if (!n || rec[n - 1] != '\n' || memchr(rec, '\n', n) != rec + n - 1)
		fail("%s: reply of %d bytes is not one line", what, n);
	rec[n - 1] = 0;
	return strtol((char *)rec, NULL, 10);
}

/* Drop every record the host read so far (a host that stopped reading). */
static unsigned int drain(unsigned int pipe)
{
	unsigned int n = 0;

	while (next_record(pipe, 200) >= 0)
		n++;
	return n;
}

/* READBUF of @bytes: the chunks, parsed and verified. */
static void readbuf(const char *adc, unsigned long bytes)
{
	unsigned long got = 0;
	bool first = true;
	long n;
	int r;

	command(1, "READBUF %s %lu", adc, bytes);
	while (got < bytes) {
		n = reply_int(1, "READBUF");
		if (n <= 0 || (unsigned long)n > bytes - got)
			fail("READBUF: chunk of %ld bytes (%lu of %lu so far)", n,
			     got, bytes);
		if (first) {
			r = next_record(1, WAIT_MS);
			if (r != 9 || rec[8] != '\n')
				fail("READBUF: mask line of %d bytes", r);
			first = false;
		}
		while (n > 0) {
			r = next_record(1, WAIT_MS);
			if (r <= 0 || r > n)
				fail("READBUF: payload record of %d bytes, %ld expected",
				     r, n);
			iub_sim_stream_check_buf(&chk, rec, r);
			n -= r;
			got += r;
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long bytes, chunk, done;
	char path[128], *xml;
	unsigned int k;
	long len;
	int n;

	if (argc != 4) {
		fprintf(stderr, "usage: sim-libiio-host ADC_ID BYTES READBUF\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	bytes = strtoul(argv[2], NULL, 0);
	chunk = strtoul(argv[3], NULL, 0);
	for (k = 0; k < 2; k++) {
		ep_file(path, sizeof(path), k, true, "capture");
		if (write_str(path, "4294967295\n", 11))
			fail("capture on pipe %u: %s", k, strerror(errno));
	}

	/* the context, as iio_create_context() on usb: makes it */
	request(0, 0);
	request(1, 0);
	command(0, "VERSION");
	n = next_record(0, WAIT_MS);
	if (n < 6 || memcmp(rec, "0.24.", 5) || rec[n - 1] != '\n')
		fail("VERSION: %.*s", n > 0 ? n : 0, rec);
	printf("# version %.*s", n, rec);
	command(0, "PRINT");
	len = reply_int(0, "PRINT");
	if (len <= 0 || len + 1 > REC_MAX)
		fail("PRINT: length %ld", len);
	xml = calloc(1, len + 2);
	for (done = 0; done < (unsigned long)len + 1; done += n) {
		n = next_record(0, WAIT_MS);
		if (n <= 0 || done + n > (unsigned long)len + 1)
			fail("PRINT: %d bytes after %lu of %ld", n, done, len + 1);
		memcpy(xml + done, rec, n);
	}
	if (!strstr(xml, "<context") ||
	    !strstr(xml, argv[1]))
		fail("PRINT: the XML (%ld bytes) does not name %s", len, argv[1]);
	free(xml);
	printf("ok - context: VERSION, PRINT (%ld bytes of XML)\n", len);

	/* a buffer on pipe 1: every channel (the two of the simulated ADC) */
	iub_sim_stream_check_init(&chk);
	request(1, 1);
	command(1, "OPEN %s %lu 00000003", argv[1], chunk / 8);
	if (reply_int(1, "OPEN"))
		fail("OPEN %s: %s", argv[1], rec);
	command(1, "TIMEOUT 5000");
	if (reply_int(1, "TIMEOUT"))
		fail("TIMEOUT: %s", rec);
	for (done = 0; done < bytes; done += chunk)
		readbuf(argv[1], chunk);
	command(1, "CLOSE %s", argv[1]);
	if (reply_int(1, "CLOSE"))
		fail("CLOSE: %s", rec);
	request(2, 1);
	printf("# %llu words, %llu mismatches\n", (unsigned long long)chk.words,
	       (unsigned long long)chk.mismatches);
	if (chk.mismatches || chk.words * 4 != bytes)
		fail("READBUF: %llu mismatches, first at word %llu (0x%08x, 0x%08x expected), %llu of %lu bytes",
		     (unsigned long long)chk.mismatches,
		     (unsigned long long)chk.first_bad, chk.first_got,
		     chk.first_expected, (unsigned long long)chk.words * 4, bytes);
	printf("ok - %lu bytes in READBUFs of %lu through the SG path, verified, no gap\n",
	       bytes, chunk);

	/* the host goes away mid-READBUF (Ctrl-C), then opens again */
	request(1, 1);
	command(1, "OPEN %s %lu 00000003", argv[1], chunk / 8);
	if (reply_int(1, "OPEN"))
		fail("OPEN again: %s", rec);
	command(1, "READBUF %s %lu", argv[1], chunk * 64);
	if (reply_int(1, "READBUF") <= 0)
		fail("READBUF before the Ctrl-C: %s", rec);
	request(2, 1);
	usleep(300000);
	printf("# %u records dropped after the Ctrl-C\n", drain(1));
	request(1, 1);
	command(1, "TIMEOUT 5000");
	if (reply_int(1, "TIMEOUT after the Ctrl-C") != 0)
		fail("after the Ctrl-C, the first reply is not the host's own: %s",
		     rec);
	command(1, "OPEN %s %lu 00000003", argv[1], chunk / 8);
	if (reply_int(1, "OPEN after the Ctrl-C"))
		fail("OPEN after the Ctrl-C: %s", rec);
	iub_sim_stream_check_init(&chk);
	readbuf(argv[1], chunk);
	command(1, "CLOSE %s", argv[1]);
	if (reply_int(1, "CLOSE"))
		fail("CLOSE after the Ctrl-C: %s", rec);
	request(2, 1);
	request(0, 0);
	if (chk.mismatches)
		fail("READBUF after the Ctrl-C: %llu mismatches",
		     (unsigned long long)chk.mismatches);
	printf("ok - a host that went away mid-READBUF, then the pipe again: its own replies, verified\n");
	return 0;
}
