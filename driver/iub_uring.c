// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: the io_uring entry point.
 *
 * IORING_OP_URING_CMD carries a bridge command in a plain 64-byte SQE:
 * sqe->cmd_op is the command number, sqe->cmd holds its argument block
 * (16 bytes). Synchronous commands post their CQE on return; asynchronous
 * ones return -EIOCBQUEUED and post it later from task work. Commands that
 * can stay in flight indefinitely are marked cancelable, so that ring exit
 * and task exit end them (IO_URING_F_CANCEL). A command that would have to
 * wait for a lock where io_uring issues it (IO_URING_F_NONBLOCK) is issued
 * later by the file's worker, in order (iub_defer.c).
 */
#include <linux/errno.h>
#include <linux/io_uring/cmd.h>
#include <linux/string.h>

#include "iub_compat.h"
#include "iub_priv.h"

/**
 * struct iub_uring_pdu - what the bridge keeps in io_uring_cmd.pdu
 * @req: the request of an asynchronous command; set in issue context
 *	before the request can complete, valid until the CQE is posted
 */
struct iub_uring_pdu {
	struct iub_req *req;
};

static struct iub_uring_pdu *iub_pdu(struct io_uring_cmd *ioucmd)
{
	return io_uring_cmd_to_pdu(ioucmd, struct iub_uring_pdu);
}

/**
 * iub_uring_attach() - link a new request to its io_uring command
 * @req: the request, with @req->ioucmd set
 * @issue_flags: the issue flags of the command
 *
 * Called from iub_req_alloc() in issue context, before the request is
 * visible to anything that could complete it.
 */
void iub_uring_attach(struct iub_req *req, unsigned int issue_flags)
{
	iub_pdu(req->ioucmd)->req = req;
	if (req->ops->cancel)
		io_uring_cmd_mark_cancelable(req->ioucmd, issue_flags);
}

static void iub_uring_task_done(struct io_uring_cmd *ioucmd,
				unsigned int issue_flags)
{
	struct iub_req *req = iub_pdu(ioucmd)->req;

	/*
	 * Posting the CQE also takes the command off io_uring's cancelable
	 * list, under the ring lock that the cancel path holds: after this,
	 * no cancel can reach the request, and it can be freed.
	 */
	iub_uring_cmd_done(ioucmd, req->result, req->result2, issue_flags);
	iub_req_put(req);
}

/**
 * iub_uring_complete() - deliver the result of a completed request
 * @req: the request, linked to an io_uring command
 *
 * Any context: the CQE is posted from the submitter's task work, never
 * from the (possibly hard IRQ) context of the completion.
 */
void iub_uring_complete(struct iub_req *req)
{
	io_uring_cmd_do_in_task_lazy(req->ioucmd, iub_uring_task_done);
}

/*
 * Copy the argument block out of the SQE, once. The SQE is shared with
 * userspace, which may rewrite it at any time. Bytes past the block's size
 * must be zero, so that they can carry meaning in a later version.
 */
static int iub_uring_copy_arg(struct iub_cmd *cmd, const void *sqe_cmd,
			      unsigned int size)
{
	const u64 *src = sqe_cmd;
	u64 words[IUB_CMD_SIZE_MAX / sizeof(u64)];
	unsigned int i;

	BUILD_BUG_ON(sizeof(words) != sizeof(cmd->arg));
	for (i = 0; i < ARRAY_SIZE(words); i++)
		words[i] = READ_ONCE(src[i]);
	if (memchr_inv((u8 *)words + size, 0, sizeof(words) - size))
		return -EINVAL;
	memcpy(&cmd->arg, words, sizeof(words));
	return 0;
}

/**
 * iub_uring_cmd() - the ->uring_cmd file operation
 * @ioucmd: the io_uring command
 * @issue_flags: IO_URING_F_* flags of this issue
 *
 * Return: the command's result (posted as the CQE at once), or -EIOCBQUEUED
 * when the CQE comes later.
 */
int iub_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct iub_cmd_desc *desc;
	struct iub_cmd cmd = {
		.ctx = ioucmd->file->private_data,
		.op = ioucmd->cmd_op,
		.ioucmd = ioucmd,
		.issue_flags = issue_flags,
		.nowait = !!(issue_flags & IO_URING_F_NONBLOCK),
	};
	int ret;

	if (unlikely(issue_flags & IO_URING_F_CANCEL)) {
		iub_req_cancel(iub_pdu(ioucmd)->req);
		return 0;
	}

	desc = iub_cmd_lookup(cmd.op);
	if (!desc)
		return -ENOTTY;
	ret = iub_uring_copy_arg(&cmd, io_uring_sqe_cmd(ioucmd->sqe),
				 _IOC_SIZE(cmd.op));
	if (ret)
		return ret;
	/* behind the file's commands that wait to be issued, in order */
	if (!desc->user_ctx && iub_defer_pending(cmd.ctx))
		return iub_defer(&cmd);
	ret = desc->handle(&cmd);
	/* it would have to wait: issued later, in order, where it may */
	if (ret == -EAGAIN && cmd.nowait && !desc->user_ctx)
		return iub_defer(&cmd);
	return ret;
}
