#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kmemleak steps of the debug-kernel runs (tools/debug-kernel/test.sh adds
# them as the first and the last test of each boot, leak-baseline and
# leak-scan: a test's name must not contain "kmemleak", which the harness
# looks for in the kernel log, where its begin marker is; busybox sh).
#
#   kmemleak.sh baseline   scan once and forget what is there: objects the
#                          kernel leaked while booting. Fails if any of
#                          them was allocated by our modules (loaded by
#                          then). The kernel log of this step is cleared
#                          (the scan's own line would fail the step); the
#                          report stays in this step's log and the console.
#   kmemleak.sh scan       scan and fail on any report since the baseline.
K=/sys/kernel/debug/kmemleak
OURS='iio_usb_bridge|usb_f_iio_usb_bridge|iub_|\[iub'

[ -e $K ] || { echo "# SKIP: no kmemleak in this kernel"; exit 4; }
case ${1:-} in
baseline)
	echo scan > $K
	cat $K > /tmp/kmemleak.boot
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.boot)
	echo "kmemleak: $n objects leaked before the tests (boot):"
	cat /tmp/kmemleak.boot
	echo clear > $K
	dmesg -c > /dev/null
	if grep -qE "$OURS" /tmp/kmemleak.boot; then
		echo "not ok - our modules leaked while loading"
		exit 1
	fi
	echo "ok - kmemleak baseline ($n boot-time objects set aside)"
	;;
scan)
	# objects younger than 5 s are not reported yet
	sleep 6
	echo scan > $K
	cat $K > /tmp/kmemleak.out
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.out)
	cat /tmp/kmemleak.out
	if [ "$n" != 0 ]; then
		echo "not ok - kmemleak: $n unreferenced objects"
		exit 1
	fi
	echo "ok - kmemleak: nothing leaked"
	;;
*)
	echo "usage: kmemleak.sh baseline|scan" >&2
	exit 2
	;;
esac
