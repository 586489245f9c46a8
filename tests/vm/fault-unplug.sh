#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fault-unplug: the converters go away in the middle of a stream (their
# driver unloads: device removal is never refused). What the brief asks
# for: the transfers on their ports end promptly with ESHUTDOWN, the ports
# are listed absent, nothing is left behind, the converters come back and
# the same ports stream again, and the bridge unloads without a warning
# (it must not keep DMA channels requested for devices that are gone).
set -u
fail() { echo "not ok - $*"; exit 1; }
IUB=$IUB_GUEST_BUILD/tools/iub/iub
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
PORTS=$IUB_GUEST_BUILD/tests/vm/iub-ports
OWNER=$IUB_GUEST_BUILD/tests/vm/unplug-owner
base=$($COUNT)

# a file holds ADC1 idle across the removal (unplug-owner.c)
rm -f /tmp/unplug.fifo
mkfifo /tmp/unplug.fifo
$OWNER < /tmp/unplug.fifo > /tmp/owner.out 2>&1 &
opid=$!
exec 3> /tmp/unplug.fifo
for _ in $(seq 100); do
	grep -q claimed /tmp/owner.out && break
	sleep 0.05
done
grep -q claimed /tmp/owner.out || { cat /tmp/owner.out; fail "unplug-owner did not claim"; }

echo 8388608 > /sys/kernel/debug/iub-sim-dma/chan0/rate
$IUB stream -q -b 65536 -n 16 iub-sim-adc.0:rx iub-sim-dac.0:tx > /tmp/iub.out 2>&1 &
ipid=$!
sleep 1
kill -0 $ipid 2>/dev/null || { cat /tmp/iub.out; fail "stream did not start"; }

# the converters' driver goes (the DMA provider stays)
grep -q '^iub_sim_adc_dmabuf ' /proc/modules && rmmod iub_sim_adc_dmabuf
rmmod iub_sim_iio || fail "rmmod iub_sim_iio"
t0=$(date +%s)
ended=0
for _ in $(seq 50); do
	kill -0 $ipid 2>/dev/null || { ended=1; break; }
	sleep 0.1
done
[ $ended = 1 ] || { kill -9 $ipid; wait $ipid 2>/dev/null; }
wait $ipid 2>/dev/null
cat /tmp/iub.out
echo 0 > /sys/kernel/debug/iub-sim-dma/chan0/rate
[ $ended = 1 ] || fail "the stream went on for 5 s after its converters were removed"
grep -q "shutdown" /tmp/iub.out || fail "the stream did not end with ESHUTDOWN"
echo "ok - converter removal ends the stream with ESHUTDOWN in $(($(date +%s) - t0)) s"
echo go >&3
exec 3>&-
wait $opid || { cat /tmp/owner.out; fail "the file that held a removed port"; }
echo "ok - the file that held a removed port gets ESHUTDOWN, its claim is gone (EPERM)"
$PORTS | grep 'iub-sim-adc.0:rx' | grep -q ABSENT || fail "port not absent: $($PORTS | grep adc.0)"
echo "ok - the port is listed absent"
for _ in $(seq 100); do
	[ "$($COUNT)" = "$base" ] && break
	sleep 0.05
done
[ "$($COUNT)" = "$base" ] || fail "$($COUNT) DMABUFs alive, $base before"

# they come back: the same ports stream again
sh "$IUB_GUEST_SRC/sim/iub-sim-load.sh" || fail "reloading the converters"
$IUB stream -q -V -B 1048576 iub-sim-adc.0:rx - > /dev/null 2>/tmp/iub.err ||
	{ cat /tmp/iub.err; fail "no stream after the converters came back"; }
echo "ok - the converters came back and their ports stream again"

# nothing held for a device that is gone: a clean unload (the harness
# fails the test on any kernel warning)
rmmod usb_f_iio_usb_bridge || fail "rmmod usb_f_iio_usb_bridge"
rmmod iio_usb_bridge || fail "rmmod iio_usb_bridge"
echo "ok - the bridge unloads cleanly"
