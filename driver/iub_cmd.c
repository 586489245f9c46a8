// SPDX-License-Identifier: GPL-2.0
/*
 * iio-usb-bridge: the command table, one handler per command, and the
 * blocking ioctl entry point.
 *
 * Handlers see only the kernel copy of the argument block (struct iub_cmd).
 * They check every field first (unknown flags and nonzero reserved fields:
 * -EINVAL) and only then create a request, so that a request, once created,
 * always ends in iub_req_complete().
 */
#include <linux/errno.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>

#include "iub_compat.h"
#include "iub_priv.h"

/*
 * Write @ksize bytes of @kdata to the output buffer of a query and clear
 * the rest of it. Returns the number of bytes of @kdata written.
 */
static int iub_query_copy_out(const struct iub_query *q, const void *kdata,
			      size_t ksize, size_t min_size)
{
	void __user *udata = u64_to_user_ptr(q->data);
	size_t n;

	if (q->flags)
		return -EINVAL;
	if (q->size < min_size || q->size > IUB_FEATURES_SIZE_MAX)
		return -EINVAL;
	n = min_t(size_t, q->size, ksize);
	if (copy_to_user(udata, kdata, n))
		return -EFAULT;
	if (q->size > n && clear_user(udata + n, q->size - n))
		return -EFAULT;
	return n;
}

static int iub_cmd_get_features(struct iub_cmd *cmd)
{
	struct iub_features f = {
		.uapi_version = IUB_UAPI_VERSION,
		.size = sizeof(f),
		.features = IUB_FEAT_URING_CMD | IUB_FEAT_NOP |
			    IUB_FEAT_DMABUF | IUB_FEAT_CONVERTER_PORTS |
			    IUB_FEAT_TRANSFER | IUB_FEAT_CYCLIC |
			    IUB_FEAT_IMPLICIT_SYNC | IUB_FEAT_USB_PORTS |
			    IUB_FEAT_ROUTE | IUB_FEAT_PORT_EVENTS |
			    IUB_FEAT_STREAM | IUB_FEAT_OVERRUNS,
		.max_inflight = iub_max_inflight,
		.max_buffers = iub_max_buffers,
		.nr_ports = iub_ports_count(),
	};

	return iub_query_copy_out(&cmd->arg.query, &f, sizeof(f),
				  IUB_FEATURES_SIZE_VER1);
}

/**
 * struct iub_nop_req - the request of an asynchronous IUB_IOC_NOP
 * @req: the request
 * @work: completes it from a worker (%IUB_NOP_ASYNC)
 * @value: the value it completes with
 */
struct iub_nop_req {
	struct iub_req req;
	struct work_struct work;
	u32 value;
};

static void iub_nop_work(struct work_struct *work)
{
	struct iub_nop_req *n = container_of(work, struct iub_nop_req, work);

	iub_req_complete(&n->req, n->value);
}

static void iub_nop_park_cancel(struct iub_req *req)
{
	iub_req_complete(req, -ECANCELED);
}

static const struct iub_req_ops iub_nop_async_ops = {
	/* ends on its own, from the worker, within microseconds */
};

static const struct iub_req_ops iub_nop_park_ops = {
	.cancel = iub_nop_park_cancel,
};

static int iub_cmd_nop(struct iub_cmd *cmd)
{
	const struct iub_nop *nop = &cmd->arg.nop;
	struct iub_nop_req *n;
	struct iub_req *req;

	if (nop->flags & ~IUB_NOP_FLAGS)
		return -EINVAL;
	if ((nop->flags & IUB_NOP_FLAGS) == IUB_NOP_FLAGS)
		return -EINVAL;
	if (nop->reserved || nop->value > INT_MAX)
		return -EINVAL;
	if (!nop->flags)
		return nop->value;

	req = iub_req_alloc(cmd, nop->flags & IUB_NOP_PARK ?
			    &iub_nop_park_ops : &iub_nop_async_ops,
			    sizeof(*n));
	if (IS_ERR(req))
		return PTR_ERR(req);
	n = container_of(req, struct iub_nop_req, req);
	n->value = nop->value;
	iub_req_commit(cmd, req);
	/* IUB_NOP_PARK: nothing to start; only a cancel ends it */
	if (nop->flags & IUB_NOP_PARK) {
		iub_req_arm(req);	/* may end it: the last use of @req */
		return -EIOCBQUEUED;
	}
	INIT_WORK(&n->work, iub_nop_work);
	queue_work(iub_wq, &n->work);
	return -EIOCBQUEUED;
}

