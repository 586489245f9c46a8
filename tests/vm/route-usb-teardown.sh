#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# route-usb-teardown: a UDC unbind in the middle of ADC -> bulk IN routes
# ends them with ESHUTDOWN in stage 2 (iub names the stage); an injected
# ADC error ends one route in stage 1 and the stream goes on; no DMABUF is
# left behind.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
IUB=$IUB_GUEST_BUILD/tools/iub/iub
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
base=$($COUNT)

usb_setup dummy || fail "setup"
# nobody reads on the host: the routes' second stages stay queued
p0=$(cat /sys/kernel/debug/iub-sim-dma/chan0/produced_bytes)
$IUB stream -q -b 65536 -n 8 iub-sim-adc.0:rx usb0:in0 > /tmp/iub.out 2>&1 &
ipid=$!
# the routes are queued once the ADC moved data into the first buffers
for _ in $(seq 600); do
	[ "$(cat /sys/kernel/debug/iub-sim-dma/chan0/produced_bytes)" -gt "$p0" ] && break
	sleep 0.1
done
sleep 0.5
$GADGET unbind
wait $ipid
rc=$?
cat /tmp/iub.out
[ $rc = 1 ] || fail "iub exit status $rc"
grep -q "transport endpoint shutdown (stage 2: usb0:in0)" /tmp/iub.out || fail "no ESHUTDOWN in stage 2"
echo "ok - UDC unbind: routes end with ESHUTDOWN in stage 2"
usb_teardown

# an injected ADC error: iub reports stage 1 and stops
usb_setup dummy || fail "setup"
echo 1 > /sys/kernel/debug/iub-sim-dma/chan0/fail_next
TMPDIR=/run chroot /host "$RECV" --quiet --seconds 5 > /dev/null 2>&1 &
bounded "$IUB" stream -q -b 65536 -n 8 -B $((8 * 1048576)) iub-sim-adc.0:rx usb0:in0 > /tmp/iub.out 2>&1
rc=$?
wait
cat /tmp/iub.out
[ $rc = 1 ] || fail "iub exit status $rc"
grep -q "Input/output error (stage 1: iub-sim-adc.0:rx)" /tmp/iub.out || fail "no EIO in stage 1"
echo "ok - injected ADC error: EIO in stage 1"
usb_teardown

msg=$(dmabufs_back "$base") || fail "$msg"
echo "ok - no DMABUF left behind"
