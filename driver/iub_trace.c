// SPDX-License-Identifier: GPL-2.0
/* iio-usb-bridge: instantiate the tracepoints of iub_trace.h */
#define CREATE_TRACE_POINTS
#include "iub_trace.h"
