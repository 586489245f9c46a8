// SPDX-License-Identifier: GPL-2.0
/*
 * The SQE helpers of uapi/iio_usb_bridge_uring.h produce exactly the SQE
 * the driver expects: IORING_OP_URING_CMD, cmd_op, the block in sqe->cmd,
 * and every other field zero (the kernel rejects a nonzero __pad1); and
 * iub_prep_cmd() refuses a block larger than IUB_CMD_SIZE_MAX instead of
 * cutting it short.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iio_usb_bridge_uring.h>

static int failures;

#define EXPECT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: expected %s\n", __FILE__,	\
			__LINE__, #cond);				\
		failures++;						\
	}								\
} while (0)

int main(void)
{
	struct io_uring_sqe sqe;
	struct iub_features f;
	struct iub_query q;
	struct iub_nop n;
	struct iub_transfer t;
	struct iub_route r;
	unsigned char big[IUB_CMD_SIZE_MAX + 1];
	unsigned char zero[IUB_CMD_SIZE_MAX] = { 0 };

	memset(&sqe, 0xa5, sizeof(sqe));
	iub_prep_get_features(&sqe, 7, &f);
	EXPECT(sqe.opcode == IORING_OP_URING_CMD);
	EXPECT(sqe.fd == 7);
	EXPECT(sqe.cmd_op == IUB_IOC_GET_FEATURES);
	EXPECT(sqe.__pad1 == 0);
	EXPECT(sqe.flags == 0 && sqe.ioprio == 0 && sqe.len == 0);
	EXPECT(sqe.uring_cmd_flags == 0);
	EXPECT(sqe.addr == 0 && sqe.buf_index == 0 && sqe.personality == 0);
	memcpy(&q, sqe.cmd, sizeof(q));
	EXPECT(q.data == (__u64)(unsigned long)&f);
	EXPECT(q.size == sizeof(f) && q.flags == 0);

	memset(&sqe, 0xa5, sizeof(sqe));
	iub_prep_nop(&sqe, 3, IUB_NOP_ASYNC, 42);
	EXPECT(sqe.cmd_op == IUB_IOC_NOP && sqe.__pad1 == 0);
	memcpy(&n, sqe.cmd, sizeof(n));
	EXPECT(n.flags == IUB_NOP_ASYNC && n.value == 42 && n.reserved == 0);

	memset(&sqe, 0xa5, sizeof(sqe));
	iub_prep_transfer(&sqe, 3, 5, 6, 4096, 8192, IUB_XFER_ZLP);
	EXPECT(sqe.cmd_op == IUB_IOC_TRANSFER && sqe.__pad1 == 0);
	memcpy(&t, sqe.cmd, sizeof(t));
	EXPECT(t.handle == 5 && t.port == 6 && t.flags == IUB_XFER_ZLP);
	EXPECT(t.offset == 4096 && t.length == 8192);

	memset(&sqe, 0xa5, sizeof(sqe));
	iub_prep_route(&sqe, 3, 5, 6, 7, 4096, 8192, IUB_ROUTE_ZLP);
	EXPECT(sqe.cmd_op == IUB_IOC_ROUTE && sqe.__pad1 == 0);
	memcpy(&r, sqe.cmd, sizeof(r));
	EXPECT(r.handle == 5 && r.from == 6 && r.to == 7);
	EXPECT(r.flags == IUB_ROUTE_ZLP);
	EXPECT(r.offset == 4096 && r.length == 8192);

	/* a short block: the rest of the 16 bytes cleared */
	memset(&sqe, 0xa5, sizeof(sqe));
	n.flags = 0;
	EXPECT(iub_prep_cmd(&sqe, 3, IUB_IOC_NOP, &n.flags, 4) == 0);
	EXPECT(sqe.fd == 3 && !memcmp(sqe.cmd, zero, IUB_CMD_SIZE_MAX));
	EXPECT(iub_prep_cmd(&sqe, 3, IUB_IOC_NOP, NULL, 0) == 0);

	/* too large: refused, errno set, the SQE harmless (fd -1, op 0) */
	memset(big, 0x5a, sizeof(big));
	memset(&sqe, 0xa5, sizeof(sqe));
	errno = 0;
	EXPECT(iub_prep_cmd(&sqe, 3, IUB_IOC_NOP, big, sizeof(big)) == -EINVAL);
	EXPECT(errno == EINVAL);
	EXPECT(sqe.opcode == IORING_OP_URING_CMD && sqe.fd == -1);
	EXPECT(sqe.cmd_op == 0 && sqe.__pad1 == 0);
	EXPECT(!memcmp(sqe.cmd, zero, IUB_CMD_SIZE_MAX));
	EXPECT(iub_prep_cmd(&sqe, 3, IUB_IOC_NOP, big, IUB_CMD_SIZE_MAX) == 0);
	EXPECT(sqe.fd == 3 && sqe.cmd[IUB_CMD_SIZE_MAX - 1] == 0x5a);

	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return EXIT_FAILURE;
	}
	printf("ok - SQE helpers\n");
	return 0;
}
