// SPDX-License-Identifier: GPL-2.0
/*
 * iub - command-line tool for /dev/iio-usb-bridge.
 *
 *   iub features [--json]              what the module offers
 *   iub ports [--json]                 the ports, their flags and counters
 *   iub stream FROM TO [options]       stream through the bridge
 *   iub help [COMMAND]                 the help of iub or of a command
 *
 * Every command takes --help and --version. The commands, their synopses
 * and their help texts are one table, cmds[], which main(), usage() and
 * every command's option parsing use.
 *
 * iub stream moves data three ways:
 *   route    port to port: one IUB_IOC_STREAM over all buffers, which the
 *            kernel fills through FROM, empties through TO and fills again,
 *            until the byte count or a cancel; or (-V, --recycle, or a
 *            module without streams) one IUB_IOC_ROUTE per buffer, and
 *            userspace recycles buffers (reap a CQE, resubmit);
 *   capture  port to a file or -: IUB_IOC_TRANSFER fills a buffer, which is
 *            then written out (that part copies);
 *   play     a file or - to a port: the file is read into a buffer, which
 *            IUB_IOC_TRANSFER then empties; once, or with --cyclic one
 *            buffer repeated by the port until iub is stopped.
 *
 * Documentation/iub.rst is the manual (and iub(1)), with the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>

#include <iio_usb_bridge_uring.h>
#include "../../sim/iub_sim_stream.h"
#include "iub_dmabuf.h"
#include "iub_io.h"
#include "iub_size.h"

#ifndef IUB_VERSION
#define IUB_VERSION "unknown"
#endif

/* Exit status, Documentation/iub.rst "EXIT STATUS" */
#define EXIT_FAIL	1	/* a transfer, a route or a system call failed */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_NODEV	3	/* no device, no such port, port not available */
#define EXIT_VERIFY	4	/* -V: the data was not the expected stream */

#define MAX_BUFS	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_PORTS	IUB_PORTS_QUERY_MAX

/* getopt values of the long options every command has */
#define OPT_HELP	'h'
#define OPT_VERSION	0x100
#define OPT_JSON	0x101

static int cmd_features(int argc, char **argv);
static int cmd_ports(int argc, char **argv);
static int cmd_stream(int argc, char **argv);
static int cmd_help(int argc, char **argv);

/**
 * struct cmd - one command of iub
 * @name: the word after "iub"
 * @run: its main; argv[0] is @name
 * @synopsis: what follows "iub NAME" in the usage
 * @summary: one line for "iub --help"
 * @help: the rest of "iub NAME --help": description and options
 */
struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
	const char *summary;
	const char *help;
};

static const struct cmd cmds[] = {
	{ "features", cmd_features, "[--json]",
	  "what the loaded module offers",
	  "Print the module's struct iub_features, one field per line.\n"
	  "\n"
	  "      --json         one JSON object instead\n"
	  "  -h, --help         this text\n"
	  "      --version      the version of iub\n" },
	{ "ports", cmd_ports, "[--json]",
	  "the ports, their flags and counters",
	  "List the ports of the bridge: id, name, kind, whether the port fills\n"
	  "buffers (capture, bulk OUT) or drains them (playback, bulk IN), flags,\n"
	  "and its counters of bytes, transfers, errors and gaps (a converter\n"
	  "port's idle time inside a stream, when an ADC that does not wait\n"
	  "loses samples).\n"
	  "\n"
	  "      --json         one JSON array of objects instead of the table\n"
	  "  -h, --help         this text\n"
	  "      --version      the version of iub\n" },
	{ "stream", cmd_stream, "[OPTION]... FROM TO",
	  "stream between ports, files and standard input or output",
	  "Stream through the bridge. FROM and TO are port names (iub ports lists\n"
	  "them; a name with a ':' that does not start with '/' or '.'), files,\n"
	  "or - (standard input as FROM, standard output as TO); at least one\n"
	  "of them is a port.\n"
	  "  port to port    one IUB_IOC_STREAM: the kernel fills each buffer,\n"
	  "                  empties it and fills it again; with --recycle or\n"
	  "                  -V, one IUB_IOC_ROUTE per buffer, resubmitted\n"
	  "  port to file    capture: each buffer is filled, then written out\n"
	  "  file to port    playback: each buffer is read from the file, then\n"
	  "                  sent, once; --cyclic: the whole file in one buffer,\n"
	  "                  repeated by the port until iub is stopped\n"
	  "\n"
	  "  -b, --buffer-size SIZE  bytes per DMABUF (default 1MiB)\n"
	  "  -n, --buffers N         buffers in flight, 1 to 64 (default 8)\n"
	  "  -B, --bytes SIZE        stop after SIZE bytes (default: until the\n"
	  "                          end of the file, or until interrupted)\n"
	  "  -t, --seconds T         stop after T seconds\n"
	  "  -c, --cyclic            playback: repeat the file until stopped\n"
	  "  -H, --heap              DMABUFs from /dev/dma_heap/system (default\n"
	  "                          /dev/udmabuf)\n"
	  "  -z, --zlp               a zero-length packet after each transfer to\n"
	  "                          a USB bulk IN port\n"
	  "  -V, --verify            check the simulated board's stream format\n"
	  "  -r, --recycle           port to port: a route per buffer, recycled\n"
	  "                          by iub, instead of one in-kernel stream\n"
	  "  -q, --quiet             no progress line (it is shown only when\n"
	  "                          standard error is a terminal)\n"
	  "  -h, --help              this text\n"
	  "      --version           the version of iub\n"
	  "\n"
	  "SIZE: decimal or 0x hex, with K, M, G or T (powers of 1024), alone or\n"
	  "with iB or B: 4096, 4K, 64MiB, 0x4000000.\n" },
	{ "help", cmd_help, "[COMMAND]",
	  "this text, or the help of COMMAND",
	  "Print the help of iub, or of COMMAND (the same as iub COMMAND --help).\n" },
};

