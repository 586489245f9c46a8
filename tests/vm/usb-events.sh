#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usb-events: the libiio shape of the USB function and IUB_IOC_PORT_EVENT
# (tests/vm/usb-events.c), on dummy_hcd (the host is Linux: lsusb and
# libiio's scan see the interface, tests/vm/usb-ctrl sends the requests) and
# on the simulated SG UDC (its host sends what its debugfs "control" file
# is given; then tests/vm/sim-udc-script checks its scripted bulk transfers).
#   usb-events.sh                     the test
#   usb-events.sh ctrl request REQ VALUE [N] | ctrl unbind
#                                     the host's side, for usb-events.c
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
CTRL=${IUB_GUEST_BUILD#/host}/tests/vm/usb-ctrl

if [ "${1:-}" = ctrl ]; then
	shift
	if [ "$1" = unbind ]; then
		$GADGET unbind
		exit
	fi
	if [ "$IUB_USB_UDC" = dummy ]; then
		exec chroot /host "$CTRL" "$@"
	fi
	# the simulated host: bmRequestType 0x41, interface 0
	n=${4:-1}
	while [ "$n" -gt 0 ]; do
		echo $(( (0x41 << 40) | ($2 << 32) | ($3 << 16) )) \
			> /sys/kernel/debug/iub-sim-udc/control 2>/dev/null ||
			{ echo stall; exit 3; }
		n=$((n - 1))
	done
	exit 0
fi

PROG=$IUB_GUEST_BUILD/tests/vm/usb-events
USB_FUNC_ARGS="usb0 2 2 libiio"
export IUB_USB_CTRL="sh $IUB_GUEST_SRC/tests/vm/usb-events.sh ctrl"

# dummy_hcd, high speed: what the host sees, then the events
export IUB_USB_UDC=dummy IUB_OUT_ALIGN=512
usb_setup dummy || fail "setup on dummy_hcd"
layout=$(chroot /host "$CTRL" layout) || fail "no interface \"IIO\""
echo "# $layout"
# pairs IN, OUT (pipe 0, pipe 1), as libiio takes them
echo "$layout" | grep -q -E 'endpoints 8. 0. 8. 0.$' ||
	fail "endpoints not IN, OUT, IN, OUT: $layout"
TMPDIR=/run bounded chroot /host "${IUB_GUEST_HOSTBIN:-}iio_info" -S usb > /tmp/scan.out 2>&1
grep -q '1d6b:0104' /tmp/scan.out || { cat /tmp/scan.out; fail "iio_info -S usb does not list the device"; }
bounded "$PROG" || fail "usb-events on dummy_hcd"
echo "ok - events on dummy_hcd"
usb_teardown

# the simulated SG UDC, SuperSpeed
export IUB_USB_UDC=sim IUB_OUT_ALIGN=1024
usb_setup sim || fail "setup on iub-sim-udc.0"
ep_pause out 1		# its host sends nothing on bulk OUT
bounded "$PROG" || fail "usb-events on iub-sim-udc"
usb_teardown
# its scripted host, as the daemon's tests use it (usb-events unbound us)
usb_setup sim || fail "setup on iub-sim-udc.0"
bounded "$IUB_GUEST_BUILD/tests/vm/sim-udc-script" || fail "the simulated host's script"
misuse=$(cat /sys/kernel/debug/iub-sim-udc/misuse)
[ "$misuse" = 0 ] || fail "the UDC caught $misuse gadget API violations"
echo "ok - events on the simulated SG UDC"
usb_teardown
