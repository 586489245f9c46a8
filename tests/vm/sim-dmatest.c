// SPDX-License-Identifier: GPL-2.0
/*
 * sim-dmatest: the simulated dmaengine provider, driven directly by a
 * dmaengine consumer (the test fixture sim/tests/iub_sim_dmatest.ko):
 * slave_sg, dma_vec and cyclic transfers, residue, ordering, injected
 * errors, stalls and delays; the DAC's channel verifying what it consumed;
 * the ADC's rate following sampling_frequency; the debugfs knobs.
 *
 * Loads the fixture from $IUB_GUEST_KMOD/sim/tests (the modules of the
 * guest's architecture; else $IUB_GUEST_SRC, or IUB_SIM_DMATEST_KO)
 * and unloads it at the end.
 */
#include <sys/syscall.h>

#include "iub_harness.h"
#include "sim-iio.h"

#define FIXTURE_DIR "/sys/kernel/debug/iub-sim-dmatest"

/* Run the fixture's test @name ("name" or "name arg"), print its log. */
static int dt_run(const char *name)
{
	char log[16384];
	int err;

	err = sim_write_file(FIXTURE_DIR "/run", name);
	if (!sim_read_file(FIXTURE_DIR "/log", log, sizeof(log)))
		printf("%s", log);
	printf("\n");
	return err;
}

#define DT_TEST(name)				\
	TEST(name)				\
	{					\
		ASSERT_EQ(0, dt_run(#name));	\
	}

DT_TEST(caps)
DT_TEST(slave_sg)
DT_TEST(dma_vec)
DT_TEST(cyclic)
DT_TEST(residue)
DT_TEST(order)
DT_TEST(error)
DT_TEST(stall)
DT_TEST(delay)
DT_TEST(terminate)

/*
 * The DAC's channel counts and verifies; its IIO attributes show it. The
 * fixture claims the channel as the bridge would: use a DAC whose channel
 * the bridge does not hold.
 */
TEST(dac_reports_mismatches)
{
	char dir[256], p[512], label[64], cmd[96];

	if (sim_iio_find_free("iub-sim-dac", label, sizeof(label), dir,
			      sizeof(dir)) < 0)
		SKIP(return, "every simulated DAC's channel is claimed");
	snprintf(cmd, sizeof(cmd), "dac %s", label);
	ASSERT_EQ(0, dt_run(cmd));
	EXPECT_EQ(2 * 1048576, sim_read_num(sim_attr(p, sizeof(p), dir,
						     "sim_bytes")));
	EXPECT_EQ(2, sim_read_num(sim_attr(p, sizeof(p), dir,
					   "sim_mismatches")));
	EXPECT_EQ(2, sim_read_num(sim_chan_file(p, sizeof(p), dir,
						"mismatches")));
	/* Writing the seed restarts the stream and its counters. */
	ASSERT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), dir, "sim_seed"),
				    "0x03000000"));
	EXPECT_EQ(0x03000000, sim_read_num(sim_chan_file(p, sizeof(p), dir,
							 "seed")));
	EXPECT_EQ(0, sim_read_num(sim_attr(p, sizeof(p), dir,
					   "sim_mismatches")));
	EXPECT_EQ(0, sim_read_num(sim_attr(p, sizeof(p), dir, "sim_bytes")));
}

/* sampling_frequency sets the rate of the ADC's DMA channel. */
TEST(adc_sampling_frequency)
{
	char dir[256], p[512], log[4096], label[64], cmd[96];
	long long rate, bytes, ms;
	const char *s;

	if (sim_iio_find_free("iub-sim-adc", label, sizeof(label), dir,
			      sizeof(dir)) < 0)
		SKIP(return, "every simulated ADC's channel is claimed");
	/* Two channels of 4 bytes: 65536 Hz is 512 KiB/s. */
	ASSERT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), dir,
					     "sampling_frequency"), "65536"));
	EXPECT_EQ(65536, sim_read_num(sim_attr(p, sizeof(p), dir,
					       "sampling_frequency")));
	EXPECT_EQ(524288, sim_read_num(sim_chan_file(p, sizeof(p), dir,
						     "rate")));
	snprintf(cmd, sizeof(cmd), "adc %s", label);
	EXPECT_EQ(0, dt_run(cmd));
	ASSERT_EQ(0, sim_read_file(FIXTURE_DIR "/log", log, sizeof(log)));
	s = strstr(log, "adc: rate ");
	ASSERT_NE(NULL, s);
	ASSERT_EQ(3, sscanf(s, "adc: rate %lld bytes/s, %lld bytes in %lld ms",
			    &rate, &bytes, &ms));
	EXPECT_EQ(524288, rate);
	/* 256 KiB at 512 KiB/s is 500 ms; the lower bound is what counts. */
	EXPECT_LE(480, ms);
	TH_LOG("%s: 256 KiB at 512 KiB/s in %lld ms", label, ms);
	EXPECT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), dir,
					     "sampling_frequency"), "0"));
	EXPECT_EQ(0, sim_read_num(sim_chan_file(p, sizeof(p), dir, "rate")));
}

/*
 * The converters' IIO buffers only select the scan: enabling one with a
 * single channel halves the DMA rate at the same sampling_frequency, and
 * read()/write() on them fail (the data goes through the DMA channel).
 */
