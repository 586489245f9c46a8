#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Shell helpers of the tests on the simulated SG UDC (sim/udc,
# Documentation/sim-udc.rst); sourced by the udc-*.sh tests (busybox sh).
#
#   udc_begin          remember which modules are loaded, restore on exit
#   udc_load PARAM...  insmod iub_sim_udc.ko with parameters, unless loaded
#   udc_state KEY      a value of /sys/kernel/debug/iub-sim-udc/state
#   udc_ep EP FILE     a file of an endpoint's debugfs directory
#   udc_set EP FILE V  write one
#   udc_enabled in|out the first enabled endpoint of a direction (ep1in, ...)
#   udc_wait_configured [SECONDS]
#   udc_ss_gadget NAME create a configfs gadget with f_sourcesink
#   udc_gadget_remove NAME

UDC_DBG=/sys/kernel/debug/iub-sim-udc
UDC_GADGETS=/sys/kernel/config/usb_gadget
UDC_KO=$IUB_GUEST_KMOD/sim/udc/iub_sim_udc.ko
# set by not_ok, the exit status of the test scripts
# shellcheck disable=SC2034
udc_failed=0

# TAP-ish reporting
ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	# shellcheck disable=SC2034
	udc_failed=1
}
fail() { echo "not ok - $*"; exit 1; }
check() { # check DESCRIPTION COMMAND...
	udc_desc=$1
	shift
	if "$@"; then ok "$udc_desc"; else not_ok "$udc_desc"; fi
}

udc_modules() {
	awk '{ print $1 }' /proc/modules
}

# Put the guest back as it was: our gadgets gone, modules we loaded
# unloaded (newest first, as /proc/modules lists them).
udc_restore() {
	for g in "$UDC_GADGETS"/iub-udc-*; do
		[ -d "$g" ] && udc_gadget_remove "${g##*/}"
	done
	for _ in 1 2 3 4 5; do
		left=
		for m in $(udc_modules); do
			case " $udc_mods_before " in
			*" $m "*) ;;
			*) rmmod "$m" 2> /dev/null || left="$left $m" ;;
			esac
		done
		[ -z "$left" ] && break
		sleep 1
	done
	[ -z "$left" ] || echo "# could not unload:$left"
}

udc_begin() {
	udc_mods_before=" $(udc_modules | tr '\n' ' ') "
	trap udc_restore EXIT
}

udc_load() {
	grep -q '^iub_sim_udc ' /proc/modules && return 0
	insmod "$UDC_KO" "$@"
}

udc_state() {
	sed -n "s/^$1: //p" "$UDC_DBG/state"
}

udc_ep() {
	cat "$UDC_DBG/$1/$2"
}

udc_set() {
	echo "$3" > "$UDC_DBG/$1/$2"
}

udc_enabled() {
	awk -v d="$1" '$1 ~ "^ep[0-9]+" d ":$" && $2 == "enabled" {
		sub(":", "", $1); print $1; exit }' "$UDC_DBG/state"
}

udc_wait_configured() {
	n=$((${1:-10} * 10))
	while [ "$n" -gt 0 ]; do
		[ "$(udc_state configured)" = 1 ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# udc_ss_gadget NAME: a gadget whose one configuration holds SourceSink.0
# with pattern 2 (no pattern: f_sourcesink neither fills IN nor checks OUT,
# so the fixture's OUT stream is not an error to it).
udc_ss_gadget() {
	g=$UDC_GADGETS/$1
	mkdir -p "$g" || return 1
	echo 0x1d6b > "$g/idVendor"
	echo 0x0104 > "$g/idProduct"
	mkdir -p "$g/configs/c.1" "$g/functions/SourceSink.0" || return 1
	echo 2 > "$g/functions/SourceSink.0/pattern"
	echo 16384 > "$g/functions/SourceSink.0/bulk_buflen"
	ln -s "$g/functions/SourceSink.0" "$g/configs/c.1/" || return 1
}

udc_gadget_remove() {
	g=$UDC_GADGETS/$1
	[ -d "$g" ] || return 0
	[ -n "$(cat "$g/UDC")" ] && echo > "$g/UDC"
	for l in "$g"/configs/*/*; do
		[ -L "$l" ] && rm "$l"
	done
	for d in "$g"/configs/*/strings/* "$g"/configs/* "$g"/functions/* \
		 "$g"/strings/*; do
		[ -d "$d" ] && rmdir "$d"
	done
	rmdir "$g"
}
