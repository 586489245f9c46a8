# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the receiver-* in-VM tests (sourced, busybox sh): a configfs
# gadget with the kernel's f_sourcesink on dummy_hcd, the host-side
# receiver run through `chroot /host`, and a teardown that leaves the guest
# as it was (gadget removed, every module the test loaded unloaded).
#
#   rcv_begin                     remember the loaded modules, set the trap
#   rcv_load                      load dummy_hcd, libcomposite, usb_f_ss_lb
#   rcv_gadget                    create the SourceSink gadget, bind, wait
#   rcv_unbind / rcv_bind         unbind from / bind to dummy_udc.0
#   rcv_unload                    remove the gadget, unload what we loaded
#   $RECV ARGS...                 the receiver (output: as usual)
#   ok MSG / fail MSG             TAP-ish lines; fail exits 1

RCV_G=/sys/kernel/config/usb_gadget/iub-recv-test
RCV_F=$RCV_G/functions/SourceSink.0
RCV_VID=0525
RCV_PID=a4a0
RCV_BIN=${IUB_GUEST_BUILD#/host}/tools/usb-receiver/iub-usb-recv
# shellcheck disable=SC2034 # used by the scripts that source this one
RECV="chroot /host $RCV_BIN"
# /host/tmp is the host's, read-only: the receiver's temporary files go to
# /run (no `env` in the chroot: it would be the host's architecture's)
export TMPDIR=/run
RCV_DEV=		# /dev/bus/usb/BBB/DDD once enumerated

ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; exit 1; }

rcv_begin() {
	[ -x "/host$RCV_BIN" ] || { echo "$RCV_BIN missing (build first)"; exit 4; }
	rcv_mods_before=$(awk '{print $1}' /proc/modules | sort)
	trap rcv_unload EXIT
}

rcv_load() {
	modprobe dummy_hcd || fail "modprobe dummy_hcd"
	modprobe libcomposite || fail "modprobe libcomposite"
	modprobe usb_f_ss_lb || fail "modprobe usb_f_ss_lb"
	grep -q ' /sys/kernel/config ' /proc/mounts ||
		mount -t configfs none /sys/kernel/config || fail "mount configfs"
}

# rcv_wait_device: wait up to 20 s for the host side to enumerate the gadget
rcv_wait_device() {
	i=0
	while [ $i -lt 20 ]; do
		for d in /sys/bus/usb/devices/*; do
			[ -f "$d/idVendor" ] || continue
			[ "$(cat "$d/idVendor")" = $RCV_VID ] || continue
			[ "$(cat "$d/idProduct")" = $RCV_PID ] || continue
			RCV_DEV=$(printf '/dev/bus/usb/%03d/%03d' \
				"$(cat "$d/busnum")" "$(cat "$d/devnum")")
			# configured, and the node is there
			if [ "$(cat "$d/bConfigurationValue")" = 1 ] && [ -c "$RCV_DEV" ]; then
				return 0
			fi
		done
		sleep 1
		i=$((i + 1))
	done
	fail "the gadget did not enumerate on the host side"
}

rcv_bind() {
	echo dummy_udc.0 > $RCV_G/UDC || fail "bind to dummy_udc.0"
	rcv_wait_device
}

rcv_unbind() {
	echo "" > $RCV_G/UDC
}

# rcv_gadget: f_sourcesink with pattern 2 ("none": the sink accepts any
# data, so our stream can be sent to it); its IN data is not our stream.
rcv_gadget() {
	mkdir $RCV_G || fail "mkdir $RCV_G"
	echo 0x$RCV_VID > $RCV_G/idVendor
	echo 0x$RCV_PID > $RCV_G/idProduct
	mkdir $RCV_G/strings/0x409
	echo iub-recv-test > $RCV_G/strings/0x409/product
	mkdir $RCV_G/configs/c.1
	mkdir $RCV_F || fail "mkdir $RCV_F"
	echo 2 > $RCV_F/pattern
	echo 65536 > $RCV_F/bulk_buflen
	ln -s $RCV_F $RCV_G/configs/c.1/ || fail "link the function"
	rcv_bind
}

rcv_unload() {
	if [ -d $RCV_G ]; then
		[ -n "$(cat $RCV_G/UDC 2>/dev/null)" ] && rcv_unbind
		rm -f $RCV_G/configs/c.1/SourceSink.0
		rmdir $RCV_G/configs/c.1 $RCV_F $RCV_G/strings/0x409 $RCV_G
	fi
	# unload what we loaded, dependents first: a few passes
	for pass in 1 2 3 4; do
		awk '{print $1}' /proc/modules | while read -r m; do
			echo "$rcv_mods_before" | grep -qx "$m" && continue
			rmmod "$m" 2>/dev/null
		done
		: "$pass"
	done
	left=$(awk '{print $1}' /proc/modules | sort | while read -r m; do
		echo "$rcv_mods_before" | grep -qx "$m" || echo "$m"; done)
	[ -z "$left" ] || echo "# warning: still loaded: $left"
}

# rcv_field LINE N: the Nth blank-separated word of LINE
rcv_field() {
	echo "$1" | awk -v n="$2" '{print $n}'
}
