#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usb-teardown: a USB stream ends cleanly, with the documented errno and no
# DMABUF left behind, when the UDC is unbound, when the function is removed
# from the configuration, when the host goes away (deconfigures it), and
# when the streaming process is killed with transfers in flight.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
MiB=1048576
ESHUTDOWN=108
base=$($COUNT)

leak_check() {
	for _ in $(seq 100); do
		[ "$($COUNT)" = "$base" ] && return 0
		sleep 0.05
	done
	fail "$1: $($COUNT) DMABUFs alive, $base before"
}

# stream IN with nobody reading, so that transfers stay queued in the UDC
start_stream() {
	"$STREAM" in usb0:in0 $((1024 * MiB)) 65536 16 > /tmp/stream.out 2>&1 &
	spid=$!
	wait_for_line /tmp/stream.out "transfers in flight" ||
		{ cat /tmp/stream.out; fail "the stream did not start"; }
	sleep 0.2
}

expect_shutdown() {
	wait $spid
	grep -q "errno $ESHUTDOWN" /tmp/stream.out ||
		{ cat /tmp/stream.out; fail "$1: not ESHUTDOWN"; }
	echo "ok - $1: transfers ended with ESHUTDOWN"
}

# 1. UDC unbind mid-stream: the ports disappear
usb_setup dummy || fail "setup"
start_stream
$GADGET unbind
expect_shutdown "UDC unbind"
usb_port_flags usb0:in0 | grep -q . && fail "port still listed after unbind"
leak_check "UDC unbind"
usb_teardown

# 2. the function removed from the configuration while bound
usb_setup dummy || fail "setup"
start_stream
rm /sys/kernel/config/usb_gadget/iub/configs/c.1/iio_usb_bridge.usb0
expect_shutdown "function removal"
leak_check "function removal"
usb_teardown

# 3. the host goes away (it deconfigures the device), then comes back: the
# port stays, goes offline, and works again once reconfigured
usb_setup dummy || fail "setup"
start_stream
echo 0 > /sys/bus/usb/devices/1-1/authorized
expect_shutdown "host disconnect"
usb_port_flags usb0:in0 | grep -q ONLINE && fail "port online after disconnect"
echo 1 > /sys/bus/usb/devices/1-1/authorized
for _ in $(seq 50); do
	usb_port_flags usb0:in0 | grep -q ONLINE && break
	sleep 0.2
done
usb_in usb0:in0 $((8 * MiB)) || fail "stream after reconnect"
echo "ok - reconnect: the same port streams again"
leak_check "host disconnect"
usb_teardown

# 4. SIGKILL with 16 transfers queued in the UDC
usb_setup dummy || fail "setup"
start_stream
t0=$(date +%s)
kill -9 $spid
wait $spid 2>/dev/null
[ $(($(date +%s) - t0)) -lt 5 ] || fail "kill -9 took too long"
leak_check "kill -9"
usb_port_flags usb0:in0 | grep -q CLAIMED && fail "port still claimed"
echo "ok - kill -9 with transfers in flight"
usb_teardown

# the function module unloads afterwards (the harness loads it again)
rmmod usb_f_iio_usb_bridge || fail "rmmod usb_f_iio_usb_bridge"
echo "ok - function module unloaded"
