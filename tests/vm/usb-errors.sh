#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usb-errors: the documented rejections on USB ports (tests/vm/usb-errors.c)
# on dummy_hcd (the CPU path; the host-side receiver reads bulk IN) and on
# the simulated SG UDC (the DMA path; its simulated host reads bulk IN and
# sends nothing on bulk OUT). Each run ends by streaming 1 MiB out of bulk
# IN: the host must get exactly that stream, verified, and nothing else.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
PROG=$IUB_GUEST_BUILD/tests/vm/usb-errors
MiB=1048576

# dummy_hcd: the receiver reads everything bulk IN sends (each side for
# STEP_S at most, usb-lib.sh)
usb_setup dummy is_super_speed=1 || fail "setup on dummy_hcd"
usb_port_flags usb0:in0 | grep -q USB_CPU || fail "dummy_hcd port not on the CPU path"
TMPDIR=/run chroot /host "$RECV" --quiet --bytes $MiB --seconds "$STEP_S" \
	> /tmp/recv.out 2>&1 &
rpid=$!
bounded "$PROG" || { kill $rpid; fail "usb-errors on dummy_hcd (CPU path)"; }
wait $rpid || { cat /tmp/recv.out; fail "receiver on dummy_hcd"; }
cat /tmp/recv.out
grep -q "verified: yes" /tmp/recv.out || fail "host stream not verified"
echo "ok - USB rejections on the CPU path, the host got exactly the stream"
usb_teardown

# the simulated SG UDC: its host reads bulk IN and verifies the stream
usb_setup sim || fail "setup on iub-sim-udc.0"
usb_port_flags usb0:in0 | grep -q USB_SG || fail "usb0:in0 is not on the SG path"
ep_reset
ep_pause out 1
bounded "$PROG" || fail "usb-errors on iub-sim-udc (DMA path)"
bytes=$(ep_sum in bytes) bad=$(ep_sum in mismatches) misuse=$(cat "$DBG/misuse")
if [ "$bytes" != $MiB ] || [ "$bad" != 0 ]; then
	fail "the simulated host got $bytes bytes ($MiB sent), $bad mismatches"
fi
[ "$misuse" = 0 ] || fail "the UDC caught $misuse gadget API violations"
echo "ok - USB rejections on the DMA path, the host got exactly the stream"
usb_teardown