static void scan_case(struct __test_metadata *_metadata, const char *prefix,
		      const char *dir_name)
{
	char dir[256], p[512], label[64], buf[64];
	int n, fd;

	if (sim_iio_find_free(prefix, label, sizeof(label), dir,
			      sizeof(dir)) < 0)
		SKIP(return, "every %s's channel is claimed", prefix);
	n = sim_iio_find(label, dir, sizeof(dir));
	ASSERT_LE(0, n);
	ASSERT_EQ(0, sim_iio_enable(dir, 0));
	ASSERT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), dir,
					     "sampling_frequency"), "1000"));
	EXPECT_EQ(8000, sim_read_num(sim_chan_file(p, sizeof(p), dir, "rate")));
	snprintf(buf, sizeof(buf), "buffer0/%s_voltage0_en", dir_name);
	ASSERT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), dir, buf), "1"));
	snprintf(buf, sizeof(buf), "buffer0/%s_voltage1_en", dir_name);
	ASSERT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), dir, buf), "0"));
	ASSERT_EQ(0, sim_iio_enable(dir, 1));
	EXPECT_EQ(1000, sim_read_num(sim_attr(p, sizeof(p), dir,
					      "sampling_frequency")));
	EXPECT_EQ(4000, sim_read_num(sim_chan_file(p, sizeof(p), dir, "rate")));

	snprintf(p, sizeof(p), "/dev/iio:device%d", n);
	fd = open(p, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	if (!strcmp(dir_name, "in")) {
		EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	} else {
		EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	}
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	/* Back to both channels and full speed. */
	ASSERT_EQ(0, sim_iio_enable(dir, 0));
	snprintf(buf, sizeof(buf), "buffer0/%s_voltage1_en", dir_name);
	ASSERT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), dir, buf), "1"));
	ASSERT_EQ(0, sim_iio_enable(dir, 1));
	ASSERT_EQ(0, sim_iio_enable(dir, 0));
	EXPECT_EQ(8000, sim_read_num(sim_chan_file(p, sizeof(p), dir, "rate")));
	ASSERT_EQ(0, sim_write_file(sim_attr(p, sizeof(p), dir,
					     "sampling_frequency"), "0"));
	TH_LOG("%s: scan of one channel halves the rate", label);
}

TEST(adc_scan_sets_rate)
{
	scan_case(_metadata, "iub-sim-adc", "in");
}

TEST(dac_scan_sets_rate)
{
	scan_case(_metadata, "iub-sim-dac", "out");
}

/* The debugfs knobs: values round-trip, bad values are refused. */
TEST(debugfs_knobs)
{
	static const char * const knobs[] = {
		"rate", "fail_next", "fail_result", "stall", "delay_us",
	};
	const char *c = SIM_DMA_DEBUGFS "/chan7/";
	char p[512], info[4096];
	unsigned int i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", c, knobs[i]);
		ASSERT_EQ(0, sim_write_file(p, "2"));
		/* stall is a flag */
		EXPECT_EQ(strcmp(knobs[i], "stall") ? 2 : 1, sim_read_num(p))
			TH_LOG("%s", knobs[i]);
	}
	snprintf(p, sizeof(p), "%sfail_result", c);
	EXPECT_EQ(-EINVAL, sim_write_file(p, "0"));
	EXPECT_EQ(-EINVAL, sim_write_file(p, "4"));
	snprintf(p, sizeof(p), "%sseed", c);
	ASSERT_EQ(0, sim_write_file(p, "0x12345678"));
	EXPECT_EQ(0x12345678, sim_read_num(p));
	EXPECT_EQ(-EINVAL, sim_write_file(p, "0x100000000"));
	snprintf(p, sizeof(p), "%sinfo", c);
	ASSERT_EQ(0, sim_read_file(p, info, sizeof(info)));
	EXPECT_NE(NULL, strstr(info, "seed:             0x12345678"));
	EXPECT_NE(NULL, strstr(info, "stall:            1"));
	EXPECT_NE(NULL, strstr(info, "iub-sim-dmatest:chan7"));

	/* Back to the defaults. */
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", c, knobs[i]);
		ASSERT_EQ(0, sim_write_file(p, strcmp(knobs[i], "fail_result") ?
					    "0" : "3"));
	}
	snprintf(p, sizeof(p), "%sseed", c);
	ASSERT_EQ(0, sim_write_num(p, 7LL << 24));
	ASSERT_EQ(0, sim_read_file(SIM_DMA_DEBUGFS "/map", info, sizeof(info)));
	EXPECT_NE(NULL, strstr(info, "chan0 iub-sim-adc.0 rx"));
	EXPECT_NE(NULL, strstr(info, "chan2 iub-sim-dac.0 tx"));
}

static const char *dt_ko(char *buf, size_t size)
{
	const char *ko = getenv("IUB_SIM_DMATEST_KO");
	const char *src = getenv("IUB_GUEST_KMOD");

	if (!src)
		src = getenv("IUB_GUEST_SRC");
	if (ko)
		return ko;
	snprintf(buf, size, "%s/sim/tests/iub_sim_dmatest.ko", src ? src : ".");
	return buf;
}

static pid_t dt_main_pid;

/* test_harness_run() exits: unload the fixture from an atexit handler. */
static void dt_unload(void)
{
	if (getpid() != dt_main_pid)
		return;
	if (syscall(SYS_delete_module, "iub_sim_dmatest", O_NONBLOCK)) {
		printf("# cannot unload iub_sim_dmatest: %s\n", strerror(errno));
		_exit(1);
	}
}

int main(int argc, char **argv)
{
	char path[512];
	int fd;

	if (sim_debugfs()) {
		printf("1..0 # SKIP the simulated DMA provider is not loaded\n");
		return KSFT_SKIP;
	}
	fd = open(dt_ko(path, sizeof(path)), O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)) {
		printf("Bail out! cannot load %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	dt_main_pid = getpid();
	atexit(dt_unload);

	return test_harness_run(argc, argv);
}
