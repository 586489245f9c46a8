#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# perms-group: a member of the group iio-usb-bridge, not root, runs the
# demo's device side (iub stream: the simulated ADC through bridge routes to
# USB bulk IN, DMABUFs from udmabuf and from the system heap), and a member
# of plugdev, not root, runs the host side (iub-usb-recv), which verifies
# every byte. The permissions come from our own files, applied the way a
# machine applies them: the group from the sysusers.d entry
# (systemd-sysusers), the nodes' group and mode from the udev rules of the
# device and host install components (packaging/*.rules, installed
# verbatim: packaging/install checks it), applied by the host's
# systemd-udevd, run in the guest through chroot /host, with only those
# rules (Debian's own are hidden), on `udevadm trigger`. Without the rule
# lines for /dev/udmabuf and /dev/dma_heap/system the device side fails.
#
# The host's root is read-only: the accounts are copies of its passwd and
# group in the guest's /host/run, bound over /host/etc. Everything is undone
# at the end (the nodes get their owner and mode back, udevd exits).
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
# programs of the host's root by absolute path: busybox's chroot runs its
# own applet of the same name (setpriv) rather than the host's. udevadm
# ignores trigger and settle in a chroot unless SYSTEMD_IGNORE_CHROOT is set.
H="env SYSTEMD_IGNORE_CHROOT=1 chroot /host"
P=/run/iub-perms		# in the chroot; /host$P outside
# owner, group and mode by name (the guest's busybox has no passwd)
perm() { $H /usr/bin/stat -c '%U:%G %a' "$1"; }
IUB=${IUB_GUEST_BUILD#/host}/tools/iub/iub
DEVICE_RULES=$IUB_GUEST_SRC/packaging/60-iio-usb-bridge.rules
HOST_RULES=$IUB_GUEST_SRC/packaging/60-iio-usb-bridge-host.rules
SYSUSERS=$IUB_GUEST_SRC/packaging/iio-usb-bridge.sysusers
NODES="/dev/iio-usb-bridge /dev/udmabuf /dev/dma_heap/system"
MiB=1048576
BYTES=$((32 * MiB))

cleanup() {
	$H /usr/bin/udevadm control --exit 2>/dev/null
	usb_teardown
	for m in /host/usr/lib/udev/rules.d /host/etc/udev/rules.d \
		 /host/etc/passwd /host/etc/group; do
		grep -q " $m " /proc/mounts && umount "$m"
	done
	[ -f /run/perms-saved ] && while read -r node uid gid mode; do
		chown "$uid:$gid" "$node"
		chmod "$mode" "$node"
	done < /run/perms-saved
	rm -rf "/host$P" /host/run/udev /run/perms-saved
}
fail() { echo "not ok - $*"; cleanup; exit 1; }

# as USER COMMAND...: in the host's root, as USER with the groups the
# group file gives it (no capabilities are left after the switch from
# root), ended after STEP seconds (usb-lib.sh's STEP_S where it has one)
STEP=${STEP_S:-100}
as() {
	u=$1
	shift
	TMPDIR=/run timeout -k 5 "$STEP" chroot /host /usr/bin/setpriv --reuid="$u" --regid="$u" \
		--init-groups -- "$@"
}

# open_as USER NODE: can USER open NODE for reading and writing?
open_as() {
	as "$1" sh -c "exec 3<> $2" 2>/dev/null
}

$H test -x /lib/systemd/systemd-udevd ||
	fail "the host has no systemd-udevd (package udev; tools/setup.sh)"
for f in $NODES; do
	[ -c "$f" ] || fail "$f is missing"
	echo "$f $(stat -c '%u %g %a' "$f")" >> /run/perms-saved
done

# 1. The accounts: the group from our sysusers.d entry, a device-side user
# in it and a host-side user in plugdev.
mkdir -p "/host$P/root/etc"
cp /host/etc/passwd /host/etc/group "/host$P/root/etc/" || fail "copy passwd, group"
$H /usr/bin/systemd-sysusers --root="$P/root" "${SYSUSERS#/host}" ||
	fail "systemd-sysusers $SYSUSERS"
grep -q '^iio-usb-bridge:' "/host$P/root/etc/group" ||
	fail "systemd-sysusers did not create the group iio-usb-bridge"
printf 'iubdev:x:64001:64001::/nonexistent:/usr/sbin/nologin\n' >> "/host$P/root/etc/passwd"
printf 'iubpc:x:64002:64002::/nonexistent:/usr/sbin/nologin\n' >> "/host$P/root/etc/passwd"
printf 'iubdev:x:64001:\niubpc:x:64002:\n' >> "/host$P/root/etc/group"
# usermod -aG, by hand: a member after the third colon
sed -i -e '/^iio-usb-bridge:/s/$/,iubdev/' -e '/^plugdev:/s/$/,iubpc/' \
	-e 's/^\(iio-usb-bridge:[^:]*:[^:]*:\),/\1/' -e 's/^\(plugdev:[^:]*:[^:]*:\),/\1/' \
	"/host$P/root/etc/group"
mount --bind "/host$P/root/etc/passwd" /host/etc/passwd || fail "bind passwd"
mount --bind "/host$P/root/etc/group" /host/etc/group || fail "bind group"
echo "ok - accounts: $(as iubdev id) / $(as iubpc id)"
as iubdev id -Gn | grep -qw iio-usb-bridge || fail "iubdev is not in iio-usb-bridge"

# 2. Before the rules, the nodes are root's: the user is refused.
for f in $NODES; do
	open_as iubdev "$f" && fail "iubdev opened $f before the rules applied"
done
echo "ok - before the rules: iubdev cannot open $NODES"

# 3. The gadget (root's job on the board: modules, configfs) and its USB
# device on the host side of the same VM.
usb_setup dummy is_super_speed=1 || fail "gadget setup"
usbdev=
for d in /sys/bus/usb/devices/*; do
	[ "$(cat "$d/idVendor" 2>/dev/null):$(cat "$d/idProduct" 2>/dev/null)" = 1d6b:0104 ] || continue
	[ "$(cat "$d/manufacturer" 2>/dev/null)" = iio-usb-bridge ] || continue
	usbdev=$(printf '/dev/bus/usb/%03d/%03d' "$(cat "$d/busnum")" "$(cat "$d/devnum")")
done
if [ -z "$usbdev" ] || [ ! -c "$usbdev" ]; then
	fail "the gadget's USB device node is missing"
fi

# 4. udevd with our rules only, coldplug as at boot.
mount -t tmpfs tmpfs /host/usr/lib/udev/rules.d || fail "hide Debian's rules"
[ -d /host/etc/udev/rules.d ] && mount -t tmpfs tmpfs /host/etc/udev/rules.d
mkdir -p /host/run/udev/rules.d
cp "$DEVICE_RULES" "$HOST_RULES" /host/run/udev/rules.d/ || fail "copy the rules"
$H /lib/systemd/systemd-udevd --daemon || fail "systemd-udevd did not start"
$H /usr/bin/udevadm trigger --action=add --subsystem-match=misc \
	--subsystem-match=dma_heap --subsystem-match=usb || fail "udevadm trigger"
$H /usr/bin/udevadm settle --timeout=60 || fail "udevadm settle"
for f in $NODES $usbdev; do
	echo "ok - after udevadm trigger: $f $(perm "$f")"
done
for f in $NODES; do
	[ "$(perm "$f")" = "root:iio-usb-bridge 660" ] ||
		fail "$f: $(perm "$f"), not root:iio-usb-bridge 660 (${DEVICE_RULES##*/})"
	open_as iubdev "$f" || fail "iubdev cannot open $f"
