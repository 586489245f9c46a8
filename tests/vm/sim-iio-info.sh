#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sim-iio-info: Debian's iio_info (libiio-utils, run from the host's root
# with chroot) lists the simulated ADCs and DAC with their channels.
set -u
fail() { echo "not ok - $*"; exit 1; }

if ! [ -x "/host${IUB_GUEST_HOSTBIN:-/usr/bin/}iio_info" ]; then
	echo "1..0 # SKIP iio_info not installed on the host (libiio-utils)"
	exit 4
fi
out=$(TMPDIR=/run chroot /host "${IUB_GUEST_HOSTBIN:-}iio_info" 2>&1) || { echo "$out"; fail "iio_info failed"; }
echo "$out" | sed 's/^/# /'

# iio_info prints a device as "iio:deviceN: NAME (buffer capable)", then its
# channels as "voltage0:  (input, index: 0, format: le:U32/32>>0)".
check_dev() {
	name=$1 dir=$2 nchan=$3
	block=$(echo "$out" | awk -v n="$name" '
		/^\tiio:device[0-9]+: / { on = ($2 == n) }
		on')
	[ -n "$block" ] || fail "$name not listed"
	i=0
	while [ $i -lt "$nchan" ]; do
		echo "$block" | grep -Eq "voltage$i: +\($dir, index: $i, format: le:U32/32>>0\)" ||
			fail "$name: channel voltage$i ($dir) missing"
		i=$((i + 1))
	done
	echo "$block" | grep -q "sampling_frequency" || fail "$name: no sampling_frequency"
	echo "ok - $name with $nchan $dir channels"
}

check_dev iub-sim-adc input 2
check_dev iub-sim-dac output 2
check_dev iub-sim-adc-dmabuf input 2
[ "$(echo "$out" | grep -c '^	iio:device[0-9]*: iub-sim-adc ')" -ge 2 ] ||
	fail "fewer than 2 simulated ADCs"
echo "ok - all simulated converters listed"
