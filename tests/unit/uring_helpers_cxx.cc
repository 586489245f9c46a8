// SPDX-License-Identifier: GPL-2.0
/*
 * uapi/iio_usb_bridge_uring.h as C++: every helper used once, compiled by
 * uring-helpers-cxx.sh with -std=c++17 and -std=c++20, -Wall -Wextra
 * -Wpedantic -Werror. Applications in C++ include the header as it is.
 */
#include <iio_usb_bridge_uring.h>

int iub_cxx_use_helpers(struct io_uring_sqe *sqe, int fd);

int iub_cxx_use_helpers(struct io_uring_sqe *sqe, int fd)
{
	struct iub_features f{};
	struct iub_port_claim c{};
	int ret;

	static_assert(sizeof(struct iub_port_claim) == IUB_CMD_SIZE_MAX,
		      "a block is IUB_CMD_SIZE_MAX bytes");
	iub_prep_get_features(sqe, fd, &f);
	iub_prep_nop(sqe, fd, IUB_NOP_ASYNC, 1);
	iub_prep_transfer(sqe, fd, 0, 1, 0, 4096, IUB_XFER_NO_SYNC);
	iub_prep_route(sqe, fd, 0, 1, 2, 0, 4096, IUB_ROUTE_ZLP);
	c.port = 1;
	ret = iub_prep_cmd(sqe, fd, IUB_IOC_PORT_CANCEL, &c, sizeof(c));
	if (ret)
		return ret;
	return iub_prep_cmd(sqe, fd, IUB_IOC_PORT_CANCEL, nullptr, 0);
}