done
[ "$(perm "$usbdev")" = "root:plugdev 660" ] ||
	fail "$usbdev: $(perm "$usbdev"), not root:plugdev 660 (${HOST_RULES##*/})"
open_as iubpc /dev/iio-usb-bridge && fail "iubpc (not in the group) opened /dev/iio-usb-bridge"

# 5. The demo, both sides unprivileged: udmabuf, then the system heap.
for heap in "" -H; do
	what=udmabuf
	[ -z "$heap" ] || what="the system heap"
	as iubpc "$RECV" --quiet --bytes "$BYTES" --seconds "$STEP" > /tmp/recv.out 2>&1 &
	rpid=$!
	# shellcheck disable=SC2086 # $heap is empty or one option
	as iubdev "$IUB" stream $heap -b $MiB -n 8 -B "$BYTES" iub-sim-adc.0:rx usb0:in0 \
		> /tmp/iub.out 2>&1
	src=$?
	[ $src = 0 ] || kill $rpid 2>/dev/null
	wait $rpid
	dst=$?
	cat /tmp/iub.out /tmp/recv.out
	[ $src = 0 ] || fail "iub stream as iubdev ($what): exit $src"
	if [ $dst != 0 ] || ! grep -q "verified: yes" /tmp/recv.out; then
		fail "iub-usb-recv as iubpc: exit $dst"
	fi
	echo "ok - $((BYTES / MiB)) MiB ADC -> USB, DMABUFs from $what: iub as iubdev (iio-usb-bridge), iub-usb-recv as iubpc (plugdev), verified"
done
cleanup
for f in $NODES; do
	echo "ok - restored: $f $(stat -c '%u:%g %a' "$f")"
done
exit 0
