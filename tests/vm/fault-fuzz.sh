#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fault-fuzz: the UAPI fuzzer (tests/fuzz/iub-fuzz.c) for IUB_FUZZ_SECONDS
# (default 60) on the converter ports and, with a gadget on dummy_hcd, the
# USB ports; then every DMABUF is released and the bridge unloads.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
FUZZ=$IUB_GUEST_BUILD/tests/vm/iub-fuzz
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
base=$($COUNT)

# USB ports too, if a gadget can be set up (the fuzzer works without)
usb_setup dummy > /tmp/usb-setup.log 2>&1 || {
	cat /tmp/usb-setup.log
	echo "# no USB gadget: converter ports only"
	usb_teardown
}
"$FUZZ" -t "${IUB_FUZZ_SECONDS:-60}" -j "${IUB_FUZZ_THREADS:-4}" ${IUB_FUZZ_SEED:+-s "$IUB_FUZZ_SEED"}
rc=$?
usb_teardown
[ $rc = 0 ] || fail "the fuzzer found unexpected results (exit $rc)"

for _ in $(seq 100); do
	[ "$($COUNT)" = "$base" ] && break
	sleep 0.05
done
[ "$($COUNT)" = "$base" ] || fail "$($COUNT) DMABUFs alive after the fuzzer, $base before"
# nothing holds the bridge any more
rmmod usb_f_iio_usb_bridge || fail "rmmod usb_f_iio_usb_bridge after the fuzzer"
for _ in $(seq 100); do
	rmmod iio_usb_bridge 2>/dev/null && break
	sleep 0.05
done
grep -q '^iio_usb_bridge ' /proc/modules && fail "the bridge does not unload after the fuzzer"
echo "ok - fuzzer clean, nothing left behind, the bridge unloads"
