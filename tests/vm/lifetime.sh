#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# lifetime: what the bridge leaves in the kernel outlives its file, its port
# and its module's users, and unloading waits for it (the unload policy of
# Documentation/hardening.rst):
#  1. a fence of ours in a DMABUF's dma_resv (of a transfer, or of the
#     routes of an in-kernel stream), kept by a process that still
#     has the DMABUF after closing the bridge: rmmod is refused until the
#     DMABUF goes (before: rmmod went through and closing the DMABUF
#     crashed in dma_fence_release);
#  2. the same fence held through an exported sync_file alone;
#  3. a USB transfer whose CQE is reaped late (IORING_SETUP_DEFER_TASKRUN)
#     after its gadget function was removed: the function's module stays
#     until the transfer is freed;
#  4. blocking routes (ADC -> USB) interrupted by a signal and their file
#     closed at once, while the USB stage's start worker may still hold
#     the stage: nothing is touched after the file went.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
HELPER=$IUB_GUEST_BUILD/tests/vm/lifetime-helper
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
CTL=/tmp/lifetime.ctl
OUT=/tmp/lifetime.out
base=$($COUNT)

# start_helper ARGS...: the helper runs with its stdin on $CTL, kept open
# by this shell as fd 3 until release_helper
start_helper() {
	rm -f "$CTL" "$OUT"
	mkfifo "$CTL"
	"$HELPER" "$@" < "$CTL" > "$OUT" 2>&1 &
	hpid=$!
	exec 3> "$CTL"
}

release_helper() {
	exec 3>&-
	wait "$hpid"
	hrc=$?
	rm -f "$CTL"
	return $hrc
}

# 1, 2: a fence of ours, held by a DMABUF (of a transfer, of a stream's
# routes) or by a sync_file
for how in udmabuf sync-file stream; do
	arg=
	[ $how != udmabuf ] && arg=$how
	# shellcheck disable=SC2086
	start_helper hold-fence $arg
	wait_for_line "$OUT" "held: $how" || { cat "$OUT"; fail "$how: no fence held"; }
	rmmod usb_f_iio_usb_bridge || fail "rmmod of the unused function module"
	if rmmod iio_usb_bridge 2>/dev/null; then
		echo "not ok - rmmod went through with a fence of ours alive ($how)"
		# closing the DMABUF now would call into the unloaded module
		exit 1
	fi
	grep -q "^iio_usb_bridge .* [1-9][0-9]* " /proc/modules ||
		fail "$how: the bridge is not held: $(grep iio_usb_bridge /proc/modules)"
	release_helper || { cat "$OUT"; fail "$how: the helper failed"; }
	mod_unloads iio_usb_bridge
	echo "ok - $how: rmmod refused while our fence lives, unloads after"
	bridge_reload
done

# 3: a transfer of the gadget function, reaped after the function went
usb_setup sim || fail "setup on the simulated UDC"
start_helper usb-late usb0:in0
wait_for_line "$OUT" "completed, not reaped" || { cat "$OUT"; fail "usb-late did not start"; }
$GADGET remove || fail "gadget removal"
if rmmod usb_f_iio_usb_bridge 2>/dev/null; then
	echo "not ok - the function module unloaded under a transfer not yet freed"
	exit 1
fi
release_helper || { cat "$OUT"; fail "the late CQE is wrong"; }
grep -q "reaped: res 65536" "$OUT" || { cat "$OUT"; fail "no late CQE"; }
mod_unloads usb_f_iio_usb_bridge
echo "ok - the function module stays until a late CQE was reaped"
bridge_reload
usb_teardown

# 4: interrupted blocking routes ADC -> USB IN, closed at once
usb_setup sim || fail "setup on the simulated UDC (2)"
"$HELPER" route-sigint 200 iub-sim-adc.0:rx usb0:in0 > "$OUT" 2>&1
rc=$?
echo 0 > /sys/kernel/debug/iub-sim-dma/chan0/stall
[ $rc = 0 ] || { cat "$OUT"; fail "interrupted routes"; }
echo "ok - $(cat "$OUT")"
usb_teardown

msg=$(dmabufs_back "$base") || fail "$msg"
echo "ok - no DMABUF left behind"