#define NR_CMDS	ARRAY_SIZE(cmds)

static const struct cmd *find_cmd(const char *name)
{
	for (unsigned int i = 0; i < NR_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: iub COMMAND [OPTION]... [ARG]...\n"
		"       iub --help | --version\n"
		"Lists what /dev/iio-usb-bridge offers and streams through it.\n\n"
		"Commands:\n");
	for (unsigned int i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'iub COMMAND --help' describes a command; man iub, or\n"
		"Documentation/iub.rst, describes them all and the exit status.\n");
}

static void cmd_usage(FILE *f, const struct cmd *c, bool full)
{
	fprintf(f, "Usage: iub %s %s\n", c->name, c->synopsis);
	if (full)
		fprintf(f, "%s", c->help);
	else
		fprintf(f, "Try 'iub %s --help'.\n", c->name);
}

static void version(void)
{
	printf("iub (iio-usb-bridge) %s\n", IUB_VERSION);
}

/*
 * The options every command has. Return: -1 for another option, else the
 * exit status (--help and --version: 0; a bad option, which getopt_long
 * has reported: 2).
 */
static int common_opt(int opt, const struct cmd *c)
{
	switch (opt) {
	case OPT_HELP:
		cmd_usage(stdout, c, true);
		return 0;
	case OPT_VERSION:
		version();
		return 0;
	case '?':
	case ':':
		cmd_usage(stderr, c, false);
		return EXIT_USAGE;
	}
	return -1;
}

/* Exit with a usage error of @c. */
static int usage_error(const struct cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iub %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	cmd_usage(stderr, c, false);
	return EXIT_USAGE;
}

/* --json and the common options: the whole command line of features/ports */
static int parse_json_only(int argc, char **argv, const struct cmd *c,
			   bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ }
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == OPT_JSON) {
			*json = true;
			continue;
		}
		ret = common_opt(opt, c);
		return ret < 0 ? EXIT_USAGE : ret;
	}
	if (optind != argc)
		return usage_error(c, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_bridge(void)
{
	int fd = open(IUB_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "iub: %s: %s%s\n", IUB_DEVICE_PATH, strerror(errno),
			errno == ENOENT ? " (is iio_usb_bridge.ko loaded?)" :
			errno == EACCES ? " (root, or a group the udev rule grants)" : "");
		exit(EXIT_NODEV);
	}
	return fd;
}

static int get_ports(int fd, struct iub_port_info *p, int max)
{
	struct iub_query q = { .data = (__u64)(uintptr_t)p,
			       .size = max * sizeof(*p) };
	int n = ioctl(fd, IUB_IOC_GET_PORTS, &q);

	if (n < 0) {
		fprintf(stderr, "iub: GET_PORTS: %s\n", strerror(errno));
		exit(EXIT_FAIL);
	}
	return n < max ? n : max;
}

static void get_features(int fd, struct iub_features *f)
{
	struct iub_query q = { .data = (__u64)(uintptr_t)f, .size = sizeof(*f) };

	if (ioctl(fd, IUB_IOC_GET_FEATURES, &q) < 0) {
		fprintf(stderr, "iub: GET_FEATURES: %s\n", strerror(errno));
		exit(EXIT_FAIL);
	}
}

/* @s as a JSON string, quotes included */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/*
 * The names of the bits of @v that @names has, into @s: separated by ","
 * or, @json, as a JSON array of strings; bits without a name as bitN.
 */
static void bits_str(uint64_t v, const char * const *names, unsigned int n,
		     bool json, char *s, size_t size)
{
	size_t len = 0;

	len += snprintf(s, size, "%s", json ? "[" : "");
	for (unsigned int bit = 0; bit < 64 && len < size; bit++) {
		const char *sep = len > (json ? 1 : 0) ? "," : "";
		const char *q = json ? "\"" : "";

		if (!(v & (1ULL << bit)))
			continue;
		if (bit < n)
			len += snprintf(s + len, size - len, "%s%s%s%s", sep, q,
					names[bit], q);
		else
			len += snprintf(s + len, size - len, "%s%sbit%u%s", sep,
					q, bit, q);
	}
	if (json && len < size)
		snprintf(s + len, size - len, "]");
}

#define BITS_LEN	(64 * 24)

/* by bit number: IUB_FEAT_* */
static const char * const feature_names[] = {
	"uring_cmd", "nop", "dmabuf", "converter_ports", "transfer", "cyclic",
	"implicit_sync", "usb_ports", "route",
};

