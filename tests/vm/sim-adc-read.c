// SPDX-License-Identifier: GPL-2.0
/*
 * sim-adc-read: read() (fileio) on the simulated ADC that uses the upstream
 * IIO DMA buffer returns the documented stream: 64 MiB verified, paced by
 * sampling_frequency, with an injected gap detected exactly once.
 *
 *   sim-adc-read [harness options]     run the tests
 *   sim-adc-read --verify-stdin BYTES [STEP]
 *          verify a stream read from stdin (for iio_readdev); at least
 *          BYTES of it. STEP (default 1): each word is the previous plus
 *          STEP, as in one channel of a STEP-channel scan (iio_readdev
 *          demultiplexed it)
 *   sim-adc-read --stream BYTES
 *          write BYTES of the stream (words 0, 1, 2, ...) to stdout, for
 *          iio_writedev into the simulated DAC
 */
#include "iub_harness.h"
#include "sim-iio.h"

#define ADC_LABEL	"iub-sim-adc-dmabuf.0"
#define ADC_NCHAN	2
#define MIB		(1024 * 1024)

FIXTURE(adc) {
	char dir[256];
	char dev[64];
	int fd;
};

FIXTURE_SETUP(adc)
{
	int n;

	self->fd = -1;
	n = sim_iio_find(ADC_LABEL, self->dir, sizeof(self->dir));
	if (n < 0)
		SKIP(return, "no IIO device labelled " ADC_LABEL);
	snprintf(self->dev, sizeof(self->dev), "/dev/iio:device%d", n);
	ASSERT_EQ(0, sim_debugfs());
	/* 262144 scans of 8 bytes: two 1 MiB blocks. */
	ASSERT_EQ(0, sim_iio_setup(self->dir, ADC_NCHAN, 262144));
}

FIXTURE_TEARDOWN(adc)
{
	char p[512];

	if (self->fd >= 0)
		close(self->fd);
	sim_iio_enable(self->dir, 0);
	sim_write_file(sim_attr(p, sizeof(p), self->dir, "sampling_frequency"),
		       "0");
	sim_write_file(sim_chan_file(p, sizeof(p), self->dir, "realtime"), "0");
}

static int adc_start(struct __test_metadata *_metadata,
		     FIXTURE_DATA(adc) *self)
{
	ASSERT_EQ(0, sim_iio_enable(self->dir, 1));
	self->fd = open(self->dev, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	return 0;
}

/* Read and verify @total bytes; returns the seconds it took, < 0 on error. */
static double adc_read(struct __test_metadata *_metadata, int fd,
		       size_t total, struct iub_sim_stream_check *chk)
{
	static char buf[MIB];
	size_t done = 0;
	double t0 = sim_now();
	ssize_t n;

	while (done < total) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			TH_LOG("read: %zd (%s) after %zu bytes", n,
			       strerror(errno), done);
			return -1;
		}
		if (n % IUB_SIM_STREAM_WORD_SIZE) {
			TH_LOG("read returned %zd bytes, not whole words", n);
			return -1;
		}
		iub_sim_stream_check_buf(chk, buf, n);
		done += n;
	}
	return sim_now() - t0;
}

TEST_F(adc, read_64mib_verified)
{
	struct iub_sim_stream_check chk;
	const size_t total = 64 * MIB;
	char p[512];
	long long seed;
	double s;

	iub_sim_stream_check_init(&chk);
	adc_start(_metadata, self);
	s = adc_read(_metadata, self->fd, total, &chk);
	ASSERT_LE(0, s);
	EXPECT_EQ(0, chk.mismatches) {
		TH_LOG("first bad word %llu: expected 0x%08x got 0x%08x",
		       (unsigned long long)chk.first_bad, chk.first_expected,
		       chk.first_got);
	}
	EXPECT_LE(total / 4, chk.words);
	seed = sim_read_num(sim_chan_file(p, sizeof(p), self->dir, "seed"));
	TH_LOG("%llu words verified (%.1f MiB/s), stream now at index %u of seed 0x%llx",
	       (unsigned long long)chk.words, total / MIB / s,
	       (unsigned int)(chk.next - seed), seed);
}

/* debugfs "gap" skips words: the verifier sees exactly one jump. */
TEST_F(adc, gap_detected)
{
	struct iub_sim_stream_check chk;
	char p[512];

	iub_sim_stream_check_init(&chk);
	adc_start(_metadata, self);
	ASSERT_LE(0, adc_read(_metadata, self->fd, 4 * MIB, &chk));
	ASSERT_EQ(0, chk.mismatches);
	ASSERT_EQ(0, sim_write_file(sim_chan_file(p, sizeof(p), self->dir,
						  "gap"), "1000"));
	ASSERT_LE(0, adc_read(_metadata, self->fd, 8 * MIB, &chk));
	EXPECT_EQ(1, chk.mismatches);
	EXPECT_EQ(1000, (int)(chk.first_got - chk.first_expected));
}

/* 131072 Hz, two 32-bit channels: 1 MiB/s. */
TEST_F(adc, paced_by_sampling_frequency)
{
	struct iub_sim_stream_check chk;
	char p[512];
	double s;

	ASSERT_EQ(0, sim_write_num(sim_attr(p, sizeof(p), self->dir,
					    "buffer0/length"), 32768));
	ASSERT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), self->dir,
					     "sampling_frequency"), "131072"));
	EXPECT_EQ(MIB, sim_read_num(sim_chan_file(p, sizeof(p), self->dir,
						  "rate")));
	iub_sim_stream_check_init(&chk);
	adc_start(_metadata, self);
	s = adc_read(_metadata, self->fd, MIB, &chk);
	ASSERT_LE(0, s);
	EXPECT_EQ(0, chk.mismatches);
	TH_LOG("1 MiB at 1 MiB/s took %.3f s", s);
	EXPECT_LE(0.9, s);
	EXPECT_GE(5.0, s);
}