static int iub_cmd_buf_attach(struct iub_cmd *cmd)
{
	const struct iub_buf_attach *a = &cmd->arg.attach;

	if (a->flags || a->reserved)
		return -EINVAL;
	return iub_buf_attach(cmd->ctx, a->fd, cmd->nowait);
}

static int iub_cmd_buf_detach(struct iub_cmd *cmd)
{
	const struct iub_buf_detach *d = &cmd->arg.detach;

	if (d->flags || d->reserved)
		return -EINVAL;
	/* unmapping takes the reservation lock: not where io_uring issues */
	if (cmd->nowait)
		return -EAGAIN;
	return iub_buf_detach(cmd->ctx, d->handle);
}

static int iub_cmd_get_ports(struct iub_cmd *cmd)
{
	return iub_ports_get_info(cmd->ctx, &cmd->arg.query);
}

static int iub_cmd_port_claim(struct iub_cmd *cmd)
{
	const struct iub_port_claim *c = &cmd->arg.claim;

	if (c->flags || c->reserved)
		return -EINVAL;
	/* mapping the file's buffers for the port may wait */
	if (cmd->nowait)
		return -EAGAIN;
	return iub_port_claim(cmd->ctx, c->port);
}

static int iub_cmd_port_release(struct iub_cmd *cmd)
{
	const struct iub_port_claim *c = &cmd->arg.claim;

	if (c->flags || c->reserved)
		return -EINVAL;
	return iub_port_release(cmd->ctx, c->port);
}

static int iub_cmd_port_cancel(struct iub_cmd *cmd)
{
	const struct iub_port_claim *c = &cmd->arg.claim;
	bool drain = c->flags & IUB_CANCEL_DRAIN;

	if ((c->flags & ~IUB_CANCEL_FLAGS) || c->reserved)
		return -EINVAL;
	/* stopping the hardware waits for it (a UDC's give-backs) */
	if (cmd->nowait && !drain)
		return -EAGAIN;
	return iub_port_cancel_cmd(cmd->ctx, c->port, drain);
}

/**
 * iub_event_req_complete() - end a waiting IUB_IOC_PORT_EVENT
 * @er: the request, from &struct iub_port_ops.event_wait
 * @result: the event (>= 0) or a negative errno
 *
 * Any context; for the port's kind, which calls it once per request it
 * was given: with an event, with -ECANCELED from its event_cancel, or with
 * -ESHUTDOWN when its function goes away.
 */
void iub_event_req_complete(struct iub_event_req *er, int result)
{
	iub_req_complete(&er->req, result);
}
EXPORT_SYMBOL_GPL(iub_event_req_complete);

static void iub_event_cancel(struct iub_req *req)
{
	struct iub_event_req *er = container_of(req, struct iub_event_req,
						req);

	er->port->ops->event_cancel(er->port, er);
}

static void iub_event_release(struct iub_req *req)
{
	iub_port_put(container_of(req, struct iub_event_req, req)->port);
}

static const struct iub_req_ops iub_event_ops = {
	.cancel = iub_event_cancel,
	.release = iub_event_release,
};

/*
 * IUB_IOC_PORT_EVENT: an event queued already is the result at once;
 * otherwise the command waits for the next one (the port's kind completes
 * it), or for a cancel.
 */
static int iub_cmd_port_event(struct iub_cmd *cmd)
{
	const struct iub_port_claim *c = &cmd->arg.claim;
	struct iub_event_req *er;
	struct iub_port *port;
	struct iub_req *req;
	int ret;

	if (c->flags & ~IUB_EVENT_FLAGS || c->reserved)
		return -EINVAL;
	port = iub_port_get_claimed(cmd->ctx, c->port);
	if (IS_ERR(port))
		return PTR_ERR(port);
	ret = -EOPNOTSUPP;
	if (port->ops->event_take)
		ret = port->ops->event_take(port);
	if (ret != -EAGAIN || (c->flags & IUB_EVENT_NOWAIT))
		goto out_put;

	req = iub_req_alloc(cmd, &iub_event_ops, sizeof(*er));
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto out_put;
	}
	er = container_of(req, struct iub_event_req, req);
	er->port = port;		/* the request's reference from here */
	INIT_LIST_HEAD(&er->node);
	iub_req_commit(cmd, req);
	/* an event may end it at once: hold it until it is armed */
	iub_req_get(req);
	port->ops->event_wait(port, er);
	iub_req_arm(req);
	iub_req_put(req);
	return -EIOCBQUEUED;

out_put:
	iub_port_put(port);
	return ret;
}

