#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# examples: every program in liburing-examples/ runs and does what its
# comment says, checked from outside: the captured file is a continuous
# stream, the host receives a verified stream, the DAC verifies what it
# played, cyclic playback ends with ECANCELED.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
EX=$IUB_GUEST_BUILD/liburing-examples
D=/sys/kernel/debug/iub-sim-dma/chan2
MiB=1048576

"$EX/query-features" | grep -q "UAPI version 1" || fail "query-features"
echo "ok - query-features"

"$EX/capture-to-file" iub-sim-adc.0:rx /run/capture.bin 16 || fail "capture-to-file"
"$IUB_GUEST_BUILD/tests/vm/stream-check" /run/capture.bin $((16 * MiB)) || fail "captured file"
rm -f /run/capture.bin
echo "ok - capture-to-file: 16 MiB, a continuous stream"

"$EX/cancel" iub-sim-dac.0:tx 1 > /tmp/cancel.out || fail "cancel"
cat /tmp/cancel.out
grep -q "1 transfer(s) cancelled, CQE res -125 (ECANCELED)" /tmp/cancel.out || fail "cancel output"
echo "ok - cancel"

usb_setup dummy is_super_speed=1 || fail "usb setup"
TMPDIR=/run chroot /host "$RECV" --quiet --bytes $((64 * MiB)) --seconds "$STEP_S" > /tmp/recv.out 2>&1 &
rpid=$!
bounded "$EX/stream-to-usb" iub-sim-adc.0:rx usb0:in0 64 || { kill $rpid; fail "stream-to-usb"; }
wait $rpid || { cat /tmp/recv.out; fail "receiver"; }
cat /tmp/recv.out
grep -q "verified: yes" /tmp/recv.out || fail "stream-to-usb data"
echo "ok - stream-to-usb: 64 MiB verified by the host"

TMPDIR=/run chroot /host "$RECV" --quiet --bytes $((64 * MiB)) --seconds "$STEP_S" > /tmp/recv.out 2>&1 &
rpid=$!
bounded "$EX/stream-in-kernel" iub-sim-adc.0:rx usb0:in0 64 > /tmp/sik.out ||
	{ kill $rpid; fail "stream-in-kernel"; }
wait $rpid || { cat /tmp/recv.out; fail "receiver"; }
cat /tmp/sik.out /tmp/recv.out
grep -q "^stream-in-kernel: $((64 * MiB)) bytes" /tmp/sik.out || fail "stream-in-kernel output"
grep -q "verified: yes" /tmp/recv.out || fail "stream-in-kernel data"
echo "ok - stream-in-kernel: 64 MiB in one command, verified by the host"

echo 1 > $D/reset
t0=$(date +%s)
timeout -k 5 "$STEP_S" "$EX/usb-to-dac" usb0:out0 iub-sim-dac.0:tx 64 > /tmp/u2d.out 2>&1 &
epid=$!
TMPDIR=/run chroot /host "$RECV" --quiet --send --bytes $((64 * MiB)) --seconds "$STEP_S" ||
	{ kill $epid; fail "sender"; }
wait $epid || { cat /tmp/u2d.out; step_timed_out "$t0"; fail "usb-to-dac"; }
[ "$(cat $D/consumed_bytes)" = $((64 * MiB)) ] || fail "DAC consumed $(cat $D/consumed_bytes)"
[ "$(cat $D/mismatches)" = 0 ] || fail "DAC mismatches"
echo "ok - usb-to-dac: 64 MiB verified by the DAC"
usb_teardown
