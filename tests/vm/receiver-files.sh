#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# receiver-files: iub-usb-recv with real data, through the bridge's
# function on dummy_hcd: --output - writes what bulk IN brought (the ADC's
# stream, checked by stream-check), --input - sends a file through bulk OUT
# (played to the DAC, which checks it), --wait finds a gadget bound after
# the receiver started, --endpoints 2 receives two streams at once.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
IUB=$IUB_GUEST_BUILD/tools/iub/iub
CHECK=$IUB_GUEST_BUILD/tests/vm/stream-check
D=/sys/kernel/debug/iub-sim-dma/chan2
MiB=1048576
N=$((8 * MiB))

usb_setup dummy is_super_speed=1 || fail "setup"

# bulk IN into a file (the receiver's stdout; its report goes to stderr)
TMPDIR=/run chroot /host "$RECV" --quiet --bytes $N --seconds 120 --output - \
	> /run/r.bin 2> /tmp/recv.err &
rpid=$!
$IUB stream -q -B $N iub-sim-adc.0:rx usb0:in0 > /tmp/iub.out 2>&1 ||
	{ cat /tmp/iub.out; kill $rpid; fail "route to bulk IN"; }
wait $rpid || { cat /tmp/recv.err; fail "receiver --output -"; }
grep -q "^received $N bytes .*verified: yes" /tmp/recv.err ||
	fail "no report on stderr: $(cat /tmp/recv.err)"
[ "$(wc -c < /run/r.bin)" = $N ] || fail "--output wrote $(wc -c < /run/r.bin) bytes, not $N"
"$CHECK" /run/r.bin $N || fail "--output: the file is not the ADC's stream"
echo "ok - --output -: $N bytes from bulk IN, the ADC's stream"

# that file back through bulk OUT, to the DAC
echo 1 > $D/reset
$IUB stream -q -B $N usb0:out0 iub-sim-dac.0:tx > /tmp/iub.out 2>&1 &
ipid=$!
TMPDIR=/run chroot /host "$RECV" --quiet --input - --seconds 120 < /run/r.bin > /tmp/recv.out ||
	{ cat /tmp/recv.out; kill $ipid; fail "sender --input -"; }
grep -q "^sent $N bytes" /tmp/recv.out || fail "sender: $(cat /tmp/recv.out)"
wait $ipid || { cat /tmp/iub.out; fail "route from bulk OUT"; }
[ "$(cat $D/consumed_bytes)" = $N ] || fail "DAC consumed $(cat $D/consumed_bytes)"
[ "$(cat $D/mismatches)" = 0 ] || fail "DAC saw $(cat $D/mismatches) mismatches"
echo "ok - --input -: $N bytes of a file through bulk OUT, played and verified by the DAC"

# --wait: the receiver starts first, the gadget is bound 2 s later
$GADGET unbind > /dev/null 2>&1 || fail "unbind"
TMPDIR=/run chroot /host "$RECV" --quiet --wait 60 --bytes $MiB --seconds 120 > /tmp/recv.out 2>&1 &
rpid=$!
sleep 2
kill -0 $rpid 2>/dev/null || fail "the receiver did not wait: $(cat /tmp/recv.out)"
$GADGET bind dummy_udc.0 || fail "bind"
for _ in $(seq 50); do
	usb_port_flags usb0:in0 | grep -q ONLINE && break
	sleep 0.2
done
$IUB stream -q -B $MiB iub-sim-adc.0:rx usb0:in0 > /tmp/iub.out 2>&1 &
ipid=$!
wait $rpid || { cat /tmp/recv.out; kill $ipid; fail "receiver --wait"; }
wait $ipid || { cat /tmp/iub.out; fail "route after --wait"; }
grep -q "verified: yes" /tmp/recv.out || fail "--wait: $(cat /tmp/recv.out)"
echo "ok - --wait: found the gadget bound after the receiver started"
rm -f /run/r.bin

# --endpoints 2: two bulk IN endpoints, two ADCs, one receiver process
$GADGET remove > /dev/null 2>&1
$GADGET create usb0 2 1 || fail "gadget with two IN endpoints"
$GADGET bind dummy_udc.0 || fail "bind"
for _ in $(seq 50); do
	usb_port_flags usb0:in1 | grep -q ONLINE && break
	sleep 0.2
done
# --wait: the host may list the device a moment after the port is online;
# --queue 4: 2 x 4 x 1 MiB in flight, within usbfs's 16 MiB
TMPDIR=/run chroot /host "$RECV" --quiet --wait 30 --endpoints 2 --queue 4 --bytes $N --seconds 120 \
	> /tmp/recv.out 2>&1 &
rpid=$!
$IUB stream -q -B $N iub-sim-adc.0:rx usb0:in0 > /tmp/iub0.out 2>&1 &
ipid0=$!
$IUB stream -q -B $N iub-sim-adc.1:rx usb0:in1 > /tmp/iub1.out 2>&1 &
ipid1=$!
wait $rpid || { cat /tmp/recv.out; kill $ipid0 $ipid1; fail "receiver --endpoints 2"; }
wait $ipid0 || { cat /tmp/iub0.out; fail "route to usb0:in0"; }
wait $ipid1 || { cat /tmp/iub1.out; fail "route to usb0:in1"; }
cat /tmp/recv.out
[ "$(grep -c "^endpoint 0x8[0-9a-f]: received $N bytes .*verified: yes" /tmp/recv.out)" = 2 ] ||
	fail "--endpoints 2: not two verified streams"
echo "ok - --endpoints 2: two streams of $N bytes verified in one process"
usb_teardown
