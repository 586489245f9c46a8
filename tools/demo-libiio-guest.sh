#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The libiio demo, inside the VM (run by tools/demo.sh --libiio): the
# simulated board, the bridge and its USB function in protocol=libiio on
# dummy_hcd, iub-iiod serving it; on the USB host side of the same VM,
# Debian's unmodified iio_readdev -u usb: reads the simulated ADC through
# the bridge and the stream is verified word for word.
set -u
MiB=1048576
BYTES=${IUB_DEMO_BYTES:-$((64 * MiB))}
SRC=$IUB_GUEST_SRC BUILD=$IUB_GUEST_BUILD
KMOD=${IUB_GUEST_KMOD:-$SRC}
IIOD=${BUILD#/host}/tools/iiod-bridge/iub-iiod

step() { printf '\ndemo: %s\n' "$*"; }
host() { TMPDIR=/run chroot /host "$@"; }
# seconds since boot, with hundredths
now() { cut -d' ' -f1 /proc/uptime; }

for d in dev proc sys; do
	mount --bind "/$d" "/host/$d"
done
mount -t tmpfs tmpfs /host/run

step "loading the simulated board (DMA controller, ADCs, DAC) on $(uname -m)"
. "$SRC/sim/iub-sim-load.sh" || exit 1
step "loading the bridge: it owns the ADC's and the DAC's DMA channels"
insmod "$KMOD/driver/iio_usb_bridge.ko" converters=iub-sim-adc.0:rx,iub-sim-dac.0:tx || exit 1
modprobe libcomposite
insmod "$KMOD/driver/usb_f_iio_usb_bridge.ko" || exit 1
step "USB: dummy_hcd (high speed), the iio_usb_bridge function in protocol=libiio, 3 pipes"
modprobe dummy_hcd
grep -q ' /sys/kernel/config ' /proc/mounts || mount -t configfs none /sys/kernel/config
sh "$SRC/tools/iub-gadget.sh" create usb0 3 3 libiio &&
	sh "$SRC/tools/iub-gadget.sh" bind dummy_udc.0 || exit 1
for _ in $(seq 50); do
	"$BUILD/tools/iub/iub" ports | grep -q "usb0:in0.*online" && break
	sleep 0.2
done

step "device side: iub-iiod --function usb0"
# (env and chroot exec it: $! is the daemon itself)
env TMPDIR=/run chroot /host "$IIOD" --function usb0 > /run/iiod.log 2>&1 &
ipid=$!
sleep 1
cat /run/iiod.log
adc=
for d in /sys/bus/iio/devices/iio:device*; do
	[ "$(basename "$(readlink -f "$d/..")")" = iub-sim-adc.0 ] && adc=${d##*/}
done
[ -n "$adc" ] || { echo "demo: FAIL: no IIO device for iub-sim-adc.0"; exit 1; }

step "host side: iio_info -S usb"
host iio_info -S usb
scans=$((BYTES / 8))
step "host side: iio_readdev -u usb: -b 262144 -s $scans $adc ($((BYTES / MiB)) MiB, both channels), verified"
t0=$(now)
host iio_readdev -u usb: -b 262144 -s "$scans" "$adc" voltage0 voltage1 2> /run/rd.err |
	"$BUILD/tests/vm/sim-adc-read" --verify-stdin "$BYTES" > /run/verify.out
vrc=$?
t1=$(now)
cat /run/rd.err /run/verify.out
kill -TERM $ipid
wait $ipid
irc=$?
# pipe 0 carried the context, pipe 1 the samples
"$BUILD/tools/iub/iub" ports | grep -E "^id|adc.0|usb0:in[01]"
rate=$(awk -v b="$BYTES" -v a="$t0" -v z="$t1" 'BEGIN { s = z - a; if (s <= 0) s = 0.01; printf "%.1f", b / 1048576 / s }')
echo
echo "demo: iio_readdev -u usb: moved $((BYTES / MiB)) MiB in $(awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.2f", z - a }') s: $rate MiB/s"
if [ $vrc = 0 ] && [ $irc = 0 ] && grep -q "^ok - stream verified" /run/verify.out; then
	echo "demo: PASS: Debian's iio_readdev read $((BYTES / MiB)) MiB of the simulated ADC through iub-iiod and the bridge, every word verified"
	exit 0
fi
echo "demo: FAIL: verifier exit $vrc, iub-iiod exit $irc"
exit 1
