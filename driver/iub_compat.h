/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iio-usb-bridge: the few kernel interfaces that changed after 6.12.
 *
 * The module targets Debian's 6.12 kernel; this header keeps it building on
 * newer kernels. Each wrapper names the release that changed the interface.
 */
#ifndef _IUB_COMPAT_H
#define _IUB_COMPAT_H

#include <linux/version.h>
#include <linux/io_uring/cmd.h>
#include <linux/sched/signal.h>

/*
 * 6.18 dropped the res2 argument of io_uring_cmd_done() (commit
 * ef9f603fd3d4; io_uring_cmd_done32() carries it now); 6.12 still takes it.
 */
static inline void iub_uring_cmd_done(struct io_uring_cmd *cmd, ssize_t ret,
				      u64 res2, unsigned int issue_flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
	io_uring_cmd_done32(cmd, ret, res2, issue_flags);
#else
	io_uring_cmd_done(cmd, ret, res2, issue_flags);
#endif
}

/* 6.13 turned the namespace argument of MODULE_IMPORT_NS() into a string. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define IUB_IMPORT_NS(ns)	MODULE_IMPORT_NS(#ns)
#else
#define IUB_IMPORT_NS(ns)	MODULE_IMPORT_NS(ns)
#endif

/*
 * io_uring wakes a task for its task work with TIF_NOTIFY_SIGNAL, which
 * signal_pending() reports like a signal. Newer kernels, and 6.12.y from
 * the stable series (Debian's 6.12.117 among them), let a task keep it from
 * interrupting its waits (PF_NO_NOTIFY_SIGNAL). Without it these do
 * nothing, and iub_req_wait() tells the notification from a signal itself.
 */
#ifdef PF_NO_NOTIFY_SIGNAL
static inline unsigned int iub_no_notify_signal_save(void)
{
	return no_notify_signal_save();
}

static inline void iub_no_notify_signal_restore(unsigned int flags)
{
	no_notify_signal_restore(flags);
}
#else
static inline unsigned int iub_no_notify_signal_save(void)
{
	return 0;
}

static inline void iub_no_notify_signal_restore(unsigned int flags)
{
}
#endif

#endif /* _IUB_COMPAT_H */
