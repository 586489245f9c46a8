// SPDX-License-Identifier: GPL-2.0
/*
 * iub-usb-recv: command line, stream verifier and generator glue, and the
 * final report. Nothing here touches libusb; test_recv_core.c tests it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recv_core.h"

#ifndef IUB_VERSION
#define IUB_VERSION "unknown"
#endif

void iub_recv_usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [OPTION]...\n"
"Receive the simulated board's sample stream from a bulk IN endpoint of the\n"
"iio-usb-bridge USB gadget function and verify it, or send the stream to a\n"
"bulk OUT endpoint (--send); report the throughput.\n"
"\n"
"Device and interface (default: the first interface of class 0xff whose\n"
"iInterface string is \"" IUB_RECV_DEFAULT_NAME "\"):\n"
"  --vid VID          only devices with this idVendor (hex)\n"
"  --pid PID          only devices with this idProduct (hex)\n"
"  --device PATH      open this usbfs node (/dev/bus/usb/BBB/DDD) directly,\n"
"                     without scanning the buses (no udev, containers)\n"
"  --interface N      only the interface with bInterfaceNumber N\n"
"  --name STRING      the iInterface string to look for\n"
"  --any-bulk         take the first interface with a bulk endpoint of the\n"
"                     direction, whatever its class and string\n"
"  --in-ep N          receive from the Nth bulk IN endpoint of the interface,\n"
"                     in descriptor order (default 0)\n"
"  --out-ep N         send to the Nth bulk OUT endpoint (default 0)\n"
"  --endpoints K      use K endpoints, from --in-ep or --out-ep on, each with\n"
"                     its own stream, --bytes and report line (default 1,\n"
"                     at most %u)\n"
"\n"
"Transfers:\n"
"  --send             send generated stream words instead of receiving\n"
"  --queue K          transfers kept in flight (default 8, at most %u)\n"
"  --size S           bytes per transfer (default 1M, at most 256M); rounded\n"
"                     up to a multiple of wMaxPacketSize when receiving\n"
"  --bytes N          stop once N bytes have moved (default: no limit)\n"
"  --seconds T        stop after T seconds; with --bytes, a time limit\n"
"  --no-verify        receive without checking the data\n"
"  --seed X           value of the first word sent, decimal or 0x hex\n"
"                     (default 0)\n"
"  --zlp              end each OUT transfer that is a multiple of\n"
"                     wMaxPacketSize with a zero-length packet\n"
"  --zero-copy        use buffers mapped from usbfs (libusb_dev_mem_alloc),\n"
"                     falling back to ordinary memory\n"
"  --output FILE      receive: also write the bytes received to FILE\n"
"                     (- for stdout; the final line then goes to stderr);\n"
"                     --no-verify for data that is not the stream\n"
"  --input FILE       send the bytes of FILE (- for stdin) instead of the\n"
"                     generated stream, up to its end or --bytes (implies\n"
"                     --send)\n"
"  --wait T           wait up to T seconds for the device to appear\n"
"Sizes: decimal or 0x hex, with K, M, G or T (powers of 1024), alone or with\n"
"iB or B: 4096, 4K, 64MiB, 0x4000000. The stream is that of\n"
"sim/iub_sim_stream.h: little-endian 32-bit words counting up by one; the\n"
"verifier synchronizes on the first word, then checks every further one.\n"
"\n"
"Output:\n"
"  -q, --quiet        no device line and no progress line on stderr (the\n"
"                     progress line is shown only on a terminal)\n"
"      --progress     the progress line also when stderr is not a terminal,\n"
"                     a line each second\n"
"      --json         the final report as one JSON object on stdout\n"
"                     (stderr with --output -)\n"
"  -v, --verbose      list the devices and interfaces looked at\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n"
"The final line on stdout reads\n"
"  received N bytes in T s: X MiB/s, verified: yes (0 mismatches)\n"
"  (or: verified: no (M mismatches), verified: off), or\n"
"  sent N bytes in T s: X MiB/s\n"
"\n"
"Exit status:\n"
"  0  done: --bytes reached (or, without --bytes, --seconds, SIGINT/SIGTERM,\n"
"     or the end of --input)\n"
"  1  the received data did not match the stream (takes precedence over 4)\n"
"  2  bad command line, or --output or --input cannot be opened\n"
"  3  no matching device or interface, or it cannot be opened or claimed\n"
"  4  transfer error, or the device disconnected, or the run ended\n"
"     (--seconds, SIGINT/SIGTERM, the end of --input) before --bytes was\n"
"     reached, or writing --output or reading --input failed\n",
		prog, IUB_RECV_MAX_ENDPOINTS, IUB_RECV_MAX_QUEUE);
}

static int usage_error(FILE *err, const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fprintf(err, "\nTry '%s --help' for more information.\n", prog);
	return IUB_RECV_PARSE_USAGE;
}

/* An unsigned number in @base, all of @s, at most @max. */
static int parse_uint(const char *s, int base, uint64_t max, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || end == s || v > max)
		return -EINVAL;
	*val = v;
	return 0;
}

