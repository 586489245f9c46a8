#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# one-writer: a buffer is mapped for one device at a time to write it (see
# one-writer.c): the simulated ADC and a USB OUT port of the simulated SG
# UDC, whose host is paused so that the OUT transfer stays queued.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
DBG=/sys/kernel/debug/iub-sim-udc

usb_setup sim || fail "setup on iub-sim-udc.0"
usb_port_flags usb0:out0 | grep -q USB_SG || fail "usb0:out0 is not on the SG path"
ep=$(awk '$2 == "enabled" && $1 ~ /out:$/ { sub(":", "", $1); print $1; exit }' \
	"$DBG/state")
[ -n "$ep" ] || fail "no enabled OUT endpoint on the UDC"
echo 1 > "$DBG/$ep/pause"	# the host sends nothing: OUT transfers stay queued
"$IUB_GUEST_BUILD/tests/vm/one-writer" usb0:out0
ret=$?
echo 0 > "$DBG/$ep/pause"
usb_teardown
exit $ret
