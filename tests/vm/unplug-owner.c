// SPDX-License-Identifier: GPL-2.0
/*
 * unplug-owner: holds a claim on a converter port, idle, while fault-unplug
 * removes the converter; then checks what the file that held the port
 * gets: ESHUTDOWN for a transfer and a cancel (not EPERM), EPERM for a
 * release (the claim is gone). Prints "claimed" once it holds the port,
 * then waits for a line on stdin. Exit status 0: as documented.
 */
#include "iub_test.h"
#include "dmabuf_util.h"
#include "sim_util.h"

int main(void)
{
	struct dmabuf b;
	struct iub_port_claim c = { 0 };
	struct iub_transfer t = { .length = 4096 };
	char line[16];
	int fd = iub_test_open(), bad = 0, r, h, port;

	if (fd < 0 || dmabuf_create(&b, DMABUF_UDMABUF, 4096))
		return 2;
	h = iub_test_attach(fd, b.fd);
	port = iub_test_claim(fd, SIM_ADC1);
	if (h < 0 || port < 0)
		return 2;
	t.handle = h;
	c.port = t.port = port;
	printf("claimed\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	r = iub_test_ioctl(fd, IUB_IOC_TRANSFER, &t);
	if (r != -ESHUTDOWN) {
		printf("transfer: %d, not ESHUTDOWN\n", r);
		bad = 1;
	}
	r = iub_test_ioctl(fd, IUB_IOC_PORT_CANCEL, &c);
	if (r != -ESHUTDOWN) {
		printf("cancel: %d, not ESHUTDOWN\n", r);
		bad = 1;
	}
	r = iub_test_ioctl(fd, IUB_IOC_PORT_RELEASE, &c);
	if (r != -EPERM) {
		printf("release: %d, not EPERM\n", r);
		bad = 1;
	}
	close(fd);
	dmabuf_destroy(&b);
	return bad;
}