/* by bit number: IUB_PORT_F_* */
static const char * const port_flag_names[] = {
	"claimed", "busy", "absent", "dma_vec", "slave_sg", "cyclic",
	"usb_sg", "usb_cpu", "online",
};

static int cmd_features(int argc, char **argv)
{
	const struct cmd *c = find_cmd("features");
	struct iub_features f;
	char bits[BITS_LEN];
	bool json = false;
	int fd, ret;

	ret = parse_json_only(argc, argv, c, &json);
	if (ret >= 0)
		return ret;
	fd = open_bridge();
	get_features(fd, &f);
	close(fd);
	bits_str(f.features, feature_names, ARRAY_SIZE(feature_names), json,
		 bits, sizeof(bits));
	if (json) {
		printf("{\"uapi_version\":%u,\"features\":%s,\"max_inflight\":%u,\"max_buffers\":%u,\"ports\":%u}\n",
		       f.uapi_version, bits, f.max_inflight, f.max_buffers,
		       f.nr_ports);
		return 0;
	}
	/* space-separated, as the first versions of iub printed them */
	for (char *sp = strchr(bits, ','); sp; sp = strchr(sp, ','))
		*sp = ' ';
	printf("uapi_version %u\nfeatures %s\nmax_inflight %u\nmax_buffers %u\nports %u\n",
	       f.uapi_version, bits, f.max_inflight, f.max_buffers, f.nr_ports);
	return 0;
}

/* "fills" buffers: capture, bulk OUT; "drains" them: playback, bulk IN */
static const char *port_buffers(const struct iub_port_info *p)
{
	if (p->flags & IUB_PORT_F_ABSENT)
		return "-";
	return p->direction == IUB_DIR_TO_MEM ? "fills" : "drains";
}

static const char *port_kind(const struct iub_port_info *p)
{
	return p->kind == IUB_PORT_USB ? "usb" : "converter";
}

static void port_json(const struct iub_port_info *p)
{
	char flags[BITS_LEN];

	bits_str(p->flags, port_flag_names, ARRAY_SIZE(port_flag_names), true,
		 flags, sizeof(flags));
	printf("{\"id\":%u,\"name\":", p->id);
	json_str(p->name);
	printf(",\"kind\":\"%s\",\"buffers\":\"%s\",\"flags\":%s",
	       port_kind(p), port_buffers(p), flags);
	printf(",\"align\":%u,\"max_transfer\":%u,\"bytes\":%" PRIu64
	       ",\"transfers\":%" PRIu64 ",\"errors\":%" PRIu64
	       ",\"gaps\":%" PRIu64 ",\"gap_ns\":%" PRIu64 "}",
	       p->align, p->max_transfer, (uint64_t)p->bytes,
	       (uint64_t)p->transfers, (uint64_t)p->errors,
	       (uint64_t)p->gaps, (uint64_t)p->gap_ns);
}

static int cmd_ports(int argc, char **argv)
{
	const struct cmd *c = find_cmd("ports");
	struct iub_port_info p[MAX_PORTS];
	char fl[BITS_LEN];
	bool json = false;
	int fd, n, ret;

	ret = parse_json_only(argc, argv, c, &json);
	if (ret >= 0)
		return ret;
	fd = open_bridge();
	n = get_ports(fd, p, MAX_PORTS);
	close(fd);
	if (json) {
		printf("[");
		for (int i = 0; i < n; i++) {
			printf("%s\n  ", i ? "," : "");
			port_json(&p[i]);
		}
		printf("\n]\n");
		return 0;
	}
	printf("%-4s %-26s %-10s %-7s %-34s %14s %10s %6s %6s %8s\n", "id",
	       "name", "kind", "buffers", "flags", "bytes", "transfers",
	       "errors", "gaps", "gap_ms");
	for (int i = 0; i < n; i++) {
		bits_str(p[i].flags, port_flag_names,
			 ARRAY_SIZE(port_flag_names), false, fl, sizeof(fl));
		printf("%-4u %-26s %-10s %-7s %-34s", p[i].id, p[i].name,
		       port_kind(&p[i]), port_buffers(&p[i]), fl);
		printf(" %14" PRIu64 " %10" PRIu64 " %6" PRIu64 " %6" PRIu64
		       " %8" PRIu64 "\n",
		       (uint64_t)p[i].bytes, (uint64_t)p[i].transfers,
		       (uint64_t)p[i].errors, (uint64_t)p[i].gaps,
		       (uint64_t)(p[i].gap_ns / 1000000));
	}
	return 0;
}

/* stream ---------------------------------------------------------------- */

enum stream_mode {
	MODE_ROUTE,	/* port to port */
	MODE_CAPTURE,	/* port to a file or - */
	MODE_PLAY,	/* a file or - to a port */
};

/**
 * struct end - FROM or TO of iub stream
 * @name: as given on the command line
 * @port: the port's id, or -1 for a file or -
 * @info: the port, as IUB_IOC_GET_PORTS listed it
 * @fd: the file (standard input or output for -), or -1 for a port
 */
