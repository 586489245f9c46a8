#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# route-usb-teardown: a UDC unbind in the middle of ADC -> bulk IN routes
# ends them with ESHUTDOWN in stage 2 (iub names the stage), and ends an
# in-kernel stream with ESHUTDOWN; an injected ADC error ends a route in
# stage 1, and a stream with EIO; no DMABUF is left behind.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
IUB=$IUB_GUEST_BUILD/tools/iub/iub
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
base=$($COUNT)

# unbind RECYCLE WHAT: iub stream (routes with --recycle, else one
# in-kernel stream) toward a host that reads nothing, then the UDC goes
unbind() {
	usb_setup dummy || fail "setup"
	# nobody reads on the host: the routes' second stages stay queued
	p0=$(cat /sys/kernel/debug/iub-sim-dma/chan0/produced_bytes)
	$IUB stream -q ${1:+"$1"} -b 65536 -n 8 iub-sim-adc.0:rx usb0:in0 > /tmp/iub.out 2>&1 &
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
	[ $rc = 1 ] || fail "$2: iub exit status $rc"
	usb_teardown
}
unbind --recycle routes
grep -q "transport endpoint shutdown (stage 2: usb0:in0)" /tmp/iub.out || fail "no ESHUTDOWN in stage 2"
echo "ok - UDC unbind: routes end with ESHUTDOWN in stage 2"
unbind "" stream
grep -q "the stream failed after .*transport endpoint shutdown" /tmp/iub.out || fail "stream: no ESHUTDOWN"
echo "ok - UDC unbind: the stream ends with ESHUTDOWN"

# an injected ADC error: iub reports stage 1 (routes), or the stream's EIO
for mode in --recycle ""; do
	usb_setup dummy || fail "setup"
	echo 1 > /sys/kernel/debug/iub-sim-dma/chan0/fail_next
	TMPDIR=/run chroot /host "$RECV" --quiet --seconds 5 > /dev/null 2>&1 &
	bounded "$IUB" stream -q ${mode:+"$mode"} -b 65536 -n 8 -B $((8 * 1048576)) iub-sim-adc.0:rx usb0:in0 > /tmp/iub.out 2>&1
	rc=$?
	wait
	cat /tmp/iub.out
	[ $rc = 1 ] || fail "iub $mode exit status $rc"
	if [ "$mode" ]; then
		grep -q "Input/output error (stage 1: iub-sim-adc.0:rx)" /tmp/iub.out || fail "no EIO in stage 1"
		echo "ok - injected ADC error: EIO in stage 1"
	else
		grep -q "the stream failed after 0 bytes: Input/output error" /tmp/iub.out || fail "stream: no EIO"
		echo "ok - injected ADC error: the stream ends with EIO"
	fi
	usb_teardown
done

# a capture cut short, routed to bulk IN on the simulated SG UDC: the USB
# stage is cut to the bytes captured (a copy of the range's cached segment
# table, which stays whole for the next routes); the UDC's host side gets
# every byte in order. 8 MiB + 9 KiB to the ADC, 9 KiB not captured (the
# cut inside a page).
for mode in --recycle ""; do
	usb_setup sim || fail "setup"
	usb_port_flags usb0:in0 | grep -q USB_SG || fail "IN not on the SG path"
	ep_reset
	echo 9216 > /sys/kernel/debug/iub-sim-dma/chan0/short_next
	bounded "$IUB" stream -q ${mode:+"$mode"} -b 65536 -n 8 \
		-B $((8 * 1048576 + 9216)) iub-sim-adc.0:rx usb0:in0 > /tmp/iub.out 2>&1
	rc=$?
	cat /tmp/iub.out
	[ $rc = 0 ] || fail "short capture ${mode:-stream}: iub exit status $rc"
	# the routes go on until the bytes went out; the stream ends at the
	# ADC's count, less what the short capture did not bring
	moved=$(sed -n 's/.*: \([0-9]*\) bytes in .*/\1/p' /tmp/iub.out)
	want=$((8 * 1048576))
	[ "$mode" ] && want=$((8 * 1048576 + 9216))
	if [ "$moved" != "$want" ] || [ "$(ep_sum in bytes)" != "$want" ]; then
		fail "short capture ${mode:-stream}: $moved moved, the UDC got $(ep_sum in bytes) bytes, not $want"
	fi
	[ "$(ep_sum in mismatches)" = 0 ] ||
		fail "short capture ${mode:-stream}: $(ep_sum in mismatches) mismatches"
	echo "ok - a short capture to bulk IN (${mode:-stream}): $want bytes, in order"
	usb_teardown
done

msg=$(dmabufs_back "$base") || fail "$msg"
echo "ok - no DMABUF left behind"
