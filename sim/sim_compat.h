/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences the simulated board has to bridge. Debian's
 * 6.12 is the target; these keep the modules building on newer kernels.
 * All version tests of sim/ live here.
 */
#ifndef _IUB_SIM_COMPAT_H
#define _IUB_SIM_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/version.h>

/*
 * Symbol namespaces: EXPORT_SYMBOL_NS*() and MODULE_IMPORT_NS() take an
 * identifier up to 6.12 and a string literal from 6.13 on.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define IUB_SIM_NS				"IUB_SIM"
#define IUB_SIM_IMPORT_NS()			MODULE_IMPORT_NS("IUB_SIM")
#define IUB_SIM_IMPORT_IIO_DMAENGINE_NS()	MODULE_IMPORT_NS("IIO_DMAENGINE_BUFFER")
#define IUB_SIM_IMPORT_DMA_BUF_NS()		MODULE_IMPORT_NS("DMA_BUF")
#else
#define IUB_SIM_NS				IUB_SIM
#define IUB_SIM_IMPORT_NS()			MODULE_IMPORT_NS(IUB_SIM)
#define IUB_SIM_IMPORT_IIO_DMAENGINE_NS()	MODULE_IMPORT_NS(IIO_DMAENGINE_BUFFER)
#define IUB_SIM_IMPORT_DMA_BUF_NS()		MODULE_IMPORT_NS(DMA_BUF)
#endif

/**
 * iub_sim_hrtimer_setup() - initialize an hrtimer and set its function
 * @timer: the timer
 * @fn: its callback
 * @clock: clock to use
 * @mode: timer mode
 *
 * hrtimer_setup() replaced hrtimer_init() plus assignment in 6.13.
 */
static inline void iub_sim_hrtimer_setup(struct hrtimer *timer,
					 enum hrtimer_restart (*fn)(struct hrtimer *),
					 clockid_t clock, enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

#endif /* _IUB_SIM_COMPAT_H */
