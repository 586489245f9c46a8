#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the bridge's KUnit tests in the debug-kernel VM (busybox sh):
#   run.sh KO    load the test module (the bridge is loaded), check every
#                suite's results in debugfs, unload it again.
# Exit 4 (skipped) on a kernel without KUnit.
ko=$1
SUITES="iub_range iub_check iub_route"
[ -d /sys/kernel/debug/kunit ] || { echo "# SKIP: no KUnit in this kernel"; exit 4; }
insmod "$ko" || { echo "not ok - insmod $ko"; exit 1; }
rc=0
for s in $SUITES; do
	r=/sys/kernel/debug/kunit/$s/results
	if [ ! -f "$r" ]; then
		echo "not ok - KUnit $s: no results"
		rc=1
		continue
	fi
	cat "$r"
	if grep -q 'not ok' "$r" || ! grep -q "^ok .* $s\$" "$r"; then
		echo "not ok - KUnit $s"
		rc=1
	else
		echo "ok - KUnit $s"
	fi
done
rmmod iub_kunit || rc=1
exit $rc