struct end {
	const char *name;
	int port;
	struct iub_port_info info;
	int fd;
};

/**
 * struct buf - one DMABUF of iub stream
 * @fd: the DMABUF
 * @map: its CPU mapping, or NULL (a route without -V)
 * @handle: its handle on the bridge
 * @len: bytes of the route or transfer in flight on it
 * @fed: playback: bytes of the file in it (@len less the padding)
 */
struct buf {
	int fd;
	void *map;
	int handle;
	unsigned long long len;
	size_t fed;
};

/**
 * struct stream_opts - the options of iub stream
 * @size: bytes per DMABUF
 * @total: stop after this many bytes; 0: no limit
 * @seconds: stop after this long; 0: no limit
 * @nbufs: buffers in flight
 * @cyclic: playback of one buffer, repeated
 * @heap: DMABUFs from the system dma-heap
 * @zlp: zero-length packets toward a USB bulk IN port
 * @verify: check the stream format
 * @recycle: port to port: routes recycled by iub, not IUB_IOC_STREAM
 * @quiet: no progress line
 */
struct stream_opts {
	uint64_t size;
	uint64_t total;
	double seconds;
	unsigned int nbufs;
	bool cyclic;
	bool heap;
	bool zlp;
	bool verify;
	bool recycle;
	bool quiet;
};

/* A port name: has a ':', and does not start like a path. */
static bool is_port_name(const char *s)
{
	return strchr(s, ':') && s[0] != '/' && s[0] != '.';
}

/* Claim the port @e->name, which must fill buffers (@fills) or drain them. */
static int claim_port(int fd, struct end *e, bool fills)
{
	struct iub_port_info p[MAX_PORTS];
	struct iub_port_claim c = { 0 };
	int n = get_ports(fd, p, MAX_PORTS);

	for (int i = 0; i < n; i++) {
		if (strcmp(p[i].name, e->name))
			continue;
		e->info = p[i];
		if (!(p[i].flags & IUB_PORT_F_ABSENT) &&
		    (p[i].direction == IUB_DIR_TO_MEM) != fills) {
			fprintf(stderr, fills ?
				"iub: %s does not fill buffers (it is an output)\n" :
				"iub: %s does not empty buffers (it is an input)\n",
				e->name);
			return EXIT_USAGE;
		}
		c.port = p[i].id;
		if (ioctl(fd, IUB_IOC_PORT_CLAIM, &c) < 0) {
			fprintf(stderr, "iub: claim %s: %s\n", e->name,
				strerror(errno));
			return EXIT_NODEV;
		}
		e->port = (int)p[i].id;
		return 0;
	}
	fprintf(stderr, "iub: no port named %s (iub ports lists them)\n", e->name);
	return EXIT_NODEV;
}

