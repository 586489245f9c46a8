#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# unload: the module cannot go while a file is open, unloads once it is
# closed (also after io_uring use), and loads again.
set -u
fail() { echo "not ok: $*"; exit 1; }
ko=$IUB_GUEST_KMOD/driver/iio_usb_bridge.ko
grep -q '^iio_usb_bridge ' /proc/modules || fail "module not loaded at start"

# the DMA provider cannot go while the bridge holds converter channels
if grep -q '^iub_sim_dma ' /proc/modules; then
	rmmod iub_sim_dma 2> /dev/null && fail "the DMA provider unloaded under the bridge"
	echo "ok - DMA provider held by the bridge"
fi

# the gadget function needs the bridge: it goes first
rmmod iio_usb_bridge 2> /dev/null && fail "the bridge unloaded under its gadget function"
rmmod usb_f_iio_usb_bridge || fail "rmmod of the gadget function failed"

exec 3<> /dev/iio-usb-bridge || fail "cannot open the device"
rmmod iio_usb_bridge 2> /dev/null && fail "rmmod succeeded with a file open"
grep -q '^iio_usb_bridge .* 1 ' /proc/modules || fail "module not held once: $(grep iio_usb_bridge /proc/modules)"
exec 3>&-
echo "ok - busy while open"

# use it through io_uring (asynchronous commands, a parked one cancelled at
# exit), then unload
"$IUB_GUEST_BUILD/tests/vm/nop" -t sync_and_async_values -t inflight_limit_and_ring_exit > /tmp/nop.log 2>&1 ||
	{ cat /tmp/nop.log; fail "nop tests failed"; }
rmmod iio_usb_bridge || fail "rmmod after close failed"
[ -e /dev/iio-usb-bridge ] && fail "device node still there"
grep -q '^iio_usb_bridge ' /proc/modules && fail "module still listed"
echo "ok - unloaded after close"

insmod "$ko" || fail "insmod again failed"
[ -c /dev/iio-usb-bridge ] || fail "device node missing after reload"
echo "ok - loaded again"

# bad parameters are refused at load time
rmmod iio_usb_bridge || fail "rmmod (2) failed"
insmod "$ko" max_inflight=0 2>/dev/null && fail "max_inflight=0 accepted"
insmod "$ko" converters=nocolon 2>/dev/null && fail "converters=nocolon accepted"
echo "ok - bad parameters refused"
# the harness loads it again, with the suite's parameters
