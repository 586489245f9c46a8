#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usb-dma-dev: the bridge maps USB buffers for the device that really does
# the UDC's DMA, and for no other.
#  - dma_dev=parent: the simulated UDC says "linux,sysdev_is_parent" and
#    its glue device (iub-sim-udc-glue.0) does the DMA, as dwc3 on PCI
#    does. The ports take the SG path and the DMABUFs are attached to the
#    glue, never to the controller; data verified both ways.
#  - max_seg=2048: the controller's descriptors hold 2 KiB (its DMA
#    device says so); the SG ports split the buffers' 4 KiB pages for it,
#    it refuses no request for a longer segment, data verified both ways.
#  - dma_dev=hidden: the controller has no DMA mask and nothing says which
#    device does its DMA. The ports take the CPU path rather than map for
#    a guessed device; this UDC maps req->buf itself, which a vmap'ed
#    buffer does not allow, so a transfer fails cleanly with EFAULT.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
BUFINFO=/sys/kernel/debug/dma_buf/bufinfo
MiB=1048576
base=$($COUNT)

# attached DEVICE: some DMABUF is attached to DEVICE now
attached() {
	awk -v d="$1" '$1 == d { found = 1 } END { exit !found }' "$BUFINFO"
}

usb_setup sim dma_dev=parent || fail "setup with dma_dev=parent"
grep -q '^dma_dev: iub-sim-udc-glue.0$' "$DBG/state" ||
	fail "the UDC does not DMA through its glue: $(grep dma_dev "$DBG/state")"
usb_port_flags usb0:in0 | grep -q USB_SG || fail "IN not on the SG path: $(usb_port_flags usb0:in0)"
usb_port_flags usb0:out0 | grep -q USB_SG || fail "OUT not on the SG path"
echo "ok - linux,sysdev_is_parent: the ports take the SG path"

# the host waits: the stream's buffers stay attached while we look
ep_reset
ep_pause in 1
"$STREAM" in usb0:in0 $((8 * MiB)) $MiB 4 > /tmp/stream.out 2>&1 &
spid=$!
for _ in $(seq 300); do
	[ "$(ep_sum in queued)" -ge 4 ] && break
	sleep 0.1
done
[ "$(ep_sum in queued)" -ge 4 ] || { ep_pause in 0; fail "requests not queued: $(ep_sum in queued)"; }
glue=0 core=0
attached iub-sim-udc-glue.0 && glue=1
attached iub-sim-udc.0 && core=1
ep_pause in 0
wait $spid || { cat /tmp/stream.out; fail "bulk IN"; }
[ $glue = 1 ] || fail "no buffer attached to the glue device"
[ $core = 0 ] || fail "a buffer attached to the controller, which does no DMA"
echo "ok - the buffers are attached to the glue device, not to the controller"
[ "$(ep_sum in bytes)" = $((8 * MiB)) ] || fail "the UDC got $(ep_sum in bytes) bytes"
[ "$(ep_sum in mismatches)" = 0 ] || fail "the UDC saw $(ep_sum in mismatches) mismatches"
[ "$(ep_sum in premapped)" = "$(ep_sum in requests)" ] ||
	fail "$(ep_sum in premapped) of $(ep_sum in requests) requests premapped"
echo "ok - 8 MiB bulk IN through the glue's mappings, verified by the UDC"
"$STREAM" out usb0:out0 $((8 * MiB)) || fail "bulk OUT"
echo "ok - 8 MiB bulk OUT, verified by the bridge side"
usb_teardown
msg=$(dmabufs_back "$base") || fail "$msg"

usb_setup sim max_seg=2048 || fail "setup with max_seg=2048"
usb_port_flags usb0:in0 | grep -q USB_SG || fail "IN not on the SG path: $(usb_port_flags usb0:in0)"
ep_reset
"$STREAM" in usb0:in0 $((8 * MiB)) $MiB 4 > /tmp/stream.out 2>&1 ||
	{ cat /tmp/stream.out; fail "bulk IN with 2 KiB segments"; }
[ "$(ep_sum in long_segs)" = 0 ] ||
	fail "$(ep_sum in long_segs) IN requests had a segment over 2 KiB"
[ "$(ep_sum in bytes)" = $((8 * MiB)) ] || fail "the UDC got $(ep_sum in bytes) bytes"
[ "$(ep_sum in mismatches)" = 0 ] || fail "the UDC saw $(ep_sum in mismatches) mismatches"
[ "$(ep_sum in sg_requests)" -ge 8 ] || fail "$(ep_sum in sg_requests) SG requests"
echo "ok - 8 MiB bulk IN in segments of at most 2 KiB, verified by the UDC"
"$STREAM" out usb0:out0 $((8 * MiB)) > /tmp/stream.out 2>&1 ||
	{ cat /tmp/stream.out; fail "bulk OUT with 2 KiB segments"; }
[ "$(ep_sum out long_segs)" = 0 ] ||
	fail "$(ep_sum out long_segs) OUT requests had a segment over 2 KiB"
echo "ok - 8 MiB bulk OUT in segments of at most 2 KiB, verified by the bridge side"
usb_teardown
msg=$(dmabufs_back "$base") || fail "$msg"

usb_setup sim dma_dev=hidden || fail "setup with dma_dev=hidden"
usb_port_flags usb0:in0 | grep -q USB_CPU || fail "IN not on the CPU path: $(usb_port_flags usb0:in0)"
usb_port_flags usb0:in0 | grep -q USB_SG && fail "IN on the SG path with an unknown DMA device"
echo "ok - DMA device unknown: the ports take the CPU path"
"$STREAM" in usb0:in0 $MiB $MiB 1 > /tmp/stream.out 2>&1 &&
	fail "a DMA UDC took a vmap'ed buffer"
grep -q "errno 14" /tmp/stream.out || { cat /tmp/stream.out; fail "not EFAULT"; }
echo "ok - the UDC refuses the CPU path's buffer with EFAULT"
usb_teardown
msg=$(dmabufs_back "$base") || fail "$msg"
echo "ok - no DMABUF left behind"