/*
 * Real-time mode (debugfs "realtime"): the converter runs by its clock, and
 * a reader that pauses longer than its two blocks last loses samples: its
 * data jumps, and dropped_bytes holds at least what it jumped over (plus
 * what was lost after its last read).
 */
TEST_F(adc, realtime_slow_reader_loses_samples)
{
	const size_t chunk = 128 * 1024;
	struct iub_sim_stream_check chk;
	static char buf[128 * 1024];
	long long dropped;
	__u32 first = 0;
	__u64 jumped;
	char p[512];
	int k;

	/* 1 MiB/s; two blocks of 128 KiB, 125 ms each */
	ASSERT_EQ(0, sim_write_num(sim_attr(p, sizeof(p), self->dir,
					    "buffer0/length"), 32768));
	ASSERT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), self->dir,
					     "sampling_frequency"), "131072"));
	ASSERT_EQ(0, sim_write_file(sim_chan_file(p, sizeof(p), self->dir,
						  "realtime"), "1"));
	ASSERT_EQ(0, sim_write_file(sim_chan_file(p, sizeof(p), self->dir,
						  "reset"), "1"));
	EXPECT_EQ(0, sim_read_num(sim_chan_file(p, sizeof(p), self->dir,
						"dropped_bytes")));
	iub_sim_stream_check_init(&chk);
	adc_start(_metadata, self);
	for (k = 0; k < 6; k++) {
		size_t got = 0;

		while (got < chunk) {
			ssize_t n = read(self->fd, buf + got, chunk - got);

			ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
			got += n;
		}
		if (!k)
			first = iub_sim_stream_get_le32(buf);
		iub_sim_stream_check_buf(&chk, buf, chunk);
		usleep(400000);
	}
	dropped = sim_read_num(sim_chan_file(p, sizeof(p), self->dir,
					     "dropped_bytes"));
	jumped = (__u32)(chk.next - first) - chk.words;
	TH_LOG("%llu jumps over %llu words; %lld bytes dropped",
	       (unsigned long long)chk.mismatches,
	       (unsigned long long)jumped, dropped);
	EXPECT_LT(0, chk.mismatches);
	EXPECT_LT(0, jumped);
	EXPECT_LE((long long)jumped * 4, dropped);
}

/* One channel of a scan: each word is the previous plus @step. */
static void check_step(struct iub_sim_stream_check *c, const char *buf,
		       size_t len, uint32_t step)
{
	size_t i;
	uint32_t v;

	for (i = 0; i + 4 <= len; i += 4) {
		memcpy(&v, buf + i, 4);
		v = le32toh(v);
		if (c->synced && v != c->next) {
			if (!c->mismatches) {
				c->first_bad = c->words;
				c->first_expected = c->next;
				c->first_got = v;
			}
			c->mismatches++;
		}
		c->synced = 1;
		c->next = v + step;
		c->words++;
	}
}

/* Verify a stream on stdin, e.g. from iio_readdev. */
static int verify_stdin(size_t min_bytes, uint32_t step)
{
	struct iub_sim_stream_check chk;
	static char buf[MIB];
	size_t have = 0, total = 0;
	double t0 = sim_now();
	ssize_t n;

	iub_sim_stream_check_init(&chk);
	for (;;) {
		n = read(0, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
		total += n;
		/* Keep a partial word for the next round. */
		if (step == 1)
			iub_sim_stream_check_buf(&chk, buf, have & ~3UL);
		else
			check_step(&chk, buf, have & ~3UL, step);
		memmove(buf, buf + (have & ~3UL), have & 3);
		have &= 3;
	}
	printf("# %zu bytes in %.2f s, %llu words, %llu mismatches\n", total,
	       sim_now() - t0, (unsigned long long)chk.words,
	       (unsigned long long)chk.mismatches);
	if (chk.mismatches)
		printf("not ok - first bad word %llu: expected 0x%08x got 0x%08x\n",
		       (unsigned long long)chk.first_bad, chk.first_expected,
		       chk.first_got);
	else if (total < min_bytes)
		printf("not ok - only %zu of %zu bytes\n", total, min_bytes);
	else
		printf("ok - stream verified\n");
	return chk.mismatches || total < min_bytes;
}

/* BYTES of the stream from word 0 to stdout; 0 or 1 */
static int write_stream(unsigned long long bytes)
{
	static unsigned char buf[MIB];
	__u32 next = 0;
	size_t n, off;
	ssize_t w;

	while (bytes) {
		n = bytes < sizeof(buf) ? bytes : sizeof(buf);
		next = iub_sim_stream_fill(buf, (n + 3) / 4, next);
		for (off = 0; off < n; off += w) {
			w = write(1, buf + off, n - off);
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w <= 0)
				return 1;
		}
		bytes -= n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--stream"))
		return write_stream(strtoull(argv[2], NULL, 0));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--verify-stdin"))
		return verify_stdin(strtoull(argv[2], NULL, 0),
				    argc == 4 ? strtoul(argv[3], NULL, 0) : 1);
	return test_harness_run(argc, argv);
}