/* Open @e as a file to read (@in) or write, - being stdin or stdout. */
static int open_file(struct end *e, bool in)
{
	if (!strcmp(e->name, "-")) {
		e->fd = in ? STDIN_FILENO : STDOUT_FILENO;
		return 0;
	}
	e->fd = in ? open(e->name, O_RDONLY | O_CLOEXEC) :
		open(e->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (e->fd < 0) {
		fprintf(stderr, "iub: %s: %s\n", e->name, strerror(errno));
		return EXIT_USAGE;
	}
	return 0;
}

/* Bracket CPU access to @b (DMA_BUF_SYNC_*); false after a message. */
static bool cpu_access(const struct buf *b, uint64_t flags)
{
	int ret = iub_dmabuf_sync(b->fd, flags);

	if (ret < 0)
		fprintf(stderr, "\niub: DMA_BUF_IOCTL_SYNC %s: %s\n",
			flags & DMA_BUF_SYNC_END ? "END" : "START",
			strerror(-ret));
	return !ret;
}

/*
 * Playback: read the next @len bytes of @from into @b, zeros up to @align
 * after a short end, @chk checking them with -V; *@eof at the end of the
 * file (--cyclic: after this buffer, which must hold all of it).
 * Return: the bytes to transfer, 0 at the end, or -exit status after a
 * message.
 */
static long long play_fill(const struct end *from, struct buf *b, size_t len,
			   unsigned int align, const struct stream_opts *o,
			   struct iub_sim_stream_check *chk, bool *eof)
{
	long long ret;
	ssize_t n;
	char more;

	if (!cpu_access(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE))
		return -EXIT_FAIL;
	n = iub_read_full(from->fd, b->map, len);
	if (n < 0) {
		fprintf(stderr, "\niub: %s: %s\n", from->name, strerror(errno));
		ret = -EXIT_FAIL;
		goto end;
	}
	if ((size_t)n < len)
		*eof = true;
	if (o->cyclic) {
		/* all of the file, in this one buffer */
		*eof = true;
		if (!n) {
			fprintf(stderr, "iub: --cyclic: %s is empty\n", from->name);
			ret = -EXIT_USAGE;
			goto end;
		}
		if ((size_t)n == len && iub_read_full(from->fd, &more, 1) > 0) {
			fprintf(stderr, "iub: --cyclic: %s has more than %zu bytes (-b)\n",
				from->name, len);
			ret = -EXIT_USAGE;
			goto end;
		}
	}
	if (n && o->verify)
		iub_sim_stream_check_buf(chk, b->map, (size_t)n);
	b->fed = (size_t)n;
	ret = ((size_t)n + align - 1) / align * align;
	/* a short end: zeros up to the alignment */
	memset((char *)b->map + n, 0, (size_t)ret - (size_t)n);
end:
	if (!cpu_access(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE) && ret >= 0)
		ret = -EXIT_FAIL;
	return ret;
}

static int parse_stream_opts(int argc, char **argv, const struct cmd *cmd,
			     struct stream_opts *o)
{
	static const struct option opts[] = {
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "buffers", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'B' },
		{ "seconds", required_argument, NULL, 't' },
		{ "cyclic", no_argument, NULL, 'c' },
		{ "heap", no_argument, NULL, 'H' },
		{ "zlp", no_argument, NULL, 'z' },
		{ "verify", no_argument, NULL, 'V' },
		{ "recycle", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ }
	};
	unsigned long n;
	char *end;
	int c, ret;

	*o = (struct stream_opts){ .size = 1 << 20, .nbufs = 8 };
	while ((c = getopt_long(argc, argv, "b:n:B:t:cHzVrqh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (iub_parse_size(optarg, &o->size) || !o->size ||
			    o->size > INT32_MAX)
				return usage_error(cmd, "-b: '%s' is not a size from 1 to 2GiB - 1",
						   optarg);
			break;
		case 'n':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || !n || n > MAX_BUFS)
				return usage_error(cmd, "-n: '%s' is not a number from 1 to %u",
						   optarg, MAX_BUFS);
			o->nbufs = (unsigned int)n;
			break;
		case 'B':
			if (iub_parse_size(optarg, &o->total) || !o->total)
				return usage_error(cmd, "-B: '%s' is not a size of at least 1",
						   optarg);
			break;
		case 't':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->seconds > 0))
				return usage_error(cmd, "-t: '%s' is not a number of seconds above 0",
						   optarg);
			break;
		case 'c': o->cyclic = true; break;
		case 'H': o->heap = true; break;
		case 'z': o->zlp = true; break;
		case 'V': o->verify = true; break;
		case 'r': o->recycle = true; break;
		case 'q': o->quiet = true; break;
		default:
			ret = common_opt(c, cmd);
			return ret < 0 ? EXIT_USAGE : ret;
		}
	}
	if (argc - optind != 2)
		return usage_error(cmd, "wants FROM and TO");
	return -1;
}

/* The progress line, or (@final) the end of the report. */
static void progress(FILE *f, double t0, unsigned long long bytes, bool final)
{
	double dt = now() - t0;

	fprintf(f, "%s%llu bytes in %.2f s: %.1f MiB/s%s",
		final ? "" : "\r", bytes, dt, dt > 0 ? bytes / dt / 1048576 : 0.0,
		final ? "" : "\033[K");
}

/* Cancel what is in flight on the ports of the stream. */
static void cancel_ports(int fd, const struct end *from, const struct end *to)
{
	const struct end *e[2] = { from, to };

	for (unsigned int i = 0; i < 2; i++) {
		struct iub_port_claim cl = { .port = (__u32)e[i]->port };

		if (e[i]->port < 0)
			continue;
		if (ioctl(fd, IUB_IOC_PORT_CANCEL, &cl) < 0)
			fprintf(stderr, "\niub: cancel %s: %s\n", e[i]->name,
				strerror(errno));
	}
}

/* The bytes counter of port @id, or 0. */
static unsigned long long port_bytes(int fd, int id)
{
	struct iub_port_info p[MAX_PORTS];
	int n = get_ports(fd, p, MAX_PORTS);

	for (int i = 0; i < n && i < MAX_PORTS; i++)
		if ((int)p[i].id == id)
			return p[i].bytes;
	return 0;
}

/**
 * stream_in_kernel() - port to port with one IUB_IOC_STREAM
 * @fd: the bridge
 * @ring: a ring with 32-byte CQEs
 * @from: the port that fills
 * @to: the port that empties
 * @bufs: the buffers, attached
 * @o: the options
 * @align: both ports' alignment
 * @tty: show progress (from the TO port's counter)
 * @t0: when the stream started
 * @done: set to the bytes TO moved
 *
 * A stop (signal, -t) drains the stream (IUB_CANCEL_DRAIN: the buffers in
 * flight go out whole); if it has not ended 2 s later, FROM's port is
 * cancelled.
 *
 * Return: 0, or an exit status.
 */
