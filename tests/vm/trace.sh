#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# trace: the tracepoints follow every transfer: submit, start, complete
# with its latency; a failed transfer's completion carries its errno; a
# transfer that ends a gap of its port traces the gap.
set -u
fail() { echo "not ok - $*"; exit 1; }
T=/sys/kernel/tracing
IUB=$IUB_GUEST_BUILD/tools/iub/iub
grep -q " $T " /proc/mounts || mount -t tracefs nodev $T || fail "tracefs"
[ -d $T/events/iio_usb_bridge ] || fail "no iio_usb_bridge events"
echo > $T/trace
echo 1 > $T/events/iio_usb_bridge/enable
$IUB stream -q -b 65536 -n 4 -B 1048576 iub-sim-adc.0:rx - > /dev/null 2>&1 || fail "stream"
# one transfer at a time: the port idles between a CQE and the next
# submission, and the transfer that ends each such gap traces it
$IUB stream -q -b 65536 -n 1 -B 262144 iub-sim-adc.0:rx - > /dev/null 2>&1 || fail "stream -n 1"
echo 1 > /sys/kernel/debug/iub-sim-dma/chan0/fail_next
$IUB stream -q -b 65536 -n 1 -B 65536 iub-sim-adc.0:rx - > /dev/null 2>&1
echo 0 > $T/events/iio_usb_bridge/enable
cat $T/trace > /tmp/trace.txt
echo > $T/trace
for ev in iub_xfer_submit iub_xfer_start iub_xfer_complete; do
	n=$(grep -c "$ev:" /tmp/trace.txt)
	[ "$n" -ge 21 ] || fail "$n $ev events for 21 transfers"
done
n=$(grep -c "iub_port_gap: port=0 gap_ns=[1-9][0-9]* gaps=[1-9]" /tmp/trace.txt)
[ "$n" -ge 3 ] || fail "$n iub_port_gap events for 3 gaps: $(grep -m1 iub_port_gap /tmp/trace.txt)"
# right after the start of the transfer that ended it
grep -A1 "iub_xfer_start:" /tmp/trace.txt | grep -q "iub_port_gap:" ||
	fail "iub_port_gap does not follow an iub_xfer_start"
grep -q "iub_xfer_submit: port=0 handle=[0-9]* offset=0 length=65536 flags=0x0" /tmp/trace.txt ||
	fail "submit fields: $(grep -m1 iub_xfer_submit /tmp/trace.txt)"
grep -q "iub_xfer_complete: port=0 result=65536 latency_ns=[1-9]" /tmp/trace.txt ||
	fail "complete fields: $(grep -m1 iub_xfer_complete /tmp/trace.txt)"
grep -q "iub_xfer_complete: port=0 result=-5 " /tmp/trace.txt || fail "no EIO completion traced"
echo "ok - submit, start, complete and gaps traced, with latency and errors"
