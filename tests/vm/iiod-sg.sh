#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iiod-sg: iub-iiod on the simulated scatter-gather UDC. Its host is
# simulated in the kernel, so no libiio client runs there (iiod-usb runs
# them on dummy_hcd); what it sends is libiio's vendor requests, given to
# its debugfs "control" file. The daemon serves its pipes on the SG path,
# follows RESET_PIPES, OPEN_PIPE and CLOSE_PIPE (the kernel ends the
# pipes' OUT transfers, the pipe threads end and are restarted), the link
# going down and up (OFFLINE, ONLINE), survives a stalled request, and
# exits when the function is unbound; the UDC sees no gadget API misuse.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
. "$IUB_GUEST_SRC/tests/vm/iiod-lib.sh"
fail() {
	echo "not ok - $*"
	[ -f "$IIOD_LOG" ] && tail -n 40 "$IIOD_LOG" | sed 's/^/# iub-iiod: /'
	iiod_teardown
	exit 1
}

# request BREQUEST PIPE: libiio's request, sent by the simulated host
request() {
	echo $(( (0x41 << 40) | ($1 << 32) | ($2 << 16) )) > "$DBG/control"
}

# logged TEXT: the daemon's log has TEXT within 10 s (a fixed string)
logged() {
	for _ in $(seq 100); do
		grep -qF "$1" "$IIOD_LOG" && return 0
		sleep 0.1
	done
	return 1
}

rm -f "$IIOD_LOG"
iiod_gadget_up sim || fail "gadget in protocol=libiio on iub-sim-udc.0"
usb_port_flags usb0:in0 | grep -q USB_SG || fail "usb0:in0 is not on the SG path"
ep_pause out 1		# the simulated host sends nothing on bulk OUT
iiod_start -v || fail "iub-iiod did not start"
for k in 0 1 2; do
	logged "pipe $k: serving usb0:in$k/usb0:out$k (OUT packets of 1024 bytes)" ||
		fail "pipe $k not served"
done
echo "ok - iub-iiod serves 3 pipes on the SG UDC (OUT packets of 1024 bytes)"

# libiio's context creation: RESET_PIPES, OPEN_PIPE 0
request 0 0 || fail "RESET_PIPES stalled"
request 1 0 || fail "OPEN_PIPE 0 stalled"
logged "event RESET_PIPES 0" || fail "no RESET_PIPES event"
for k in 0 1 2; do
	logged "pipe $k: ends: Operation canceled" || fail "pipe $k's OUT transfer was not ended by RESET_PIPES"
	logged "pipe $k: stopped" || fail "pipe $k not stopped"
done
logged "event OPEN_PIPE 0" || fail "no OPEN_PIPE 0 event"
[ "$(grep -c "pipe 0: serving" "$IIOD_LOG")" = 2 ] || fail "pipe 0 not served again after OPEN_PIPE 0"
echo "ok - RESET_PIPES ended every pipe, OPEN_PIPE 0 serves pipe 0 again"

# a buffer's pipe: OPEN_PIPE 1, then CLOSE_PIPE 1
request 1 1 || fail "OPEN_PIPE 1 stalled"
logged "event OPEN_PIPE 1" || fail "no OPEN_PIPE 1 event"
for _ in $(seq 100); do
	[ "$(grep -c "pipe 1: serving" "$IIOD_LOG")" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c "pipe 1: serving" "$IIOD_LOG")" = 2 ] || fail "pipe 1 not served after OPEN_PIPE 1"
request 2 1 || fail "CLOSE_PIPE 1 stalled"
logged "event CLOSE_PIPE 1" || fail "no CLOSE_PIPE 1 event"
for _ in $(seq 100); do
	[ "$(grep -c "pipe 1: stopped" "$IIOD_LOG")" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c "pipe 1: stopped" "$IIOD_LOG")" = 2 ] || fail "pipe 1 not stopped after CLOSE_PIPE 1"
echo "ok - OPEN_PIPE 1 serves pipe 1, CLOSE_PIPE 1 stops it"

# a pipe the function does not have: stalled, nothing happens
request 1 7 2>/dev/null && fail "OPEN_PIPE 7 was not stalled"
iiod_alive || fail "iub-iiod died"
echo "ok - OPEN_PIPE 7 stalls, the daemon goes on"

# the cable: OFFLINE stops every pipe, ONLINE serves them all again
echo 1 > "$DBG/disconnect"
logged "event OFFLINE 0" || fail "no OFFLINE event"
echo 1 > "$DBG/connect"
logged "event ONLINE 0" || fail "no ONLINE event after the reconnect"
for _ in $(seq 100); do
	[ "$(grep -c "pipe 2: serving" "$IIOD_LOG")" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c "pipe 2: serving" "$IIOD_LOG")" = 2 ] || fail "pipe 2 not served after ONLINE"
iiod_alive || fail "iub-iiod died"
echo "ok - disconnect and reconnect: OFFLINE, ONLINE, every pipe served again"

# unbound: the function's ports go, the daemon exits (status 1) within 5 s
$GADGET unbind
for _ in $(seq 50); do
	kill -0 "$iiod_pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$iiod_pid" 2>/dev/null && fail "iub-iiod still runs 5 s after its function was unbound"
wait "$iiod_pid"
rc=$?
iiod_pid=
[ $rc = 1 ] || fail "iub-iiod exited with $rc after the unbind, not 1"
grep -q "the USB function went away" "$IIOD_LOG" || fail "iub-iiod did not say why it ended"
misuse=$(cat "$DBG/misuse")
[ "$misuse" = 0 ] || fail "the UDC caught $misuse gadget API violations"
usb_teardown
echo "ok - unbound: iub-iiod ends with status 1; no gadget API misuse"
