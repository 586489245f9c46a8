#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usb-sg: the bridge's gadget function on the simulated SG-capable UDC
# (sim/udc): the scatter-gather path. Requests carry the buffers' premapped
# scatterlists (the fixture counts them as "premapped"); 256 MiB bulk IN are
# verified by the fixture, 256 MiB bulk OUT (the fixture's stream) by the
# device side; an ADC -> bulk IN route, an unbind mid-stream, no leak.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
IUB=$IUB_GUEST_BUILD/tools/iub/iub
MiB=1048576
base=$($COUNT)

usb_setup sim || fail "setup on iub-sim-udc.0"
usb_port_flags usb0:in0 | grep -q USB_SG || fail "no scatter-gather: $(usb_port_flags usb0:in0)"
usb_port_flags usb0:out0 | grep -q USB_SG || fail "OUT port not on the SG path"
echo "ok - ports on the SG path"

ep_reset
"$STREAM" in usb0:in0 $((256 * MiB)) || fail "bulk IN"
[ "$(ep_sum in bytes)" = $((256 * MiB)) ] || fail "the UDC got $(ep_sum in bytes) bytes"
[ "$(ep_sum in mismatches)" = 0 ] || fail "the UDC saw $(ep_sum in mismatches) mismatches"
[ "$(ep_sum in premapped)" = "$(ep_sum in requests)" ] ||
	fail "$(ep_sum in premapped) of $(ep_sum in requests) requests premapped"
echo "ok - 256 MiB bulk IN, premapped scatterlists, verified by the UDC"

"$STREAM" out usb0:out0 $((256 * MiB)) || fail "bulk OUT"
[ "$(ep_sum out premapped)" = "$(ep_sum out requests)" ] || fail "OUT requests not premapped"
echo "ok - 256 MiB bulk OUT, premapped scatterlists, verified by the bridge side"

ep_reset
bounded "$IUB" stream -q -b $MiB -n 8 -B $((64 * MiB)) iub-sim-adc.0:rx usb0:in0 || fail "route"
if [ "$(ep_sum in bytes)" != $((64 * MiB)) ] || [ "$(ep_sum in mismatches)" != 0 ]; then
	fail "route: $(ep_sum in bytes) bytes, $(ep_sum in mismatches) mismatches"
fi
echo "ok - 64 MiB ADC -> bulk IN routes on the SG path, verified by the UDC"

# IUB_ROUTE_ZLP: every 64 KiB route ends with a zero-length packet
ep_reset
bounded "$IUB" stream -q -z -b 65536 -n 4 -B $MiB iub-sim-adc.0:rx usb0:in0 || fail "ZLP routes"
[ "$(ep_sum in zlps)" = 16 ] || fail "$(ep_sum in zlps) ZLPs for 16 routes"
ep_reset
bounded "$IUB" stream -q -b 65536 -n 4 -B $MiB iub-sim-adc.0:rx usb0:in0 || fail "routes"
[ "$(ep_sum in zlps)" = 0 ] || fail "ZLPs without the flag"
echo "ok - IUB_ROUTE_ZLP: one zero-length packet per route, none without it"

# unbind mid-stream (the host pauses, so requests stay queued)
for f in "$DBG"/ep*in/pause; do echo 1 > "$f"; done
"$STREAM" in usb0:in0 $((64 * MiB)) 65536 16 > /tmp/stream.out 2>&1 &
spid=$!
# all 16 queued in the UDC first: io_uring may issue some from io-wq later,
# and one issued after the unbind finds no port (ENODEV)
for _ in $(seq 300); do
	[ "$(ep_sum in queued)" -ge 16 ] && break
	sleep 0.1
done
$GADGET unbind
wait $spid
grep -q "errno 108" /tmp/stream.out || { cat /tmp/stream.out; fail "not ESHUTDOWN"; }
for f in "$DBG"/ep*in/pause; do echo 0 > "$f"; done
echo "ok - unbind mid-stream: ESHUTDOWN"
usb_teardown

msg=$(dmabufs_back "$base") || fail "$msg"
echo "ok - no DMABUF left behind; the UDC module unloaded"
