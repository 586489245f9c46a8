// SPDX-License-Identifier: GPL-2.0
/*
 * iub-bench-libiio - one measurement of the benchmark's libiio rows
 * (Documentation/benchmark.rst, "libiio clients"): Debian's unmodified
 * iio_readdev reads the simulated ADC through a device-side daemon over
 * USB (stock iiod on FunctionFS, or the bridge's iub-iiod), and this
 * program measures that read and verifies what it printed. One JSON line.
 *
 *   iub-bench-libiio --daemon NAME --daemon-pid PID --uri URI
 *                    --device DEV --samples N --total N
 *                    [--channels voltage0,voltage1] [--readdev PATH]
 *                    [--timeout-ms MS]
 *
 * The caller (tools/bench/libiio-guest.sh) has the daemon running and the
 * gadget enumerated. This program runs, through `chroot /host`,
 *
 *   iio_readdev -u URI -b N -T MS -s TOTAL DEV CHANNELS...
 *
 * reads its standard output through a pipe, counts the bytes and checks
 * every 4-byte word against the simulated ADC's stream format (a counter
 * that runs on across channels and scans: the channels must come out in
 * scan order, none missing, none repeated; sim/iub_sim_stream.h, the
 * checker of tests/vm/sim-adc-read --verify-stdin).
 *
 * Throughput: the bytes iio_readdev wrote over its wall time, from fork()
 * to its exit (its context creation included: a libiio client pays it).
 * CPU: the whole guest's busy time in that window (/proc/stat, as
 * iub-bench); the USB host side is iio_readdev (wait4() rusage) plus this
 * program (the verifier, getrusage); the device side is the rest: the
 * daemon, the kernel (FunctionFS or the bridge, dummy_hcd's both ends),
 * the simulated ADC. The daemon's own process time (/proc/PID/stat, all
 * its threads) is reported too ("cpu_app").
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>

#include "bench_util.h"
#include "iub_sim_stream.h"

#define CHUNK	(1024 * 1024)
#define ERRFILE	"/tmp/iub-bench-libiio.err"

static struct {
	const char *daemon, *uri, *device, *channels, *readdev;
	int daemon_pid;
	unsigned long long samples, total;
	unsigned int timeout_ms;
} cfg = {
	.channels = "voltage0,voltage1",
	.readdev = "/usr/bin/iio_readdev",
	.timeout_ms = 10000,
};

static void json_str(const char *key, const char *v)
{
	if (!v)
		return;
	printf(",\"%s\":\"", key);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			putchar('\\');
		if ((unsigned char)*v >= 0x20)
			putchar(*v);
	}
	putchar('"');
}

/* utime + stime of every thread of @pid, in seconds; < 0 if gone */
static double proc_cpu(int pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: iub-bench-libiio --daemon NAME --daemon-pid PID --uri URI --device DEV\n"
		"                        --samples N --total N [--channels A,B] [--readdev PATH]\n"
		"                        [--timeout-ms MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "daemon", required_argument, NULL, 'd' },
		{ "daemon-pid", required_argument, NULL, 'p' },
		{ "uri", required_argument, NULL, 'u' },
		{ "device", required_argument, NULL, 'D' },
		{ "samples", required_argument, NULL, 'b' },
		{ "total", required_argument, NULL, 's' },
		{ "channels", required_argument, NULL, 'c' },
		{ "readdev", required_argument, NULL, 'r' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ }
	};
	struct cpu_snap *c0 = calloc(1, sizeof(*c0)), *c1 = calloc(1, sizeof(*c1));
	char nbuf[32], tbuf[32], ttbuf[32], chans[256], err[256] = "";
	struct iub_sim_stream_check chk;
	unsigned long long want, bytes = 0;
	double t0, t1, d0, d1, self0, self1, t_first = 0, t_last = 0;
	unsigned long long first_n = 0;
	struct rusage ru, self_ru;
	int pfd[2], status = 0, nch = 0, opt, errfd;
	char ebuf[4096];
	char *args[40], *p, *save = NULL;
	unsigned char *buf;
	size_t carry = 0;
	bool verified;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': cfg.daemon = optarg; break;
		case 'p': cfg.daemon_pid = atoi(optarg); break;
		case 'u': cfg.uri = optarg; break;
		case 'D': cfg.device = optarg; break;
		case 'b': cfg.samples = strtoull(optarg, NULL, 0); break;
		case 's': cfg.total = strtoull(optarg, NULL, 0); break;
		case 'c': cfg.channels = optarg; break;
		case 'r': cfg.readdev = optarg; break;
		case 'T': cfg.timeout_ms = (unsigned int)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!c0 || !c1 || !cfg.daemon || !cfg.uri || !cfg.device ||
	    !cfg.samples || !cfg.total)
		usage();
	buf = malloc(CHUNK);
	if (!buf)
		return 1;

	/* iio_readdev -u URI -b N -T MS -s TOTAL DEV CH... */
	snprintf(nbuf, sizeof(nbuf), "%llu", cfg.samples);
	snprintf(tbuf, sizeof(tbuf), "%llu", cfg.total);
	snprintf(ttbuf, sizeof(ttbuf), "%u", cfg.timeout_ms);
	snprintf(chans, sizeof(chans), "%s", cfg.channels);
	args[nch++] = "chroot";
	args[nch++] = "/host";
	args[nch++] = (char *)cfg.readdev;
	args[nch++] = "-u";
	args[nch++] = (char *)cfg.uri;
	args[nch++] = "-b";
	args[nch++] = nbuf;
	args[nch++] = "-T";
	args[nch++] = ttbuf;
	args[nch++] = "-s";
	args[nch++] = tbuf;
	args[nch++] = (char *)cfg.device;
	for (p = strtok_r(chans, ",", &save); p && nch < 38; p = strtok_r(NULL, ",", &save))
		args[nch++] = p;
	args[nch] = NULL;
	/* 4-byte words: the sim ADC's channels are 32-bit */
	want = cfg.total * 4 * (unsigned long long)(nch - 12);

	iub_sim_stream_check_init(&chk);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(pfd))
		return 1;
	/* a pipe of 1 MiB (the default maximum): fewer wake-ups on both ends */
	fcntl(pfd[0], F_SETPIPE_SZ, CHUNK);
	/* iio_readdev's complaints: its last line goes into "error" */
	errfd = open(ERRFILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	getrusage(RUSAGE_SELF, &self_ru);
	self0 = tv_s(&self_ru.ru_utime) + tv_s(&self_ru.ru_stime);
	d0 = proc_cpu(cfg.daemon_pid);
	cpu_snap_take(c0);
	t0 = now();
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		dup2(pfd[1], 1);
		if (errfd >= 0)
			dup2(errfd, 2);
		close(pfd[0]);
		close(pfd[1]);
		setenv("TMPDIR", "/run", 1);
		execvp(args[0], args);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n = read(pfd[0], buf + carry, CHUNK - carry);
		size_t have, whole;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!bytes) {
			t_first = now();
			first_n = (unsigned long long)n;
		}
		t_last = now();
		bytes += (unsigned long long)n;
		/* a word may straddle two reads: keep its head for the next */
		have = carry + (size_t)n;
		whole = have & ~(size_t)3;
		iub_sim_stream_check_buf(&chk, buf, whole);
		carry = have - whole;
		memmove(buf, buf + whole, carry);
	}
	close(pfd[0]);
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	t1 = now();
	cpu_snap_take(c1);
	d1 = proc_cpu(cfg.daemon_pid);
	getrusage(RUSAGE_SELF, &self_ru);
	self1 = tv_s(&self_ru.ru_utime) + tv_s(&self_ru.ru_stime);

	if (errfd >= 0) {
		ssize_t n = pread(errfd, ebuf, sizeof(ebuf) - 1, 0);

		ebuf[n > 0 ? n : 0] = 0;
		close(errfd);
		unlink(ERRFILE);
		/* the last non-empty line */
		while ((p = strrchr(ebuf, '\n')) && !p[1])
			*p = 0;
		p = strrchr(ebuf, '\n');
		p = p ? p + 1 : ebuf;
	} else {
		p = ebuf;
		ebuf[0] = 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && !err[0])
		snprintf(err, sizeof(err), "iio_readdev exit %d: %.180s", WEXITSTATUS(status), p);
	else if (WIFSIGNALED(status) && !err[0])
		snprintf(err, sizeof(err), "iio_readdev killed by signal %d", WTERMSIG(status));
	if (!err[0] && bytes != want)
		snprintf(err, sizeof(err), "%llu bytes, not %llu", bytes, want);
	verified = !err[0] && !chk.mismatches;

	printf("{\"udc\":\"dummy\",\"path\":\"%s\",\"size\":%llu,\"samples\":%llu,\"inflight\":1,\"streams\":1,\"buffer\":\"-\",\"status\":\"%s\",\"lane\":\"%s\"",
	       cfg.daemon, cfg.samples * 4 * (unsigned long long)(nch - 12), cfg.samples,
	       err[0] ? "failed" : "ok", iub_dma_bounced() ? "bounced" : "coherent");
	json_str("error", err[0] ? err : NULL);
	json_str("uri", cfg.uri);
	json_str("device", cfg.device);
	printf(",\"total_samples\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"mibps\":%.2f",
	       cfg.total, bytes, t1 - t0, t1 > t0 ? (double)bytes / (t1 - t0) / MIB : 0);
	/* the stream alone: from the first read to the last, without the
	 * context's creation and the first buffer */
	printf(",\"first_byte_s\":%.3f,\"mibps_stream\":%.2f",
	       bytes ? t_first - t0 : 0,
	       t_last > t_first ? (double)(bytes - first_n) / (t_last - t_first) / MIB : 0);
	printf(",\"cpu_busy\":%.2f,\"cpu_user\":%.2f,\"cpu_sys\":%.2f,\"cpu_irq\":%.2f",
	       (c1->wall - c0->wall) * (double)sysconf(_SC_NPROCESSORS_ONLN) -
	       (c1->idle - c0->idle), c1->user - c0->user, c1->sys - c0->sys,
	       c1->irq - c0->irq);
	printf(",\"cpu_readdev\":%.3f,\"cpu_verifier\":%.3f,\"cpu_host\":%.3f",
	       tv_s(&ru.ru_utime) + tv_s(&ru.ru_stime), self1 - self0,
	       tv_s(&ru.ru_utime) + tv_s(&ru.ru_stime) + self1 - self0);
	if (d0 >= 0 && d1 >= 0)
		printf(",\"cpu_app\":%.3f", d1 - d0);
	else
		printf(",\"cpu_app\":null");
	printf(",\"cpu_kthreads\":%.2f", cpu_kthreads(c0, c1));
	printf(",\"check\":\"stream\",\"verified\":%s,\"mismatches\":%" PRIu64,
	       verified ? "true" : "false", (uint64_t)chk.mismatches);
	if (chk.mismatches) {
		snprintf(err, sizeof(err), "word %" PRIu64 ": 0x%08x, expected 0x%08x",
			 (uint64_t)chk.first_bad, chk.first_got, chk.first_expected);
		json_str("first_mismatch", err);
	}
	printf("}\n");
	fflush(stdout);
	free(buf);
	return verified ? 0 : 1;
}
