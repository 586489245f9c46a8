#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test VM's initramfs (built by tools/vm/iub-vm).
# Mounts the usual filesystems, the host's root (read-only, /host) and the
# run's output directory (read-write, /out), then runs /out/job.sh, which
# the runner wrote, and powers off whatever happens.
/bin/busybox --install -s /bin
# the runner tells a kernel that died while booting from one that crashed
# later by this line (the console shows only warnings and worse)
echo "iub-vm: guest userspace started"
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mkdir -p /proc /sys /dev /tmp /host /out /lib/modules /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

while read -r ko; do
	insmod "/lib/9p/$ko" || echo "iub-vm: insmod $ko failed"
done < /lib/9p/order
opts=trans=virtio,version=9p2000.L,msize=524288,cache=none
mount -t 9p -o "$opts,ro" hostroot /host || echo "iub-vm: cannot mount hostroot"
mount -t 9p -o "$opts" iubout /out || echo "iub-vm: cannot mount iubout"

if [ -f /out/job.sh ]; then
	sh /out/job.sh
	echo "iub-vm: job exited with status $?"
else
	echo "iub-vm: no /out/job.sh"
fi
sync
poweroff -f
