// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of iub-usb-recv's libusb-free parts (recv_core.c): the command
 * line, the verifier and generator over arbitrary chunk boundaries, exit
 * codes and the final report. Runs on the build machine with ASan/UBSan;
 * TAP output.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "recv_core.h"

static int n_tests, n_failed;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	n_tests++;
	if (!ok)
		n_failed++;
	printf("%sok %d - ", ok ? "" : "not ", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Parse a NULL-terminated list of arguments; usage text goes to /dev/null. */
static int parse(struct iub_recv_opts *o, ...)
{
	char *argv[32] = { "iub-usb-recv" };
	FILE *null = fopen("/dev/null", "w");
	int argc = 1, rc;
	va_list ap;

	va_start(ap, o);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	rc = iub_recv_parse_args(o, argc, argv, null, null);
	fclose(null);
	return rc;
}

static void test_args(void)
{
	struct iub_recv_opts o;

	check(parse(&o, NULL) == IUB_RECV_PARSE_OK && o.mode == IUB_RECV_RECEIVE &&
	      o.vid == -1 && o.pid == -1 && o.interface == -1 &&
	      o.ep_index == 0 && !o.device && !strcmp(o.name, "iio-usb-bridge") &&
	      !o.any_bulk && o.queue == 8 && o.size == 1048576 && !o.bytes &&
	      o.seconds == 0 && o.verify && o.seed == 0 && !o.quiet && !o.json,
	      "defaults");
	check(parse(&o, "--vid", "1d6b", "--pid", "0x0104", "--interface", "2",
		    "--in-ep", "1", "--queue", "16", "--size", "64K",
		    "--bytes", "256M", "--seconds", "2.5", "--no-verify", "-q",
		    "--json", "-v", "--device", "/dev/bus/usb/001/002",
		    "--zero-copy", NULL) == IUB_RECV_PARSE_OK &&
	      o.vid == 0x1d6b && o.pid == 0x104 && o.interface == 2 &&
	      o.ep_index == 1 && o.queue == 16 && o.size == 65536 &&
	      o.bytes == 256ull << 20 && o.seconds == 2.5 && !o.verify &&
	      o.quiet && o.json && o.verbose && o.zero_copy &&
	      !strcmp(o.device, "/dev/bus/usb/001/002"),
	      "every receive option");
	check(parse(&o, "--send", "--out-ep", "3", "--seed", "0x01000000",
		    "--zlp", "--bytes", "1G", NULL) == IUB_RECV_PARSE_OK &&
	      o.mode == IUB_RECV_SEND && o.ep_index == 3 &&
	      o.seed == 0x01000000 && o.zlp && o.bytes == 1ull << 30,
	      "send options");
	check(parse(&o, "--send", "--seed", "010", NULL) == IUB_RECV_PARSE_OK &&
	      o.seed == 10, "--seed is decimal unless 0x");
	check(parse(&o, "--send", "--seed", "0XfFfFfFfF", NULL) ==
	      IUB_RECV_PARSE_OK && o.seed == 0xffffffffu, "--seed 0x");
	check(parse(&o, "--any-bulk", "--size=4096", "--queue=1", NULL) ==
	      IUB_RECV_PARSE_OK && o.any_bulk && o.size == 4096 && o.queue == 1,
	      "--opt=value form and --any-bulk");
	check(parse(&o, "--name", "other", NULL) == IUB_RECV_PARSE_OK &&
	      !strcmp(o.name, "other"), "--name");
	check(parse(&o, "--output", "-", "--wait", "2.5", NULL) ==
	      IUB_RECV_PARSE_OK && o.mode == IUB_RECV_RECEIVE &&
	      !strcmp(o.output, "-") && !o.input && o.wait == 2.5,
	      "--output, --wait");
	check(parse(&o, "--input", "f.bin", "--bytes", "4K", NULL) ==
	      IUB_RECV_PARSE_OK && o.mode == IUB_RECV_SEND &&
	      !strcmp(o.input, "f.bin") && !o.output && o.bytes == 4096,
	      "--input implies --send");
	check(parse(&o, "--endpoints", "2", "--in-ep", "1", NULL) ==
	      IUB_RECV_PARSE_OK && o.endpoints == 2 && o.ep_index == 1,
	      "--endpoints");
	check(parse(&o, NULL) == IUB_RECV_PARSE_OK && o.endpoints == 1,
	      "one endpoint by default");
	check(parse(&o, "--help", NULL) == IUB_RECV_PARSE_DONE, "--help");
	check(parse(&o, "-V", NULL) == IUB_RECV_PARSE_DONE, "--version");

	static const char *const bad[][4] = {
		{ "--queue", "0" }, { "--queue", "257" }, { "--queue", "-1" },
		{ "--size", "0" }, { "--size", "257M" }, { "--size", "1X" },
		{ "--size", "" }, { "--bytes", "0" }, { "--bytes", "1.5M" },
		{ "--vid", "10000" }, { "--vid", "xyz" }, { "--pid", "" },
		{ "--interface", "256" }, { "--in-ep", "31" },
		{ "--seconds", "0" }, { "--seconds", "-1" },
		{ "--seconds", "nan" }, { "--seconds", "1s" },
		{ "--send", "--seed", "0x100000000" },
		{ "--send", "--seed", "4294967296" },
		{ "--send", "--seed", "0x" }, { "--send", "--seed", "0x-1" },
		{ "--bogus" }, { "extra" },
		{ "--queue" }, { "--send", "--in-ep", "0" },
		{ "--send", "--no-verify" }, { "--out-ep", "0" },
		{ "--seed", "1" }, { "--zlp" }, { "--name", "x", "--any-bulk" },
		{ "--name", "" }, { "--device", "" },
		{ "--output", "" }, { "--input", "" }, { "--wait", "0" },
		{ "--wait", "x" }, { "--send", "--output", "f" },
		{ "--input", "f", "--output", "g" },
		{ "--input", "f", "--seed", "1" },
		{ "--input", "f", "--no-verify" },
		{ "--endpoints", "0" }, { "--endpoints", "9" },
		{ "--endpoints", "2", "--output", "-" },
		{ "--quiet", "--progress" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *a[4] = { 0 };

		memcpy(a, bad[i], sizeof(a));
		check(parse(&o, a[0], a[1], a[2], a[3], NULL) ==
		      IUB_RECV_PARSE_USAGE, "usage error: %s %s %s", a[0],
		      a[1] ? a[1] : "", a[2] ? a[2] : "");
	}

	/* the sizes themselves: unit/size-parser (tests/unit/size_parser.c) */
	check(parse(&o, "--size", "0x10000", NULL, NULL, NULL) ==
	      IUB_RECV_PARSE_OK && o.size == 0x10000, "--size in hex");
}

/* A stream of @words words from @seed, cut into chunks by @cuts. */
static unsigned char *make_stream(uint32_t seed, size_t words)
{
	unsigned char *buf = malloc(words * 4);

	iub_sim_stream_fill(buf, words, seed);
	return buf;
}

static uint64_t verify_chunks(struct iub_recv_verifier *v,
			      const unsigned char *buf, size_t len,
			      unsigned int *rnd)
{
	uint64_t bad = 0;
	size_t off = 0, n;

	while (off < len) {
		*rnd = *rnd * 1103515245u + 12345u;
		n = (*rnd >> 8) % 37;	/* 0..36: many odd sizes, some empty */
		if (n > len - off)
			n = len - off;
		bad += iub_recv_verify(v, buf + off, n);
		off += n;
	}
	return bad;
}

static void test_verifier(void)
{
	const size_t words = 100000;
	struct iub_recv_verifier v;
	unsigned int rnd = 1;
	unsigned char *buf;
	uint64_t bad;

	/* any seed, including a wrap through 0xffffffff */
	buf = make_stream(0xfffffff0u, words);
	iub_recv_verifier_init(&v);
	bad = verify_chunks(&v, buf, words * 4, &rnd);
	check(bad == 0 && v.check.mismatches == 0 && v.check.words == words &&
	      v.bytes == words * 4 && v.npart == 0,
	      "verifier: stream across odd chunk boundaries, with wrap");

	/* starting mid-stream: resynchronizes on the first word */
	iub_recv_verifier_init(&v);
	bad = iub_recv_verify(&v, buf + 400, 4000);
	check(bad == 0 && v.check.words == 1000, "verifier: starts anywhere");

	/* one corrupted byte: that word and its successor */
	buf[4 * 777 + 2] ^= 0x40;
	iub_recv_verifier_init(&v);
	rnd = 7;
	bad = verify_chunks(&v, buf, words * 4, &rnd);
	{
		struct iub_recv_result r = { .mode = IUB_RECV_RECEIVE,
					     .verify = true };

		iub_recv_result_from_verifier(&r, &v);
		check(bad == 2 && r.mismatches == 2 && r.first_bad == 4 * 777 &&
		      r.first_expected == 0xfffffff0u + 777 &&
		      r.first_got == ((0xfffffff0u + 777) ^ (0x40u << 16)),
		      "verifier: corrupted byte found at its offset (%llu)",
		      (unsigned long long)r.first_bad);
		check(iub_recv_exit_code(&r) == IUB_RECV_EXIT_VERIFY,
		      "mismatch: exit code 1");
	}
	buf[4 * 777 + 2] ^= 0x40;

	/* a gap (a lost transfer): one mismatch */
	iub_recv_verifier_init(&v);
	bad = iub_recv_verify(&v, buf, 4096);
	bad += iub_recv_verify(&v, buf + 8192, 4096);
	check(bad == 1 && v.check.first_bad == 1024, "verifier: a gap costs one");

	/* a word split 1+3, 2+2, 3+1 */
	for (size_t s = 1; s < 4; s++) {
		iub_recv_verifier_init(&v);
		bad = iub_recv_verify(&v, buf, 4 + s);
		check(v.npart == s && v.check.words == 1,
		      "verifier: %zu byte(s) wait for the rest", s);
		bad += iub_recv_verify(&v, buf + 4 + s, 8 - s);
		check(bad == 0 && v.npart == 0 && v.check.words == 3,
		      "verifier: split %zu+%zu", s, 4 - s);
	}
	/* the verifier sees one byte at a time */
	iub_recv_verifier_init(&v);
	bad = 0;
	for (size_t i = 0; i < 4096; i++)
		bad += iub_recv_verify(&v, buf + i, 1);
	check(bad == 0 && v.check.words == 1024, "verifier: byte by byte");
	free(buf);
}

static void test_generator(void)
{
	const size_t len = 200003;
	struct iub_recv_generator g;
	struct iub_recv_verifier v;
	unsigned char *ref, *out;
	unsigned int rnd = 3;
	size_t off = 0, n;

	ref = malloc(len + 3);
	out = malloc(len + 3);
	iub_sim_stream_fill(ref, (len + 3) / 4, 0x00fffffeu);
	iub_recv_generator_init(&g, 0x00fffffeu);
	while (off < len) {
		rnd = rnd * 1103515245u + 12345u;
		n = (rnd >> 8) % 4099;
		if (n > len - off)
			n = len - off;
		iub_recv_generate(&g, out + off, n);
		off += n;
	}
	check(!memcmp(ref, out, len) && g.bytes == len,
	      "generator: odd chunks give the reference stream");
	check(g.phase == len % 4 && g.next == 0x00fffffeu + len / 4,
	      "generator: position kept mid-word");

	iub_recv_verifier_init(&v);
	check(iub_recv_verify(&v, out, len) == 0 && v.npart == len % 4,
	      "generator output verifies");

	iub_recv_generator_init(&g, 0xffffffffu);
	iub_recv_generate(&g, out, 8);
	check(iub_sim_stream_get_le32(out) == 0xffffffffu &&
	      iub_sim_stream_get_le32(out + 4) == 0, "generator wraps");
	free(ref);
	free(out);
}

static void test_report(void)
{
	struct iub_recv_result r = {
		.mode = IUB_RECV_RECEIVE, .status = IUB_RECV_DONE,
		.bytes = 268435456, .target = 268435456, .seconds = 3.21,
		.transfers = 256, .verify = true, .bus = 1, .address = 2,
		.vid = 0x1d6b, .pid = 0x0104, .speed = "high", .interface = 0,
		.endpoint = 0x81, .max_packet = 512, .queue = 8,
		.size = 1048576,
	};
	char buf[2048];

	iub_recv_format_line(&r, buf, sizeof(buf));
	check(!strcmp(buf, "received 268435456 bytes in 3.21 s: 79.8 MiB/s, verified: yes (0 mismatches)"),
	      "line: %s", buf);
	check(iub_recv_exit_code(&r) == IUB_RECV_EXIT_OK, "exit 0");
	iub_recv_format_json(&r, buf, sizeof(buf));
	check(!strcmp(buf, "{\"mode\":\"receive\",\"status\":\"done\",\"exit_code\":0,\"error\":null,\"bytes\":268435456,\"target_bytes\":268435456,\"seconds\":3.210,\"mib_per_s\":79.8,\"transfers\":256,\"short_transfers\":0,\"verified\":true,\"mismatches\":0,\"first_mismatch\":null,\"device\":{\"bus\":1,\"address\":2,\"vid\":\"1d6b\",\"pid\":\"0104\",\"speed\":\"high\"},\"interface\":0,\"endpoint\":\"0x81\",\"max_packet\":512,\"queue\":8,\"size\":1048576}"),
	      "json: %s", buf);

	r.verify = false;
	iub_recv_format_line(&r, buf, sizeof(buf));
	check(!strcmp(buf, "received 268435456 bytes in 3.21 s: 79.8 MiB/s, verified: off"),
	      "line without verification: %s", buf);

	r.verify = true;
	r.mismatches = 3;
	r.first_bad = 4096;
	r.first_expected = 1024;
	r.first_got = 7;
	r.status = IUB_RECV_DISCONNECTED;
	r.error = "device \"gone\"\n";
	r.bytes = 1000;
	iub_recv_format_line(&r, buf, sizeof(buf));
	check(!strcmp(buf, "received 1000 bytes in 3.21 s: 0.0 MiB/s, verified: no (3 mismatches)"),
	      "line with mismatches: %s", buf);
	check(iub_recv_exit_code(&r) == IUB_RECV_EXIT_VERIFY,
	      "mismatches take precedence over a disconnect");
	iub_recv_format_json(&r, buf, sizeof(buf));
	check(strstr(buf, "\"status\":\"disconnected\",\"exit_code\":1,\"error\":\"device \\\"gone\\\"\\u000a\"") &&
	      strstr(buf, "\"verified\":false,\"mismatches\":3,\"first_mismatch\":{\"offset\":4096,\"expected\":1024,\"got\":7}"),
	      "json escapes and mismatch: %s", buf);

	r.mismatches = 0;
	check(iub_recv_exit_code(&r) == IUB_RECV_EXIT_XFER, "disconnect: exit 4");
	r.status = IUB_RECV_DONE;
	r.error = NULL;
	check(iub_recv_exit_code(&r) == IUB_RECV_EXIT_XFER,
	      "stopped short of --bytes: exit 4");
	iub_recv_format_json(&r, buf, sizeof(buf));
	check(strstr(buf, "\"status\":\"incomplete\",\"exit_code\":4") != NULL,
	      "json: incomplete");
	r.target = 0;
	check(iub_recv_exit_code(&r) == IUB_RECV_EXIT_OK,
	      "no --bytes: exit 0");

	r.mode = IUB_RECV_SEND;
	r.bytes = 1048576;
	r.seconds = 0.5;
	r.mismatches = 5;	/* ignored when sending */
	iub_recv_format_line(&r, buf, sizeof(buf));
	check(!strcmp(buf, "sent 1048576 bytes in 0.50 s: 2.0 MiB/s"),
	      "send line: %s", buf);
	check(iub_recv_exit_code(&r) == IUB_RECV_EXIT_OK, "send: exit 0");
	iub_recv_format_json(&r, buf, sizeof(buf));
	check(strstr(buf, "{\"mode\":\"send\"") == buf &&
	      strstr(buf, "\"verified\":null"), "send json: %s", buf);

	r.seconds = 0;
	iub_recv_format_line(&r, buf, sizeof(buf));
	check(!strcmp(buf, "sent 1048576 bytes in 0.00 s: 0.0 MiB/s"),
	      "zero time: no division by zero");
	check(iub_recv_format_json(&r, buf, 10) > 10 && strlen(buf) == 9,
	      "json truncates like snprintf");
}

int main(void)
{
	printf("TAP version 13\n");
	test_args();
	test_verifier();
	test_generator();
	test_report();
	printf("1..%d\n", n_tests);
	if (n_failed)
		printf("# %d of %d failed\n", n_failed, n_tests);
	return n_failed ? 1 : 0;
}