static int stream_in_kernel(int fd, struct io_uring *ring,
			    const struct end *from, const struct end *to,
			    const struct buf *bufs, const struct stream_opts *o,
			    unsigned int align, bool tty, double t0,
			    unsigned long long *done)
{
	struct {
		struct iub_stream s;
		struct iub_stream_range r[MAX_BUFS];
	} d;
	unsigned long long base = port_bytes(fd, to->port);
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	bool cancelled = false;
	double last = 0, drained = 0;
	__u64 extra;
	int ret, res;

	memset(&d, 0, sizeof(d));
	d.s.from = (__u16)from->port;
	d.s.to = (__u16)to->port;
	d.s.nr_ranges = (__u16)o->nbufs;
	/* the last range rounded up, as a route's would be */
	d.s.bytes = (o->total + align - 1) / align * align;
	if (o->zlp && to->info.kind == IUB_PORT_USB)
		d.s.flags = IUB_ROUTE_ZLP;
	for (unsigned int i = 0; i < o->nbufs; i++) {
		d.r[i].handle = (__u16)bufs[i].handle;
		d.r[i].length = (__u32)o->size;
	}
	iub_prep_stream(sqe, fd, &d.s);
	for (;;) {
		struct __kernel_timespec ts = { .tv_nsec = 200000000 };
		struct io_uring_cqe *cqe;

		ret = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, NULL);
		if (ret < 0 && ret != -EINTR && ret != -ETIME) {
			fprintf(stderr, "\niub: io_uring_submit_and_wait_timeout: %s\n",
				strerror(-ret));
			return EXIT_FAIL;	/* the ring's exit cancels */
		}
		if (io_uring_peek_cqe(ring, &cqe) == 0) {
			res = cqe->res;
			extra = cqe->big_cqe[0];
			io_uring_cqe_seen(ring, cqe);
			break;
		}
		if (!drained && (stop || (o->seconds && now() - t0 >= o->seconds))) {
			struct iub_port_claim cl = { .port = (__u32)from->port,
						     .flags = IUB_CANCEL_DRAIN };

			drained = now();
			if (ioctl(fd, IUB_IOC_PORT_CANCEL, &cl) < 0)
				fprintf(stderr, "\niub: drain %s: %s\n", from->name,
					strerror(errno));
		}
		if (drained && !cancelled && now() - drained > 2) {
			struct iub_port_claim cl = { .port = (__u32)from->port };

			cancelled = true;
			if (ioctl(fd, IUB_IOC_PORT_CANCEL, &cl) < 0)
				fprintf(stderr, "\niub: cancel %s: %s\n", from->name,
					strerror(errno));
		}
		if (tty && now() - last > 0.5) {
			last = now();
			progress(stderr, t0, port_bytes(fd, to->port) - base, false);
		}
	}
	if (tty && last)
		fprintf(stderr, "\n");
	*done = extra;
	if (res == 0 || (res == -ECANCELED && cancelled))
		return 0;
	fprintf(stderr, "iub: the stream failed after %llu bytes: %s\n",
		(unsigned long long)extra, strerror(-res));
	return EXIT_FAIL;
}