enum {
	OPT_VID = 256, OPT_PID, OPT_DEVICE, OPT_INTERFACE, OPT_NAME,
	OPT_ANY_BULK, OPT_IN_EP, OPT_OUT_EP, OPT_SEND, OPT_QUEUE, OPT_SIZE,
	OPT_BYTES, OPT_SECONDS, OPT_NO_VERIFY, OPT_SEED, OPT_ZLP,
	OPT_ZERO_COPY, OPT_JSON, OPT_OUTPUT, OPT_INPUT, OPT_WAIT,
	OPT_ENDPOINTS, OPT_PROGRESS,
};

static const struct option long_opts[] = {
	{ "vid", required_argument, NULL, OPT_VID },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "interface", required_argument, NULL, OPT_INTERFACE },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "any-bulk", no_argument, NULL, OPT_ANY_BULK },
	{ "in-ep", required_argument, NULL, OPT_IN_EP },
	{ "out-ep", required_argument, NULL, OPT_OUT_EP },
	{ "send", no_argument, NULL, OPT_SEND },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "bytes", required_argument, NULL, OPT_BYTES },
	{ "seconds", required_argument, NULL, OPT_SECONDS },
	{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "zlp", no_argument, NULL, OPT_ZLP },
	{ "zero-copy", no_argument, NULL, OPT_ZERO_COPY },
	{ "quiet", no_argument, NULL, 'q' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "endpoints", required_argument, NULL, OPT_ENDPOINTS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/**
 * iub_recv_parse_args() - parse the command line
 * @o: filled with the defaults, then the options
 * @argc: argument count
 * @argv: arguments; argv[0] names the program in messages
 * @out: where --help and --version go
 * @err: where usage errors go
 *
 * Return: IUB_RECV_PARSE_OK to run, IUB_RECV_PARSE_DONE after --help or
 * --version, IUB_RECV_PARSE_USAGE after a message on @err.
 */
int iub_recv_parse_args(struct iub_recv_opts *o, int argc, char **argv,
			FILE *out, FILE *err)
{
	const char *prog = argc > 0 && argv[0] ? argv[0] : "iub-usb-recv";
	bool in_ep = false, out_ep = false, seed = false, no_verify = false;
	bool zlp = false, name = false;
	const char *slash = strrchr(prog, '/');
	uint64_t v;
	char *end;
	int c;

	if (slash)
		prog = slash + 1;
	*o = (struct iub_recv_opts) {
		.mode = IUB_RECV_RECEIVE,
		.vid = -1,
		.pid = -1,
		.interface = -1,
		.name = IUB_RECV_DEFAULT_NAME,
		.queue = 8,
		.endpoints = 1,
		.size = 1u << 20,
		.verify = true,
	};

	opterr = 0;
	optind = 0;	/* glibc: start over (the unit test parses many times) */
	while ((c = getopt_long(argc, argv, ":qvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_VID:
		case OPT_PID:
			if (parse_uint(optarg, 16, 0xffff, &v))
				return usage_error(err, prog,
					"--%s wants a 16-bit hexadecimal number, not '%s'",
					c == OPT_VID ? "vid" : "pid", optarg);
			if (c == OPT_VID)
				o->vid = (int)v;
			else
				o->pid = (int)v;
			break;
		case OPT_DEVICE:
			if (!*optarg)
				return usage_error(err, prog, "--device wants a path");
			o->device = optarg;
			break;
		case OPT_INTERFACE:
			if (parse_uint(optarg, 10, 255, &v))
				return usage_error(err, prog,
					"--interface wants a number 0..255, not '%s'", optarg);
			o->interface = (int)v;
			break;
		case OPT_NAME:
			o->name = optarg;
			name = true;
			break;
		case OPT_ANY_BULK:
			o->any_bulk = true;
			break;
		case OPT_IN_EP:
		case OPT_OUT_EP:
			if (parse_uint(optarg, 10, 30, &v))
				return usage_error(err, prog,
					"--%s wants an endpoint index 0..30, not '%s'",
					c == OPT_IN_EP ? "in-ep" : "out-ep", optarg);
			o->ep_index = (unsigned int)v;
			if (c == OPT_IN_EP)
				in_ep = true;
			else
				out_ep = true;
			break;
		case OPT_SEND:
			o->mode = IUB_RECV_SEND;
			break;
		case OPT_QUEUE:
		case OPT_ENDPOINTS: {
			bool q = c == OPT_QUEUE;
			unsigned int max = q ? IUB_RECV_MAX_QUEUE :
					       IUB_RECV_MAX_ENDPOINTS;

			if (parse_uint(optarg, 10, max, &v) || !v)
				return usage_error(err, prog,
					"--%s wants a number 1..%u, not '%s'",
					q ? "queue" : "endpoints", max, optarg);
			*(q ? &o->queue : &o->endpoints) = (unsigned int)v;
			break;
		}
		case OPT_SIZE:
			if (iub_parse_size(optarg, &v) || !v ||
			    v > IUB_RECV_MAX_SIZE)
				return usage_error(err, prog,
					"--size wants a size from 1 to 256M, not '%s'", optarg);
			o->size = (size_t)v;
			break;
		case OPT_BYTES:
			if (iub_parse_size(optarg, &v) || !v)
				return usage_error(err, prog,
					"--bytes wants a size of at least 1, not '%s'", optarg);
			o->bytes = v;
			break;
		case OPT_SECONDS:
		case OPT_WAIT: {
			double *d = c == OPT_WAIT ? &o->wait : &o->seconds;

			errno = 0;
			*d = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(*d) ||
			    *d <= 0 || *d > 1e7)
				return usage_error(err, prog,
					"--%s wants a positive number, not '%s'",
					c == OPT_WAIT ? "wait" : "seconds", optarg);
			break;
		}
		case OPT_OUTPUT:
		case OPT_INPUT:
			if (!*optarg)
				return usage_error(err, prog, "--%s wants a file or -",
						   c == OPT_INPUT ? "input" : "output");
			if (c == OPT_INPUT) {
				o->input = optarg;
				o->mode = IUB_RECV_SEND;
			} else {
				o->output = optarg;
			}
			break;
		case OPT_NO_VERIFY:
			o->verify = false;
			no_verify = true;
			break;
		case OPT_SEED:
			if (!strncasecmp(optarg, "0x", 2) ?
			    parse_uint(optarg + 2, 16, UINT32_MAX, &v) :
			    parse_uint(optarg, 10, UINT32_MAX, &v))
				return usage_error(err, prog,
					"--seed wants a 32-bit number, not '%s'", optarg);
			o->seed = (uint32_t)v;
			seed = true;
			break;
		case OPT_ZLP:
			o->zlp = true;
			zlp = true;
			break;
		case OPT_ZERO_COPY:
			o->zero_copy = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_PROGRESS:
			o->progress = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			iub_recv_usage(out, prog);
			return IUB_RECV_PARSE_DONE;
		case 'V':
			fprintf(out, "iub-usb-recv (iio-usb-bridge) %s\n", IUB_VERSION);
			return IUB_RECV_PARSE_DONE;
		case ':':
			return usage_error(err, prog, "option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error(err, prog, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(err, prog, "unexpected argument '%s'",
				   argv[optind]);

	if (o->mode == IUB_RECV_SEND) {
		if (in_ep)
			return usage_error(err, prog, "--in-ep is for receiving; with --send, use --out-ep");
		if (no_verify)
			return usage_error(err, prog, "--no-verify is for receiving, not --send");
		if (o->output)
			return usage_error(err, prog, "--output is for receiving; with --send, --input");
		if (o->input && seed)
			return usage_error(err, prog, "--seed is for the generated stream, not --input");
	} else {
		if (out_ep)
			return usage_error(err, prog, "--out-ep is for --send; to receive, use --in-ep");
		if (seed)
			return usage_error(err, prog, "--seed is for --send (the verifier synchronizes on the first word)");
		if (zlp)
			return usage_error(err, prog, "--zlp is for --send");
	}
	if (o->endpoints > 1 && (o->output || o->input))
		return usage_error(err, prog, "--output and --input take one endpoint, not --endpoints %u",
				   o->endpoints);
	if (in_ep && out_ep)
		return usage_error(err, prog, "--in-ep and --out-ep together");
	if (name && o->any_bulk)
		return usage_error(err, prog, "--name and --any-bulk together");
	if (o->quiet && o->progress)
		return usage_error(err, prog, "--quiet and --progress together");
	if (name && !*o->name)
		return usage_error(err, prog, "--name wants a non-empty string");
	return IUB_RECV_PARSE_OK;
}

/* Verifier and generator ---------------------------------------------------- */

void iub_recv_verifier_init(struct iub_recv_verifier *v)
{
	iub_sim_stream_check_init(&v->check);
	v->npart = 0;
	v->bytes = 0;
}

/**
 * iub_recv_verify() - check the next chunk of the stream
 * @v: verifier
 * @buf: the data, continuing the previous chunk
 * @len: its length in bytes (any)
 *
 * Return: mismatching words completed by this chunk.
 */
uint64_t iub_recv_verify(struct iub_recv_verifier *v, const void *buf,
			 size_t len)
{
	const unsigned char *p = buf;
	uint64_t bad = 0;
	size_t n;

	v->bytes += len;
	if (v->npart) {
		n = IUB_SIM_STREAM_WORD_SIZE - v->npart;
		if (n > len)
			n = len;
		memcpy(v->part + v->npart, p, n);
		v->npart += n;
		p += n;
		len -= n;
		if (v->npart < IUB_SIM_STREAM_WORD_SIZE)
			return 0;
		bad += iub_sim_stream_check_buf(&v->check, v->part,
						IUB_SIM_STREAM_WORD_SIZE);
		v->npart = 0;
	}
	n = len - len % IUB_SIM_STREAM_WORD_SIZE;
	bad += iub_sim_stream_check_buf(&v->check, p, n);
	v->npart = len - n;
	memcpy(v->part, p + n, v->npart);
	return bad;
}

void iub_recv_generator_init(struct iub_recv_generator *g, uint32_t seed)
{
	g->next = seed;
	g->phase = 0;
	g->bytes = 0;
}

/**
 * iub_recv_generate() - write the next chunk of the stream
 * @g: generator
 * @buf: destination
 * @len: bytes to write (any); the next call continues mid-word if needed
 */
void iub_recv_generate(struct iub_recv_generator *g, void *buf, size_t len)
{
	unsigned char word[IUB_SIM_STREAM_WORD_SIZE];
	unsigned char *p = buf;
	size_t words;

	g->bytes += len;
	if (g->phase) {
		iub_sim_stream_put_le32(word, g->next);
		while (len && g->phase < IUB_SIM_STREAM_WORD_SIZE) {
			*p++ = word[g->phase++];
			len--;
		}
		if (g->phase < IUB_SIM_STREAM_WORD_SIZE)
			return;
		g->phase = 0;
		g->next++;
	}
	words = len / IUB_SIM_STREAM_WORD_SIZE;
	g->next = iub_sim_stream_fill(p, words, g->next);
	p += words * IUB_SIM_STREAM_WORD_SIZE;
	len -= words * IUB_SIM_STREAM_WORD_SIZE;
	if (len) {
		iub_sim_stream_put_le32(word, g->next);
		memcpy(p, word, len);
		g->phase = len;
	}
}

/* The report ------------------------------------------------------------------ */

void iub_recv_result_from_verifier(struct iub_recv_result *r,
				   const struct iub_recv_verifier *v)
{
	r->mismatches = v->check.mismatches;
	r->first_bad = v->check.first_bad * IUB_SIM_STREAM_WORD_SIZE;
	r->first_expected = v->check.first_expected;
	r->first_got = v->check.first_got;
}

/**
 * iub_recv_exit_code() - the exit status a result calls for
 * @r: the result
 *
 * Return: IUB_RECV_EXIT_VERIFY if data mismatched (whatever else happened),
 * else IUB_RECV_EXIT_XFER on a transfer error, a disconnect, or fewer bytes
 * than --bytes asked for, else IUB_RECV_EXIT_OK.
 */
int iub_recv_exit_code(const struct iub_recv_result *r)
{
	if (r->mode == IUB_RECV_RECEIVE && r->verify && r->mismatches)
		return IUB_RECV_EXIT_VERIFY;
	if (r->status != IUB_RECV_DONE)
		return IUB_RECV_EXIT_XFER;
	if (r->target && r->bytes < r->target)
		return IUB_RECV_EXIT_XFER;
	return IUB_RECV_EXIT_OK;
}

double iub_recv_mib_per_s(uint64_t bytes, double seconds)
{
	if (seconds <= 0)
		return 0;
	return (double)bytes / seconds / (1024.0 * 1024.0);
}

static const char *status_name(const struct iub_recv_result *r)
{
	switch (r->status) {
	case IUB_RECV_DISCONNECTED:
		return "disconnected";
	case IUB_RECV_ERROR:
		return "error";
	case IUB_RECV_DONE:
		break;
	}
	return r->target && r->bytes < r->target ? "incomplete" : "done";
}

/**
 * iub_recv_format_line() - the final line, without a newline
 * @r: the result
 * @buf: destination
 * @size: its size
 *
 * Return: what snprintf() returns.
 */
int iub_recv_format_line(const struct iub_recv_result *r, char *buf,
			 size_t size)
{
	double mibs = iub_recv_mib_per_s(r->bytes, r->seconds);

	if (r->mode == IUB_RECV_SEND)
		return snprintf(buf, size, "sent %" PRIu64 " bytes in %.2f s: %.1f MiB/s",
				r->bytes, r->seconds, mibs);
	if (!r->verify)
		return snprintf(buf, size,
				"received %" PRIu64 " bytes in %.2f s: %.1f MiB/s, verified: off",
				r->bytes, r->seconds, mibs);
	return snprintf(buf, size,
			"received %" PRIu64 " bytes in %.2f s: %.1f MiB/s, verified: %s (%" PRIu64 " mismatches)",
			r->bytes, r->seconds, mibs, r->mismatches ? "no" : "yes",
			r->mismatches);
}

struct sbuf {
	char *buf;
	size_t size;
	size_t len;	/* as if unbounded, like snprintf */
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->len < sb->size ? sb->size - sb->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += (size_t)n;
}

static void sb_json_string(struct sbuf *sb, const char *s)
{
	if (!s) {
		sb_printf(sb, "null");
		return;
	}
	sb_printf(sb, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			sb_printf(sb, "\\%c", ch);
		else if (ch < 0x20)
			sb_printf(sb, "\\u%04x", ch);
		else
			sb_printf(sb, "%c", ch);
	}
	sb_printf(sb, "\"");
}

/**
 * iub_recv_format_json() - the final report as one JSON object, no newline
 * @r: the result
 * @buf: destination
 * @size: its size
 *
 * Return: the length the object needs (as snprintf()).
 */
int iub_recv_format_json(const struct iub_recv_result *r, char *buf,
			 size_t size)
{
	struct sbuf sb = { .buf = buf, .size = size };
	bool receive = r->mode == IUB_RECV_RECEIVE;

	if (size)
		buf[0] = '\0';
	sb_printf(&sb, "{\"mode\":\"%s\",\"status\":\"%s\",\"exit_code\":%d,\"error\":",
		  receive ? "receive" : "send", status_name(r),
		  iub_recv_exit_code(r));
	sb_json_string(&sb, r->error);
	sb_printf(&sb, ",\"bytes\":%" PRIu64 ",\"target_bytes\":", r->bytes);
	if (r->target)
		sb_printf(&sb, "%" PRIu64, r->target);
	else
		sb_printf(&sb, "null");
	sb_printf(&sb, ",\"seconds\":%.3f,\"mib_per_s\":%.1f", r->seconds,
		  iub_recv_mib_per_s(r->bytes, r->seconds));
	sb_printf(&sb, ",\"transfers\":%" PRIu64 ",\"short_transfers\":%" PRIu64,
		  r->transfers, r->short_transfers);
	if (receive && r->verify) {
		sb_printf(&sb, ",\"verified\":%s,\"mismatches\":%" PRIu64 ",\"first_mismatch\":",
			  r->mismatches ? "false" : "true", r->mismatches);
		if (r->mismatches)
			sb_printf(&sb, "{\"offset\":%" PRIu64 ",\"expected\":%" PRIu32 ",\"got\":%" PRIu32 "}",
				  r->first_bad, r->first_expected, r->first_got);
		else
			sb_printf(&sb, "null");
	} else {
		sb_printf(&sb, ",\"verified\":null,\"mismatches\":null,\"first_mismatch\":null");
	}
	sb_printf(&sb, ",\"device\":{\"bus\":%u,\"address\":%u,\"vid\":\"%04x\",\"pid\":\"%04x\",\"speed\":",
		  r->bus, r->address, r->vid, r->pid);
	sb_json_string(&sb, r->speed);
	sb_printf(&sb, "},\"interface\":%u,\"endpoint\":\"0x%02x\",\"max_packet\":%u,\"queue\":%u,\"size\":%zu}",
		  r->interface, r->endpoint, r->max_packet, r->queue, r->size);
	return (int)sb.len;
}
