#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Create, bind, unbind and remove a USB gadget with the iio_usb_bridge
# function through configfs (any UDC; POSIX sh, busybox is enough).
#
#   iub-gadget.sh create [NAME] [in_eps] [out_eps] [protocol]
#                                                    gadget "iub" + function;
#                                                    protocol: bridge|libiio
#   iub-gadget.sh bind [UDC]                         default: first UDC
#   iub-gadget.sh unbind
#   iub-gadget.sh remove                             unbind and delete it all
#
# Vendor/product 0x1d6b:0x0104 (Linux Foundation, multifunction composite
# gadget); the host finds our interface by its string "iio-usb-bridge", or
# "IIO" with protocol libiio (pipes: in_eps must equal out_eps).
set -e
CFS=/sys/kernel/config
G=$CFS/usb_gadget/iub

setup_configfs() {
	grep -q " $CFS " /proc/mounts || {
		modprobe configfs 2>/dev/null || true
		mount -t configfs none "$CFS"
	}
	modprobe libcomposite 2>/dev/null || true
	# the function lives in usb_f_iio_usb_bridge.ko; configfs loads it
	# through its alias when it is installed, else load it first
}

create() {
	name=${1:-usb0} in=${2:-1} out=${3:-1} protocol=${4:-bridge}
	setup_configfs
	mkdir -p "$G"
	echo 0x1d6b > "$G/idVendor"
	echo 0x0104 > "$G/idProduct"
	echo 0x0200 > "$G/bcdUSB"
	mkdir -p "$G/strings/0x409"
	echo "iio-usb-bridge" > "$G/strings/0x409/manufacturer"
	echo "iio-usb-bridge streamer" > "$G/strings/0x409/product"
	echo "0001" > "$G/strings/0x409/serialnumber"
	mkdir -p "$G/configs/c.1/strings/0x409"
	echo "bridge" > "$G/configs/c.1/strings/0x409/configuration"
	echo 500 > "$G/configs/c.1/MaxPower"
	mkdir "$G/functions/iio_usb_bridge.$name"
	echo "$in" > "$G/functions/iio_usb_bridge.$name/in_eps"
	echo "$out" > "$G/functions/iio_usb_bridge.$name/out_eps"
	echo "$protocol" > "$G/functions/iio_usb_bridge.$name/protocol"
	ln -s "$G/functions/iio_usb_bridge.$name" "$G/configs/c.1/"
}

bind() {
	udc=${1:-}
	if [ -z "$udc" ]; then
		for u in /sys/class/udc/*; do
			[ -e "$u" ] && udc=${u##*/} && break
		done
	fi
	[ -n "$udc" ] || { echo "iub-gadget: no UDC" >&2; exit 1; }
	echo "$udc" > "$G/UDC"
}

unbind() {
	[ -e "$G/UDC" ] && [ -n "$(cat "$G/UDC")" ] && echo "" > "$G/UDC"
	return 0
}

remove() {
	[ -d "$G" ] || return 0
	unbind
	for f in "$G"/configs/c.1/iio_usb_bridge.*; do
		[ -L "$f" ] && rm "$f"
	done
	rmdir "$G/configs/c.1/strings/0x409" "$G/configs/c.1" 2>/dev/null || true
	for f in "$G"/functions/*; do
		[ -d "$f" ] && rmdir "$f"
	done
	rmdir "$G/strings/0x409" "$G" 2>/dev/null || true
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
create) create "$@" ;;
bind) bind "$@" ;;
unbind) unbind ;;
remove) remove ;;
*) sed -n '3,12p' "$0"; exit 2 ;;
esac
