/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iio-usb-bridge: tracepoints of the transfer path.
 *
 *   iub_xfer_submit    a transfer was accepted and queued
 *   iub_xfer_start     it was handed to the port's hardware
 *   iub_xfer_complete  it ended; latency is from submission
 *   iub_stream_route   a route of a stream ended, before it is routed again
 *   iub_stream_end     a stream ended
 *   iub_port_gap       a transfer's start ended a gap of its converter port:
 *                      gap_ns with nothing running before it (iub_port.c)
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iio_usb_bridge

#if !defined(_IUB_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IUB_TRACE_H

#include <linux/tracepoint.h>

#include "iub_priv.h"

TRACE_EVENT(iub_xfer_submit,
	TP_PROTO(struct iub_xfer *x, u32 handle),
	TP_ARGS(x, handle),
	TP_STRUCT__entry(
		__field(u32, port)
		__field(u32, handle)
		__field(u32, offset)
		__field(u32, length)
		__field(u32, flags)
	),
	TP_fast_assign(
		__entry->port = x->port->id;
		__entry->handle = handle;
		__entry->offset = x->offset;
		__entry->length = x->length;
		__entry->flags = x->flags;
	),
	TP_printk("port=%u handle=%u offset=%u length=%u flags=0x%x",
		  __entry->port, __entry->handle, __entry->offset,
		  __entry->length, __entry->flags)
);

TRACE_EVENT(iub_xfer_start,
	TP_PROTO(struct iub_xfer *x),
	TP_ARGS(x),
	TP_STRUCT__entry(
		__field(u32, port)
		__field(u32, length)
	),
	TP_fast_assign(
		__entry->port = x->port->id;
		__entry->length = x->length;
	),
	TP_printk("port=%u length=%u", __entry->port, __entry->length)
);

TRACE_EVENT(iub_xfer_complete,
	TP_PROTO(struct iub_xfer *x, int result, s64 latency_ns),
	TP_ARGS(x, result, latency_ns),
	TP_STRUCT__entry(
		__field(u32, port)
		__field(int, result)
		__field(s64, latency_ns)
	),
	TP_fast_assign(
		__entry->port = x->port->id;
		__entry->result = result;
		__entry->latency_ns = latency_ns;
	),
	TP_printk("port=%u result=%d latency_ns=%lld", __entry->port,
		  __entry->result, __entry->latency_ns)
);

TRACE_EVENT(iub_stream_route,
	TP_PROTO(u32 to, int result, u64 moved),
	TP_ARGS(to, result, moved),
	TP_STRUCT__entry(
		__field(u32, to)
		__field(int, result)
		__field(u64, moved)
	),
	TP_fast_assign(
		__entry->to = to;
		__entry->result = result;
		__entry->moved = moved;
	),
	TP_printk("to=%u result=%d moved=%llu", __entry->to, __entry->result,
		  __entry->moved)
);

TRACE_EVENT(iub_stream_end,
	TP_PROTO(u32 from, u32 to, int result, u64 moved),
	TP_ARGS(from, to, result, moved),
	TP_STRUCT__entry(
		__field(u32, from)
		__field(u32, to)
		__field(int, result)
		__field(u64, moved)
	),
	TP_fast_assign(
		__entry->from = from;
		__entry->to = to;
		__entry->result = result;
		__entry->moved = moved;
	),
	TP_printk("from=%u to=%u result=%d moved=%llu", __entry->from,
		  __entry->to, __entry->result, __entry->moved)
);

TRACE_EVENT(iub_port_gap,
	TP_PROTO(struct iub_port *port, s64 gap_ns),
	TP_ARGS(port, gap_ns),
	TP_STRUCT__entry(
		__field(u32, port)
		__field(s64, gap_ns)
		__field(u64, gaps)
	),
	TP_fast_assign(
		__entry->port = port->id;
		__entry->gap_ns = gap_ns;
		__entry->gaps = port->gaps;
	),
	TP_printk("port=%u gap_ns=%lld gaps=%llu", __entry->port,
		  __entry->gap_ns, __entry->gaps)
);

#endif /* _IUB_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE iub_trace
#include <trace/define_trace.h>
