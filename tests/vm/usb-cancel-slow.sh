#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usb-cancel-slow: cancelling more than 32 USB transfers in flight on a UDC
# that gives dequeued requests back late (the simulated SG UDC's
# dequeue_delay_us, like dwc3 with a delayed "end transfer"). 48 transfers
# stay queued on usb0:in0 (the host never reads), then PORT_CANCEL, an
# io_uring ring exit and SIGKILL end them: with a 1 s dequeue delay, within
# 2.5 s; with a 7 s one (longer than any timeout of the driver), only once
# the UDC gave every request back. Never is a transfer ended, a request
# reused or a DMABUF freed while the UDC still owns the request (the UDC
# reports any gadget API violation). Afterwards the port streams again,
# verified by the UDC, and no DMABUF is left behind.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
DBG=/sys/kernel/debug/iub-sim-udc
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
CANCEL=$IUB_GUEST_BUILD/tests/vm/usb-cancel-slow
MiB=1048576
N=48
SIZE=65536
base=$($COUNT)

usb_setup sim || fail "setup on iub-sim-udc.0"
usb_port_flags usb0:in0 | grep -q USB_SG || fail "usb0:in0 is not on the SG path"
ep=$(awk '$2 == "enabled" && $1 ~ /in:$/ { sub(":", "", $1); print $1; exit }' \
	"$DBG/state")
[ -n "$ep" ] || fail "no enabled IN endpoint on the UDC"
EP=$DBG/$ep
echo 1 > "$EP/pause"	# the host never reads: every transfer stays queued

# every step runs; failures are collected and reported at the end
failures=
bad() {
	echo "not ok - $*"
	failures="$failures
  $*"
}

# run_modes DELAY_US MAX_MS: every way of ending the transfers
run_modes() {
	echo "$1" > "$EP/dequeue_delay_us" || fail "dequeue_delay_us"
	for mode in cancel exit kill; do
		echo "# $mode: $N transfers of $SIZE bytes, dequeue delay $1 us"
		"$CANCEL" $mode usb0:in0 "$EP" $N $SIZE "$2" ||
			bad "$mode, dequeue delay $1 us (see above)"
	done
}
run_modes 1000000 2500
run_modes 7000000 9500
[ -z "$failures" ] &&
	echo "ok - more than 32 transfers cancelled in time on a slow UDC, none early"

# the port still works, with a give-back latency on top
echo 0 > "$EP/pause"
echo 0 > "$EP/dequeue_delay_us"
echo 20000 > "$EP/giveback_delay_us"
echo 1 > "$EP/reset"
if ! "$STREAM" in usb0:in0 $((4 * MiB)) 65536 16; then
	bad "no stream after the cancels"
elif [ "$(cat "$EP/bytes")" != $((4 * MiB)) ] ||
     [ "$(cat "$EP/mismatches")" != 0 ]; then
	bad "after the cancels the UDC got $(cat "$EP/bytes") bytes, $(cat "$EP/mismatches") mismatches"
else
	echo "ok - the port streams again (20 ms give-back latency), verified by the UDC"
fi
misuse=$(cat "$DBG/misuse")
[ "$misuse" = 0 ] || bad "the UDC caught $misuse gadget API violations (kernel log)"
usb_teardown

for _ in $(seq 100); do
	[ "$($COUNT)" = "$base" ] && break
	sleep 0.05
done
if [ "$($COUNT)" = "$base" ]; then
	echo "ok - no DMABUF left behind"
else
	bad "$($COUNT) DMABUFs alive, $base before"
fi
[ -z "$failures" ] || fail "cancel with a slow UDC:$failures"
