#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Shared by the tests of iub-iiod (tests/vm/iiod-*.sh) and the demo's
# --libiio mode: a gadget with the bridge's function in protocol=libiio,
# the daemon, and Debian's libiio clients on the host side, all run from
# the host's root through chroot. Sourced after usb-lib.sh (STEP_S,
# bounded, fail).
# shellcheck disable=SC2034
IIOD=${IUB_GUEST_BUILD#/host}/tools/iiod-bridge/iub-iiod
IIOD_CLIENT=${IUB_GUEST_BUILD#/host}/tests/vm/iiod-client
VERIFY=$IUB_GUEST_BUILD/tests/vm/sim-adc-read
HOSTBIN=${IUB_GUEST_HOSTBIN:-}
IIOD_PIPES=3
IIOD_LOG=/tmp/iiod.log

# host CMD...: a program of the host's root, with a writable TMPDIR;
# hbounded CMD...: the same, ended after STEP_S seconds (usb-lib.sh)
host() {
	TMPDIR=/run chroot /host "$@"
}
hbounded() {
	bounded env TMPDIR=/run chroot /host "$@"
}

# iio_id PLATFORM_DEVICE: the IIO device id (iio:deviceN) of a converter
iio_id() {
	for _d in /sys/bus/iio/devices/iio:device*; do
		[ "$(basename "$(readlink -f "$_d/..")")" = "$1" ] && { echo "${_d##*/}"; return 0; }
	done
	return 1
}

# iiod_gadget_up dummy|sim [module params]: the function in protocol=libiio
# with IIOD_PIPES pipes, bound and configured by the host
iiod_gadget_up() {
	usb_udc_kind=$1
	shift
	if [ "$usb_udc_kind" = dummy ]; then
		modprobe dummy_hcd "$@" || return 1
		udc=dummy_udc.0
	else
		insmod "$IUB_GUEST_KMOD/sim/udc/iub_sim_udc.ko" "$@" || return 1
		udc=iub-sim-udc.0
	fi
	$GADGET create usb0 $IIOD_PIPES $IIOD_PIPES libiio || return 1
	$GADGET bind "$udc" || return 1
	for _ in $(seq 50); do
		usb_port_flags usb0:in0 | grep -q ONLINE && return 0
		sleep 0.2
	done
	echo "usb0:in0 never came online"
	return 1
}

# iiod_start [OPTIONS]: the daemon, in the background (iiod_pid)
iiod_start() {
	# (env and chroot exec it: $! is the daemon itself)
	env TMPDIR=/run chroot /host "$IIOD" --function usb0 "$@" >> $IIOD_LOG 2>&1 &
	iiod_pid=$!
	# it serves the pipes once it has claimed them
	for _ in $(seq 100); do
		usb_port_flags usb0:in0 | grep -q BUSY && return 0
		kill -0 "$iiod_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat $IIOD_LOG
	return 1
}

# iiod_stop: SIGTERM, and it must be gone within 5 s with status 0
iiod_stop() {
	[ -n "${iiod_pid:-}" ] || return 0
	kill -TERM "$iiod_pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$iiod_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$iiod_pid" 2>/dev/null; then
		kill -KILL "$iiod_pid"
		iiod_pid=
		echo "iub-iiod did not end within 5 s of SIGTERM"
		return 1
	fi
	wait "$iiod_pid"
	_rc=$?
	iiod_pid=
	[ $_rc = 0 ] || { echo "iub-iiod exited with $_rc"; return 1; }
}

# iiod_alive: the daemon still runs
iiod_alive() {
	kill -0 "${iiod_pid:-0}" 2>/dev/null || { cat $IIOD_LOG; return 1; }
}

iiod_teardown() {
	[ -z "${iiod_pid:-}" ] || kill -KILL "$iiod_pid" 2>/dev/null
	iiod_pid=
	usb_teardown
}
