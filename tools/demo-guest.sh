#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo, inside the VM (run by tools/demo.sh): the simulated board, the
# bridge and its USB function on dummy_hcd; the simulated ADC streams
# through bridge routes (ADC fills a DMABUF, the same DMABUF goes out bulk
# IN, in the kernel) to the USB host side of the same VM, where
# iub-usb-recv verifies every byte.
set -u
MiB=1048576
BYTES=${IUB_DEMO_BYTES:-$((256 * MiB))}
SRC=$IUB_GUEST_SRC BUILD=$IUB_GUEST_BUILD
# the modules of the guest's architecture (tools/vm/iub-vm)
KMOD=${IUB_GUEST_KMOD:-$SRC}

step() { printf '\ndemo: %s\n' "$*"; }

# the host-side tools run from the host's root (chroot /host)
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
step "USB: dummy_hcd (SuperSpeed), a gadget with the iio_usb_bridge function"
modprobe dummy_hcd is_super_speed=1
grep -q ' /sys/kernel/config ' /proc/mounts || mount -t configfs none /sys/kernel/config
sh "$SRC/tools/iub-gadget.sh" create usb0 1 1 && sh "$SRC/tools/iub-gadget.sh" bind dummy_udc.0 || exit 1
for _ in $(seq 50); do
	"$BUILD/tools/iub/iub" ports | grep -q "usb0:in0.*online" && break
	sleep 0.2
done
"$BUILD/tools/iub/iub" ports

step "host side: iub-usb-recv waits for $((BYTES / MiB)) MiB on the bulk IN endpoint"
TMPDIR=/run chroot /host "${BUILD#/host}/tools/usb-receiver/iub-usb-recv" --quiet \
	--bytes "$BYTES" --seconds 500 > /run/recv.out 2>&1 &
rpid=$!
step "device side: iub stream, 8 DMABUFs of 1 MiB, one route each, recycled"
"$BUILD/tools/iub/iub" stream -b $MiB -n 8 -B "$BYTES" iub-sim-adc.0:rx usb0:in0
src=$?
wait $rpid
dst=$?
step "host side says:"
cat /run/recv.out
"$BUILD/tools/iub/iub" ports | grep -E "^id|adc.0|usb0:in0"
echo
if [ $src = 0 ] && [ $dst = 0 ] && grep -q "verified: yes" /run/recv.out; then
	echo "demo: PASS: $((BYTES / MiB)) MiB from the simulated ADC reached the USB host through the bridge, every byte verified"
	exit 0
fi
echo "demo: FAIL: iub exit $src, receiver exit $dst"
exit 1
