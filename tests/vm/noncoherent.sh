#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# noncoherent (arm64 lane only): on arm64 the simulated board's DMA device
# is not cache coherent (a platform device without dma-coherent), as the
# ZynqMP's axi-dmac is, so the transfers of the data tests go through the
# architecture's cache maintenance. Proof, with the function tracer, during
# an ADC to DAC route (DMA_FROM_DEVICE, then DMA_TO_DEVICE of the same
# buffers): the bridge syncs each transfer's range for the device and for
# the CPU (__dma_sync_single_for_*() called from iub_*; none at all on a
# coherent machine, tools/bench/bench-guest.sh), and the architecture's
# arch_sync_dma_for_device() and arch_sync_dma_for_cpu() run.
set -u
fail() {
	echo "not ok - $*"
	echo nop > $T/current_tracer 2>/dev/null
	echo > $T/set_ftrace_filter 2>/dev/null
	echo 1 > $T/tracing_on 2>/dev/null
	exit 1
}
T=/sys/kernel/tracing
IUB=$IUB_GUEST_BUILD/tools/iub/iub
FUNCS="arch_sync_dma_for_device arch_sync_dma_for_cpu __dma_sync_single_for_device __dma_sync_single_for_cpu"
[ "$(uname -m)" = aarch64 ] || fail "for arm64 guests only (uname -m: $(uname -m))"
grep -q " $T " /proc/mounts || mount -t tracefs nodev $T || fail "tracefs"
for f in $FUNCS; do
	grep -qx "$f" $T/available_filter_functions || fail "$f cannot be traced"
done
echo nop > $T/current_tracer
echo > $T/trace
echo 8192 > $T/buffer_size_kb
echo "$FUNCS" > $T/set_ftrace_filter || fail "set_ftrace_filter"
echo function > $T/current_tracer || fail "function tracer"
$IUB stream -q -b 65536 -n 4 -B 4194304 iub-sim-adc.0:rx iub-sim-dac.0:tx \
	> /tmp/stream.out 2>&1
rc=$?
# the trace before the tracer changes: that clears it
echo 0 > $T/tracing_on
grep -v '^#' $T/trace > /tmp/trace.txt
echo nop > $T/current_tracer
echo > $T/set_ftrace_filter
echo 1 > $T/tracing_on
cat /tmp/stream.out
[ $rc = 0 ] || fail "iub stream ADC to DAC (status $rc)"
for f in arch_sync_dma_for_device arch_sync_dma_for_cpu; do
	n=$(grep -c " $f <-" /tmp/trace.txt)
	[ "$n" -gt 0 ] || fail "$f never ran: no cache maintenance"
	echo "ok - $f ran $n times"
done
for f in __dma_sync_single_for_device __dma_sync_single_for_cpu; do
	n=$(grep -c " $f <-iub_" /tmp/trace.txt)
	[ "$n" -gt 0 ] || fail "the bridge never called $f"
	echo "ok - the bridge called $f $n times"
done
