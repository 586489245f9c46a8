// SPDX-License-Identifier: GPL-2.0
/*
 * The SQE helpers of uapi/iio_usb_bridge_uring.h produce exactly the SQE
 * the driver expects: IORING_OP_URING_CMD, cmd_op, the block in sqe->cmd,
 * and every other field zero (the kernel rejects a nonzero __pad1).
 */
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

	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return EXIT_FAILURE;
	}
	printf("ok - SQE helpers\n");
	return 0;
}
