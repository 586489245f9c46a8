#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usb-dummy: the bridge's gadget function on dummy_hcd (no scatter-gather:
# the CPU path). lsusb sees the interface at high and super speed; 256 MiB
# go bulk IN from DMABUFs to the host-side receiver and 256 MiB bulk OUT
# from the host into DMABUFs, every byte verified. Transfers of at most 64
# bytes too: dummy_hcd gives those back from inside usb_ep_queue() (the
# gadget API says it must not), which once deadlocked the port.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
MiB=1048576

for ss in 0 1; do
	usb_setup dummy "is_super_speed=$ss" || fail "gadget setup"
	want=$([ $ss = 1 ] && echo "1x 1024 bytes" || echo "1x 512 bytes")
	usb_lsusb > /tmp/lsusb.txt 2>&1 || fail "lsusb"
	grep -q "iInterface .*iio-usb-bridge" /tmp/lsusb.txt || fail "interface string missing"
	grep -q "bInterfaceClass *255" /tmp/lsusb.txt || fail "not vendor-specific"
	[ "$(grep -c "wMaxPacketSize .*$want" /tmp/lsusb.txt)" = 2 ] ||
		{ cat /tmp/lsusb.txt; fail "endpoints at speed $ss"; }
	echo "ok - lsusb at $([ $ss = 1 ] && echo super || echo high) speed"
	usb_port_flags usb0:in0 | grep -q USB_CPU || fail "dummy_hcd port not on the CPU path"
	if [ $ss = 1 ]; then
		usb_in usb0:in0 $((256 * MiB)) || fail "bulk IN"
		usb_out usb0:out0 $((256 * MiB)) || fail "bulk OUT"
	else
		usb_in usb0:in0 $((16 * MiB)) || fail "bulk IN (high speed)"
		# 64-byte transfers: completed inside usb_ep_queue()
		usb_in usb0:in0 $((256 * 1024)) 64 8 || fail "bulk IN, 64-byte transfers"
		usb_in usb0:in0 $((64 * 1024)) 32 1 || fail "bulk IN, 32-byte transfers, one in flight"
	fi
	usb_teardown
done