static const struct iub_cmd_desc iub_cmds[] = {
	/* these write the caller's memory or read its file table */
	[_IOC_NR(IUB_IOC_GET_FEATURES)] = {
		IUB_IOC_GET_FEATURES, iub_cmd_get_features, true
	},
	[_IOC_NR(IUB_IOC_NOP)] = { IUB_IOC_NOP, iub_cmd_nop },
	[_IOC_NR(IUB_IOC_BUF_ATTACH)] = {
		IUB_IOC_BUF_ATTACH, iub_cmd_buf_attach, true
	},
	[_IOC_NR(IUB_IOC_BUF_DETACH)] = {
		IUB_IOC_BUF_DETACH, iub_cmd_buf_detach
	},
	[_IOC_NR(IUB_IOC_GET_PORTS)] = {
		IUB_IOC_GET_PORTS, iub_cmd_get_ports, true
	},
	[_IOC_NR(IUB_IOC_PORT_CLAIM)] = {
		IUB_IOC_PORT_CLAIM, iub_cmd_port_claim
	},
	[_IOC_NR(IUB_IOC_PORT_RELEASE)] = {
		IUB_IOC_PORT_RELEASE, iub_cmd_port_release
	},
	[_IOC_NR(IUB_IOC_PORT_CANCEL)] = {
		IUB_IOC_PORT_CANCEL, iub_cmd_port_cancel
	},
	[_IOC_NR(IUB_IOC_TRANSFER)] = { IUB_IOC_TRANSFER, iub_xfer_submit },
	[_IOC_NR(IUB_IOC_ROUTE)] = { IUB_IOC_ROUTE, iub_route_submit },
	[_IOC_NR(IUB_IOC_PORT_EVENT)] = {
		IUB_IOC_PORT_EVENT, iub_cmd_port_event
	},
	/* reads the caller's memory */
	[_IOC_NR(IUB_IOC_STREAM)] = {
		IUB_IOC_STREAM, iub_stream_submit, true
	},
};

/**
 * iub_cmd_lookup() - find the table entry of a command number
 * @op: the number from ioctl() or sqe->cmd_op
 *
 * The whole number must match: type, number, direction and size.
 *
 * Return: the entry, or NULL for an unknown command (-ENOTTY).
 */
const struct iub_cmd_desc *iub_cmd_lookup(unsigned int op)
{
	unsigned int nr = _IOC_NR(op);

	BUILD_BUG_ON(sizeof(union iub_cmd_arg) != IUB_CMD_SIZE_MAX);
	if (_IOC_TYPE(op) != IUB_IOC_MAGIC || nr >= ARRAY_SIZE(iub_cmds))
		return NULL;
	nr = array_index_nospec(nr, ARRAY_SIZE(iub_cmds));
	if (!iub_cmds[nr].handle || iub_cmds[nr].op != op)
		return NULL;
	return &iub_cmds[nr];
}

/**
 * iub_ioctl() - the ->unlocked_ioctl file operation
 * @file: the open /dev/iio-usb-bridge
 * @op: the command number
 * @arg: user address of the argument block
 *
 * Runs a command to its end, after the io_uring commands of the file that
 * are still waiting to be issued (iub_defer.c): an asynchronous command is
 * waited for, and cancelled if a signal arrives first (io_uring's task-work notification of
 * the calling thread is no signal: it neither interrupts nor cancels).
 *
 * Return: the command's result.
 */
long iub_ioctl(struct file *file, unsigned int op, unsigned long arg)
{
	const struct iub_cmd_desc *desc = iub_cmd_lookup(op);
	struct iub_cmd cmd = {
		.ctx = file->private_data,
		.op = op,
	};
	struct iub_req *req;
	unsigned int flags;
	int ret;

	if (!desc)
		return -ENOTTY;
	if (copy_from_user(&cmd.arg, (void __user *)arg, _IOC_SIZE(op)))
		return -EFAULT;
	/*
	 * Completions of the caller's own io_uring commands wake it with a
	 * notification that waits take for a signal: keep them from ending
	 * a blocking transfer. Real signals still do.
	 */
	flags = iub_no_notify_signal_save();
	/* after the file's io_uring commands still waiting to be issued */
	ret = iub_defer_wait(cmd.ctx);
	if (ret) {
		iub_no_notify_signal_restore(flags);
		return ret;
	}
	ret = desc->handle(&cmd);
	if (ret == -EIOCBQUEUED) {
		req = cmd.req;
		ret = iub_req_wait(req);
		iub_req_put(req);
	}
	iub_no_notify_signal_restore(flags);
	return ret;
}
