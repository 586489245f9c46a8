#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Shared by the USB tests: set up a gadget with the bridge's function on a
# UDC, run the device side (usb-stream) against the host side
# (iub-usb-recv), tear it all down.
# shellcheck disable=SC2034
fail() { echo "not ok - $*"; usb_teardown; exit 1; }
GADGET="sh $IUB_GUEST_SRC/tools/iub-gadget.sh"
STREAM=$IUB_GUEST_BUILD/tests/vm/usb-stream
# the receiver runs in the host root (chroot): its path there
RECV=${IUB_GUEST_BUILD#/host}/tools/usb-receiver/iub-usb-recv

# Every step that waits on the other side of a USB link ends after STEP_S
# seconds, a sixth of the test's limit (IUB_TEST_LIMIT, from the harness;
# at least 30 s), and says so: a driver that loses a short packet or
# miscounts a length fails that step by name instead of leaving the test to
# its watchdog. step_timed_out T0: whether STEP_S passed since T0.
STEP_S=$(( ${IUB_TEST_LIMIT:-300} / 6 ))
[ "$STEP_S" -ge 30 ] || STEP_S=30
step_timed_out() {
	[ $(( $(date +%s) - $1 )) -ge "$STEP_S" ] &&
		echo "not ok - no verdict within ${STEP_S}s: timed out"
}

# bounded CMD...: CMD, ended after STEP_S seconds. (busybox's timeout
# execs CMD, so $! of `timeout ... CMD &` is CMD itself; its watcher runs
# in a session of its own, out of the harness's reach, and exits within a
# second of CMD.)
bounded() {
	_t0=$(date +%s)
	timeout -k 5 "$STEP_S" "$@"
	_rc=$?
	[ $_rc = 0 ] || step_timed_out "$_t0"
	return $_rc
}

# usb_setup dummy|sim [module params]: a UDC and a bound gadget, configured;
# the function as USB_FUNC_ARGS says (iub-gadget.sh create: name, in_eps,
# out_eps, protocol), by default one IN and one OUT endpoint
USB_FUNC_ARGS=${USB_FUNC_ARGS:-usb0 1 1}
usb_setup() {
	usb_udc_kind=$1
	shift
	if [ "$usb_udc_kind" = dummy ]; then
		modprobe dummy_hcd "$@" || return 1
		udc=dummy_udc.0
	else
		insmod "$IUB_GUEST_KMOD/sim/udc/iub_sim_udc.ko" "$@" || return 1
		udc=iub-sim-udc.0
	fi
	# shellcheck disable=SC2086 # the arguments, split
	$GADGET create $USB_FUNC_ARGS || return 1
	$GADGET bind "$udc" || return 1
	# wait until the host configured us (the port is online)
	for _ in $(seq 50); do
		usb_port_flags usb0:in0 | grep -q ONLINE && return 0
		sleep 0.2
	done
	echo "usb0:in0 never came online"
	return 1
}

usb_teardown() {
	$GADGET remove 2>/dev/null
	if [ "${usb_udc_kind:-}" = dummy ]; then
		rmmod dummy_hcd 2>/dev/null
	elif [ "${usb_udc_kind:-}" = sim ]; then
		rmmod iub_sim_udc 2>/dev/null
	fi
	usb_udc_kind=
	return 0
}

usb_lsusb() {
	# lsusb of the guest's architecture (tools/vm/iub-vm)
	chroot /host "${IUB_GUEST_HOSTBIN:-}lsusb" -v -d 1d6b:0104
}

# usb_port_flags NAME: the port's flags, by name (from iub-ports)
usb_port_flags() {
	"$IUB_GUEST_BUILD/tests/vm/iub-ports" | awk -v n="$1" '$2 == n { print $0 }'
}

# usb_in PORT BYTES [SIZE QUEUE]: bridge -> host, verified by the receiver
usb_in() {
	"$STREAM" in "$1" "$2" "${3:-1048576}" "${4:-8}" > /tmp/stream.out 2>&1 &
	spid=$!
	TMPDIR=/run chroot /host "$RECV" --quiet --bytes "$2" --seconds "$STEP_S" \
		> /tmp/recv.out 2>&1
	rc=$?
	[ $rc = 0 ] || kill $spid 2>/dev/null
	wait $spid || rc=1
	cat /tmp/stream.out /tmp/recv.out
	[ $rc = 0 ] && grep -q "verified: yes" /tmp/recv.out
}

# usb_out PORT BYTES [SIZE QUEUE]: host -> bridge, verified by usb-stream
usb_out() {
	"$STREAM" out "$1" "$2" "${3:-1048576}" "${4:-8}" > /tmp/stream.out 2>&1 &
	spid=$!
	TMPDIR=/run chroot /host "$RECV" --quiet --send --bytes "$2" --seconds "$STEP_S" ||
		{ kill $spid; return 1; }
	wait $spid
	rc=$?
	cat /tmp/stream.out
	[ $rc = 0 ] && grep -q "verified: yes" /tmp/stream.out
}

# The simulated SG UDC's endpoint counters (sim/udc debugfs).
DBG=/sys/kernel/debug/iub-sim-udc
# ep_sum in|out FILE: a counter summed over the endpoints of a direction
ep_sum() {
	t=0
	for f in "$DBG"/ep*"$1"/"$2"; do
		t=$((t + $(cat "$f")))
	done
	echo $t
}
ep_reset() {
	for f in "$DBG"/ep*/reset; do echo 1 > "$f"; done
}
# ep_pause in|out 0|1: the simulated host stops (1) or goes on taking data
ep_pause() {
	for f in "$DBG"/ep*"$1"/pause; do echo "$2" > "$f"; done
}

# wait_for_line FILE TEXT: until FILE has a line with TEXT (60 s at most)
wait_for_line() {
	for _ in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# dmabufs_back BASE: the system's DMABUF count is back to BASE within 5 s
dmabufs_back() {
	for _ in $(seq 100); do
		[ "$("$IUB_GUEST_BUILD/tests/vm/dmabuf-count")" = "$1" ] && return 0
		sleep 0.05
	done
	echo "$("$IUB_GUEST_BUILD/tests/vm/dmabuf-count") DMABUFs alive, $1 before"
	return 1
}

# The bridge's modules: mod_loaded NAME; mod_unloads NAME (rmmod succeeds
# within 5 s: buffer releases and fence frees may still be queued);
# bridge_reload (insmod what is missing, with the suite's parameters).
mod_loaded() { grep -q "^$1 " /proc/modules; }

mod_unloads() {
	for _ in $(seq 100); do
		rmmod "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "rmmod $1 still refused 5 s after its last user went: $(grep "^$1 " /proc/modules)"
}

bridge_reload() {
	mod_loaded iio_usb_bridge ||
		insmod "$IUB_GUEST_KMOD/driver/iio_usb_bridge.ko" converters=iub-sim-adc.0:rx,iub-sim-adc.1:rx,iub-sim-dac.0:tx,iub-sim-adc.7:rx ||
		fail "insmod bridge"
	mod_loaded usb_f_iio_usb_bridge ||
		insmod "$IUB_GUEST_KMOD/driver/usb_f_iio_usb_bridge.ko" ||
		fail "insmod function"
}
