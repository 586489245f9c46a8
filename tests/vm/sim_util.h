/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulated board as the bridge's tests see it: the default channel map
 * of iub_sim_dma (tests/vm/modules.list loads it) and its debugfs knobs.
 */
#ifndef _SIM_UTIL_H
#define _SIM_UTIL_H

#include <stdio.h>

#include "iub_test.h"

#define SIM_ADC0 "iub-sim-adc.0:rx"	/* channel 0 */
#define SIM_ADC1 "iub-sim-adc.1:rx"	/* channel 1 */
#define SIM_DAC0 "iub-sim-dac.0:tx"	/* channel 2 */
#define SIM_ABSENT "iub-sim-adc.7:rx"	/* configured, no such device */
#define SIM_CH_ADC0 0
#define SIM_CH_DAC0 2

/* Set a knob of a simulated channel (rate, stall, fail_next, reset...). */
static inline int sim_set(unsigned int chan, const char *knob,
			  unsigned long long v)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/iub-sim-dma/chan%u/%s",
		 chan, knob);
	return iub_test_write_file(path, v);
}

static inline unsigned long long sim_get(unsigned int chan, const char *knob)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/iub-sim-dma/chan%u/%s",
		 chan, knob);
	return iub_test_read_file(path);
}

/* Back to a fast, healthy channel. */
static inline void sim_restore(unsigned int chan)
{
	sim_set(chan, "stall", 0);
	sim_set(chan, "fail_next", 0);
	sim_set(chan, "delay_us", 0);
	sim_set(chan, "rate", 0);
	sim_set(chan, "sync_delay_ms", 0);
	sim_set(chan, "short_next", 0);
	sim_set(chan, "realtime", 0);
}

#endif /* _SIM_UTIL_H */