static int cmd_stream(int argc, char **argv)
{
	const struct cmd *cmd = find_cmd("stream");
	unsigned long long done = 0, queued = 0, fed = 0;
	unsigned int inflight = 0, next = 0, align;
	struct end from = { .port = -1, .fd = -1 };
	struct end to = { .port = -1, .fd = -1 };
	struct iub_sim_stream_check chk;
	struct buf bufs[MAX_BUFS];
	struct iub_features feat;
	enum stream_mode mode;
	struct stream_opts o;
	struct io_uring ring;
	bool eof = false, tty;
	int fd, rc = 0, ret;
	double t0, last = 0;
	FILE *report;

	ret = parse_stream_opts(argc, argv, cmd, &o);
	if (ret >= 0)
		return ret;
	from.name = argv[optind];
	to.name = argv[optind + 1];
	if (is_port_name(from.name))
		mode = is_port_name(to.name) ? MODE_ROUTE : MODE_CAPTURE;
	else if (is_port_name(to.name))
		mode = MODE_PLAY;
	else
		return usage_error(cmd, "FROM or TO must be a port (a name with a ':')");
	if (o.cyclic && mode != MODE_PLAY)
		return usage_error(cmd, "--cyclic is for playback, from a file to a port");
	if (o.cyclic && o.total)
		return usage_error(cmd, "--cyclic has no end: -t stops it, not -B");
	/* the report goes to stdout, unless the data does */
	report = mode == MODE_CAPTURE && !strcmp(to.name, "-") ? stderr : stdout;

	fd = open_bridge();
	get_features(fd, &feat);
	if (mode != MODE_PLAY) {
		ret = claim_port(fd, &from, true);
		if (ret)
			return ret;
	}
	if (mode != MODE_CAPTURE) {
		ret = claim_port(fd, &to, false);
		if (ret)
			return ret;
	}
	if (mode == MODE_CAPTURE || mode == MODE_PLAY) {
		ret = open_file(mode == MODE_PLAY ? &from : &to, mode == MODE_PLAY);
		if (ret)
			return ret;
	}
	/* routes and transfers are features: an older module may lack one */
	if (!(feat.features & (mode == MODE_ROUTE ? IUB_FEAT_ROUTE : IUB_FEAT_TRANSFER))) {
		fprintf(stderr, "iub: this iio_usb_bridge module has no %s\n",
			mode == MODE_ROUTE ? "routes (IUB_FEAT_ROUTE)" :
			"transfers (IUB_FEAT_TRANSFER)");
		return EXIT_NODEV;
	}
	if (o.cyclic && (!(feat.features & IUB_FEAT_CYCLIC) ||
			 !(to.info.flags & IUB_PORT_F_CYCLIC))) {
		fprintf(stderr, "iub: %s cannot repeat a buffer (no IUB_PORT_F_CYCLIC)\n",
			to.name);
		return EXIT_NODEV;
	}
	/* lengths are multiples of both ports' alignment (powers of two) */
	align = mode == MODE_PLAY ? 1 : from.info.align;
	if (mode != MODE_CAPTURE && to.info.align > align)
		align = to.info.align;
	if (!align)
		align = 1;
	if (o.cyclic) {
		/* one buffer, the whole file: its size, or -b from a pipe */
		struct stat st;

		o.nbufs = 1;
		if (!fstat(from.fd, &st) && S_ISREG(st.st_mode)) {
			if (!st.st_size || (uint64_t)st.st_size > INT32_MAX) {
				fprintf(stderr, "iub: --cyclic: %s has %lld bytes (1 to 2GiB - 1)\n",
					from.name, (long long)st.st_size);
				return EXIT_USAGE;
			}
			o.size = ((uint64_t)st.st_size + align - 1) / align * align;
		}
	}
	if (o.size % align) {
		fprintf(stderr, "iub: the buffer size must be a multiple of %u\n", align);
		return EXIT_USAGE;
	}
	/*
	 * 32-byte CQEs: a failed route says which stage failed. liburing
	 * returns -errno and leaves errno alone.
	 */
	ret = io_uring_queue_init(2 * MAX_BUFS, &ring, IORING_SETUP_CQE32);
	if (ret < 0) {
		fprintf(stderr, "iub: io_uring_queue_init: %s\n", strerror(-ret));
		return EXIT_FAIL;
	}
	for (unsigned int i = 0; i < o.nbufs; i++) {
		struct iub_buf_attach a;
		int prot = mode == MODE_PLAY ? PROT_READ | PROT_WRITE : PROT_READ;

		bufs[i].fd = iub_dmabuf_alloc(o.heap ? IUB_DMABUF_HEAP :
					      IUB_DMABUF_UDMABUF, o.size);
		if (bufs[i].fd < 0) {
			fprintf(stderr, "iub: cannot allocate a %" PRIu64 "-byte DMABUF from %s: %s\n",
				o.size, iub_dmabuf_src_name(o.heap ? IUB_DMABUF_HEAP :
							    IUB_DMABUF_UDMABUF),
				strerror(-bufs[i].fd));
			return EXIT_FAIL;
		}
		a = (struct iub_buf_attach){ .fd = bufs[i].fd };
		bufs[i].handle = ioctl(fd, IUB_IOC_BUF_ATTACH, &a);
		if (bufs[i].handle < 0) {
			fprintf(stderr, "iub: attach: %s\n", strerror(errno));
			return EXIT_FAIL;
		}
		bufs[i].map = NULL;
		if (o.verify || mode != MODE_ROUTE) {
			bufs[i].map = mmap(NULL, o.size, prot, MAP_SHARED,
					   bufs[i].fd, 0);
			if (bufs[i].map == MAP_FAILED) {
				fprintf(stderr, "iub: mmap: %s\n", strerror(errno));
				return EXIT_FAIL;
			}
		}
	}
	iub_sim_stream_check_init(&chk);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	tty = !o.quiet && isatty(STDERR_FILENO);

	t0 = now();
	/*
	 * Port to port in one command, where the module has streams and no
	 * buffer needs the CPU. A stream counts what FROM was given: a USB
	 * OUT port's short transfers would end it short of -B, so those are
	 * recycled here instead.
	 */
	if (mode == MODE_ROUTE && !o.verify && !o.recycle &&
	    (feat.features & IUB_FEAT_STREAM) &&
	    (!o.total || from.info.kind == IUB_PORT_CONVERTER)) {
		rc = stream_in_kernel(fd, &ring, &from, &to, bufs, &o, align,
				      tty, t0, &done);
		goto report;
	}
	for (;;) {
		struct __kernel_timespec ts = { .tv_nsec = 200000000 };
		struct io_uring_cqe *cqe;
		unsigned int i, stage;
		struct buf *b;
		int res;

		/*
		 * Keep every free buffer busy: one SQE per buffer. Buffers
		 * come back in submission order (both ports complete in
		 * order), so they are reused round-robin. A short completion
		 * (USB OUT) leaves room for more before the byte count.
		 */
		while (!stop && !eof && inflight < o.nbufs &&
		       (!o.total || done + queued < o.total)) {
			unsigned long long len = o.size;
			struct io_uring_sqe *sqe;
			__u32 flags = 0;

			i = next;
			/*
			 * The last one: rounded up to the alignment (a USB
			 * host ends it with a short packet where it has less).
			 */
			if (o.total && o.total - done - queued < len)
				len = (o.total - done - queued + align - 1) / align * align;
			if (mode == MODE_PLAY) {
				if (o.total && o.total - done - queued < len)
					len = o.total - done - queued;
				ret = (int)play_fill(&from, &bufs[i], len, align, &o,
						&chk, &eof);
				if (ret < 0) {
					rc = -ret;
					stop = 1;
				}
				if (ret <= 0)
					break;
				fed += bufs[i].fed;
				len = (unsigned long long)ret;
				if (o.cyclic)
					flags |= IUB_XFER_CYCLIC;
			}
			/* never fails: the ring holds twice MAX_BUFS */
			sqe = io_uring_get_sqe(&ring);
			if (!sqe)
				break;
			if (o.zlp && to.port >= 0 && to.info.kind == IUB_PORT_USB)
				flags |= mode == MODE_ROUTE ? IUB_ROUTE_ZLP : IUB_XFER_ZLP;
			next = (next + 1) % o.nbufs;
			bufs[i].len = len;
			queued += len;
			if (mode == MODE_ROUTE)
				iub_prep_route(sqe, fd, bufs[i].handle, from.port,
					       to.port, 0, len, flags);
			else
				iub_prep_transfer(sqe, fd, bufs[i].handle,
						  mode == MODE_PLAY ? to.port : from.port,
						  0, len, flags);
			sqe->user_data = i;
			inflight++;
		}
		if (!inflight)
			break;
		ret = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
		if (ret < 0 && ret != -EINTR && ret != -ETIME) {
			/* nothing reaped or submitted: the ring's exit cancels */
			fprintf(stderr, "\niub: io_uring_submit_and_wait_timeout: %s\n",
				strerror(-ret));
			io_uring_queue_exit(&ring);
			close(fd);
			return EXIT_FAIL;
		}
		while (io_uring_peek_cqe(&ring, &cqe) == 0) {
			res = cqe->res;
			stage = IUB_ROUTE_INFO_STAGE(cqe->big_cqe[0]);
			b = &bufs[cqe->user_data];
			queued -= b->len;
			io_uring_cqe_seen(&ring, cqe);
			inflight--;
			if (res < 0) {
				if (!rc && res != -ECANCELED) {
					fprintf(stderr, "\niub: %s failed after %llu bytes: %s",
						mode == MODE_ROUTE ? "route" : "transfer",
						done, strerror(-res));
					if (mode == MODE_ROUTE && stage)
						fprintf(stderr, " (stage %u: %s)", stage,
							stage == 1 ? from.name : to.name);
					fprintf(stderr, "\n");
					rc = EXIT_FAIL;
				}
				stop = 1;
				continue;
			}
			if (b->map && mode != MODE_PLAY) {
				/* CPU access, bracketed as every one must be */
				if (!cpu_access(b, DMA_BUF_SYNC_START |
						DMA_BUF_SYNC_READ)) {
					rc = EXIT_FAIL;
					stop = 1;
					continue;
				}
				if (o.verify)
					iub_sim_stream_check_buf(&chk, b->map, res);
				if (to.fd >= 0 && iub_write_all(to.fd, b->map, res)) {
					fprintf(stderr, "\niub: %s: %s\n", to.name,
						strerror(errno));
					rc = EXIT_FAIL;
					stop = 1;
				}
				if (!cpu_access(b, DMA_BUF_SYNC_END |
						DMA_BUF_SYNC_READ)) {
					rc = EXIT_FAIL;
					stop = 1;
				}
			}
			done += res;
		}
		if (o.seconds && now() - t0 >= o.seconds)
			stop = 1;
		/* end what is still in flight: cancel both ports */
		if (stop && inflight)
			cancel_ports(fd, &from, &to);
		if (tty && now() - last > 0.5) {
			last = now();
			progress(stderr, t0, o.cyclic ? fed : done, false);
		}
	}
	if (tty && last)
		fprintf(stderr, "\n");
report:
	if (rc == EXIT_USAGE)	/* the input did not fit --cyclic */
		goto out;
	fprintf(report, "%s -> %s: ", from.name, to.name);
	if (o.cyclic)
		fprintf(report, "%llu bytes repeated for %.2f s", fed, now() - t0);
	else
		progress(report, t0, done, true);
	if (o.verify) {
		unsigned long long checked = mode == MODE_PLAY ? fed : done;
		bool good = !chk.mismatches && chk.words * 4 == checked;

		fprintf(report, ", verified: %s (%" PRIu64 " mismatches)",
			good ? "yes" : "no", (uint64_t)chk.mismatches);
		if (!good && !rc)
			rc = EXIT_VERIFY;
	}
	fprintf(report, "\n");
out:
	io_uring_queue_exit(&ring);
	close(fd);
	return rc;
}

static int cmd_help(int argc, char **argv)
{
	const struct cmd *c = find_cmd("help");
	int opt, ret;
	static const struct option opts[] = {
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ }
	};

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		ret = common_opt(opt, c);
		return ret < 0 ? EXIT_USAGE : ret;
	}
	if (optind == argc) {
		usage(stdout);
		return 0;
	}
	c = find_cmd(argv[optind]);
	if (!c || argc - optind > 1) {
		fprintf(stderr, "iub help: no command '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd_usage(stdout, c, true);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	char name[32];

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		version();
		return 0;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "iub: %s '%s'\n", argv[1][0] == '-' ?
			"unknown option" : "unknown command", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	/* getopt_long's messages name the command: "iub stream: ..." */
	snprintf(name, sizeof(name), "iub %s", c->name);
	argv[1] = name;
	return c->run(argc - 1, argv + 1);
}
