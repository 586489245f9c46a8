// SPDX-License-Identifier: GPL-2.0
/*
 * cancel-unplug: a PORT_CANCEL that arrives while the converter's removal
 * is cancelling the same port must not use the DMA channel after the
 * removal gave it back.
 *
 * The simulated channel drains slowly (sync_delay_ms): the removal sits
 * in its own dmaengine_terminate_sync() while this program's PORT_CANCEL
 * (the file still owns the port at that point) queues up behind it. When
 * the removal's cancel ends, both go on at once: the removal to give the
 * channel back, the PORT_CANCEL to terminate it. The simulated provider
 * reports "BUG:" if the channel is given back while a consumer is still
 * in its synchronize, or synchronized once nobody holds it; the harness
 * fails the test on that line. Several rounds, since the two race once
 * the first cancel ends.
 *
 * Exit status 0: every round's cancel returned (a count or ESHUTDOWN), the
 * removal finished, the file then gets ESHUTDOWN, the converters came back.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "iub_test.h"
#include "dmabuf_util.h"
#include "sim_util.h"

#define ROUNDS 4
#define SYNC_DELAY_MS 400

/* consumers inside the channel's synchronize (the info file's in_sync) */
static int sim_in_sync(unsigned int chan)
{
	char path[96], line[128];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/iub-sim-dma/chan%u/info",
		 chan);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "in_sync: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int round_trip(int round, const char *src)
{
	struct iub_port_claim c = { 0 };
	struct iub_transfer t = { .length = 4096 };
	char cmd[512];
	struct dmabuf b;
	int fd, port, h, r, cancelled, st, i;
	pid_t pid;

	fd = iub_test_open();
	if (fd < 0 || dmabuf_create(&b, DMABUF_UDMABUF, 4096))
		return 2;
	h = iub_test_attach(fd, b.fd);
	port = iub_test_claim(fd, SIM_ADC0);
	if (h < 0 || port < 0) {
		printf("not ok - round %d: attach %d, claim %d\n", round, h, port);
		return 1;
	}
	if (sim_set(SIM_CH_ADC0, "sync_delay_ms", SYNC_DELAY_MS)) {
		printf("not ok - round %d: no sync_delay_ms knob\n", round);
		return 1;
	}

	/* the converters' driver goes, as in fault-unplug */
	pid = fork();
	if (pid < 0)
		return 2;
	if (!pid) {
		execl("/bin/sh", "sh", "-c",
		      "if grep -q '^iub_sim_adc_dmabuf ' /proc/modules; then rmmod iub_sim_adc_dmabuf || exit 1; fi; exec rmmod iub_sim_iio",
		      (char *)NULL);
		_exit(127);
	}
	/* wait until the removal is inside its terminate_sync */
	for (i = 0; i < 2000 && sim_in_sync(SIM_CH_ADC0) < 1; i++)
		usleep(2000);
	if (sim_in_sync(SIM_CH_ADC0) < 1) {
		printf("not ok - round %d: the removal never synchronized the channel\n",
		       round);
		return 1;
	}
	c.port = port;
	cancelled = iub_test_ioctl(fd, IUB_IOC_PORT_CANCEL, &c);
	if (cancelled < 0 && cancelled != -ESHUTDOWN) {
		printf("not ok - round %d: PORT_CANCEL during the removal: %d\n",
		       round, cancelled);
		return 1;
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("not ok - round %d: rmmod of the converters failed\n", round);
		return 1;
	}
	t.handle = h;
	t.port = port;
	r = iub_test_ioctl(fd, IUB_IOC_TRANSFER, &t);
	if (r != -ESHUTDOWN) {
		printf("not ok - round %d: transfer after the removal: %d, not ESHUTDOWN\n",
		       round, r);
		return 1;
	}
	close(fd);
	dmabuf_destroy(&b);
	sim_set(SIM_CH_ADC0, "sync_delay_ms", 0);

	snprintf(cmd, sizeof(cmd), "sh %s/sim/iub-sim-load.sh", src);
	if (run(cmd)) {
		printf("not ok - round %d: reloading the converters\n", round);
		return 1;
	}
	printf("ok %d - PORT_CANCEL during the removal returned %d; the removal ended, the converters came back\n",
	       round, cancelled);
	return 0;
}

int main(void)
{
	const char *src = getenv("IUB_GUEST_SRC");
	int round, ret = 0;

	if (!src) {
		printf("not ok - IUB_GUEST_SRC is not set\n");
		return 2;
	}
	printf("1..%d\n", ROUNDS);
	for (round = 1; round <= ROUNDS && !ret; round++)
		ret = round_trip(round, src);
	sim_set(SIM_CH_ADC0, "sync_delay_ms", 0);
	return ret;
}
