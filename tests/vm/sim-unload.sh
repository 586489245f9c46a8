#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sim-unload: the simulated board refuses to unload while in use, unloads
# cleanly once idle (devices, debugfs and DMA channels gone), and loads
# again.
set -u
fail() { echo "not ok - $*"; exit 1; }
load=$IUB_GUEST_SRC/sim/iub-sim-load.sh
mods="iub_sim_adc_dmabuf iub_sim_iio iub_sim_dma industrialio_buffer_dmaengine industrialio_buffer_dma"

# Back to the standard state (the harness's modules.list) when leaving.
load_mod() {
	name=$1 ko=$2
	shift 2
	grep -q "^$name " /proc/modules || insmod "$ko" "$@"
}
kmod() {
	modprobe "$@"
}
restore() {
	# shellcheck disable=SC1091
	. "$IUB_GUEST_SRC/tests/vm/modules.list"
}
trap restore EXIT

sh "$load" || fail "the board is not loaded to begin with"

# The bridge keeps the converter channels it was given: it goes first.
if grep -q '^iio_usb_bridge ' /proc/modules; then
	rmmod usb_f_iio_usb_bridge 2>/dev/null
	rmmod iio_usb_bridge ||
		{ echo "1..0 # SKIP iio_usb_bridge is busy, cannot free its channels"; exit 4; }
	echo "ok - iio_usb_bridge unloaded first (it held board channels)"
fi
# the test fixture, if a test left it behind
if grep -q '^iub_sim_dmatest ' /proc/modules; then
	rmmod iub_sim_dmatest || fail "cannot unload the test fixture"
fi
refs=$(awk '$1 == "iub_sim_dma" { print $3 }' /proc/modules)
[ "$refs" -le 3 ] || fail "iub_sim_dma has $refs users: $(grep '^iub_sim_dma ' /proc/modules)"

# An open IIO device pins its driver's module.
dev=
for d in /sys/bus/iio/devices/iio:device*; do
	[ "$(cat "$d/label" 2>/dev/null)" = iub-sim-adc-dmabuf.0 ] && dev=/dev/${d##*/}
done
[ -n "$dev" ] || fail "no iub-sim-adc-dmabuf.0"
exec 3< "$dev" || fail "cannot open $dev"
rmmod iub_sim_adc_dmabuf 2> /dev/null && fail "rmmod succeeded with $dev open"
exec 3<&-
echo "ok - busy while open"

sh "$load" --unload || fail "unload failed"
for m in $mods; do
	grep -q "^$m " /proc/modules && fail "$m still loaded"
done
[ -e /sys/kernel/debug/iub-sim-dma ] && fail "debugfs left behind"
for d in /sys/bus/platform/devices/iub-sim*; do
	[ -e "$d" ] && fail "platform device ${d##*/} left behind"
done
for c in /sys/class/dma/*; do
	[ -e "$c" ] || continue
	case $(readlink -f "$c/device") in
	*/iub-sim-dma) fail "DMA channel ${c##*/} left behind" ;;
	esac
done
echo "ok - unloaded"

sh "$load" || fail "load again failed"
for m in $mods; do
	grep -q "^$m " /proc/modules || fail "$m not loaded again"
done
[ -e /sys/kernel/debug/iub-sim-dma/chan0/info ] || fail "no debugfs after reload"
echo "ok - loaded again"

# A bad parameter is refused at load time.
sh "$load" --unload || fail "unload (2) failed"
insmod "$IUB_GUEST_KMOD/sim/iub_sim_dma.ko" channels=0 2> /dev/null &&
	fail "channels=0 accepted"
insmod "$IUB_GUEST_KMOD/sim/iub_sim_dma.ko" map=nocolon 2> /dev/null &&
	fail "a bad map accepted"
sh "$load" || fail "load (3) failed"
echo "ok - bad parameters refused"
restore || fail "restoring modules.list failed"
