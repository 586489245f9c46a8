#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# receiver-disconnect: the device disappears mid-stream (the gadget is
# unbound from the UDC while iub-usb-recv receives, then while it sends):
# the receiver cancels and frees its transfers, says so, prints its final
# line and exits 4, within seconds.
set -u
# shellcheck source=tests/vm/receiver-lib.sh
. "$IUB_GUEST_SRC/tests/vm/receiver-lib.sh"

# unplug_during WHAT ARGS...: start the receiver, unbind once data flows
unplug_during() {
	what=$1
	shift
	rm -f /run/rcv.out /run/rcv.err /run/rcv.rc /run/rcv.pid
	echo "# iub-usb-recv $*"
	(
		$RECV --progress "$@" > /run/rcv.out 2> /run/rcv.err &
		echo $! > /run/rcv.pid
		wait $!
		echo $? > /run/rcv.rc
	) &
	# the progress line (--progress: once a second on a file) shows
	# data moving
	i=0
	until grep -q "$what [1-9]" /run/rcv.err 2>/dev/null; do
		[ $i -lt 30 ] || {
			kill -KILL "$(cat /run/rcv.pid)"
			cat /run/rcv.err
			fail "no data within 30 s"
		}
		[ -f /run/rcv.rc ] && { cat /run/rcv.err; fail "ended before the unbind"; }
		sleep 1
		i=$((i + 1))
	done
	t0=$(date +%s)
	rcv_unbind
	i=0
	until [ -f /run/rcv.rc ]; do
		[ $i -lt 20 ] || {
			kill -KILL "$(cat /run/rcv.pid)"
			fail "still running 20 s after the unbind"
		}
		sleep 1
		i=$((i + 1))
	done
	wait
	t1=$(date +%s)
	sed 's/^/#   /' /run/rcv.err /run/rcv.out
	rc=$(cat /run/rcv.rc)
	out=$(tail -n 1 /run/rcv.out)
	[ "$rc" = 4 ] || fail "$what: exit status $rc after the unbind, expected 4"
	grep -q 'device disconnected after [0-9]* bytes' /run/rcv.err ||
		fail "$what: no clear message about the disconnect"
	[ "$(rcv_field "$out" 2)" -gt 0 ] || fail "$what: no final line: '$out'"
	ok "$what: unbind -> exit 4 within $((t1 - t0)) s: $(grep 'disconnected' /run/rcv.err)"
}

rcv_begin
rcv_load
rcv_gadget
unplug_during received --any-bulk --no-verify --bytes 1T
rcv_bind
unplug_during sent --any-bulk --send --bytes 1T
# and once more through --device, without libusb's device list
rcv_bind
unplug_during received --device "$RCV_DEV" --any-bulk --no-verify --queue 16 --size 256K
exit 0
