#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# route-adc-dac: routes between converters, no USB: the ADC fills each
# buffer, the DAC plays it, in the kernel; the DAC verifies the stream
# (continuity across all buffers), for buffer sizes 4 KiB to 16 MiB.
set -u
fail() { echo "not ok - $*"; exit 1; }
IUB=$IUB_GUEST_BUILD/tools/iub/iub
D=/sys/kernel/debug/iub-sim-dma/chan2
MiB=1048576
for spec in 4096:16 65536:8 $MiB:8 $((16 * MiB)):4; do
	size=${spec%:*} n=${spec#*:}
	echo 1 > $D/reset
	$IUB stream -q -b "$size" -n "$n" -B $((64 * MiB)) iub-sim-adc.0:rx iub-sim-dac.0:tx ||
		fail "route stream, buffers of $size"
	[ "$(cat $D/consumed_bytes)" = $((64 * MiB)) ] || fail "DAC consumed $(cat $D/consumed_bytes)"
	[ "$(cat $D/mismatches)" = 0 ] || fail "DAC saw $(cat $D/mismatches) mismatches"
	echo "ok - 64 MiB ADC -> DAC in $n x $size-byte buffers, verified by the DAC"
done
