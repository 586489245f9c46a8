#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# route-usb: the product's main job. ADC -> bulk IN routes (1 GiB at 1 MiB
# buffers; 4 KiB to 16 MiB buffers) verified by the host-side receiver, and
# bulk OUT -> DAC routes (256 MiB; 4 KiB to 16 MiB buffers) verified by the
# DAC, including short OUT transfers (host transfers ending in a short
# packet). Each step ends within STEP_S (usb-lib.sh), whatever the
# driver does with short packets. 4 KiB buffers stream 32 MiB only: each
# route costs a few workqueue hops, slow under emulation.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
IUB=$IUB_GUEST_BUILD/tools/iub/iub
D=/sys/kernel/debug/iub-sim-dma/chan2
MiB=1048576

usb_setup dummy is_super_speed=1 || fail "setup"

# capture: every size streams, 1 GiB at 1 MiB
for spec in 4096:16:$((32 * MiB)) 65536:16:$((64 * MiB)) $MiB:8:$((1024 * MiB)) $((16 * MiB)):4:$((256 * MiB)); do
	size=${spec%%:*} rest=${spec#*:} n=${rest%%:*} bytes=${rest#*:}
	TMPDIR=/run chroot /host "$RECV" --quiet --bytes "$bytes" --seconds "$STEP_S" > /tmp/recv.out 2>&1 &
	rpid=$!
	bounded "$IUB" stream -q -b "$size" -n "$n" -B "$bytes" iub-sim-adc.0:rx usb0:in0 > /tmp/iub.out 2>&1 ||
		{ cat /tmp/iub.out; kill $rpid; fail "capture route, $size-byte buffers"; }
	wait $rpid || { cat /tmp/recv.out; fail "receiver, $size-byte buffers"; }
	grep -q "verified: yes" /tmp/recv.out || fail "not verified"
	cat /tmp/iub.out /tmp/recv.out
	echo "ok - ADC -> bulk IN, $n x $size-byte buffers, $bytes bytes verified by the host"
done

# playback: bulk OUT -> DAC, the DAC verifies, at buffer sizes 4 KiB to
# 16 MiB (BUFFER:COUNT:HOST_TRANSFER:BYTES); the host's 1000000-byte
# transfers end with short packets, so those routes carry short first
# stages
for spec in 4096:16:65536:$((32 * MiB)) 65536:16:$MiB:$((256 * MiB)) \
	    $MiB:8:$MiB:$((256 * MiB)) $MiB:8:1000000:$((256 * MiB)) \
	    $((16 * MiB)):4:$MiB:$((256 * MiB)); do
	bsize=${spec%%:*} rest=${spec#*:} n=${rest%%:*} rest=${rest#*:}
	hsize=${rest%%:*} bytes=${rest#*:}
	echo 1 > $D/reset
	t0=$(date +%s)
	timeout -k 5 "$STEP_S" "$IUB" stream -q -b "$bsize" -n "$n" -B "$bytes" usb0:out0 iub-sim-dac.0:tx > /tmp/iub.out 2>&1 &
	ipid=$!
	TMPDIR=/run chroot /host "$RECV" --quiet --send --size "$hsize" --bytes "$bytes" --seconds "$STEP_S" ||
		{ kill $ipid; step_timed_out "$t0"; fail "sender, host transfers of $hsize bytes"; }
	# the last routes may wait for data that never comes when the host's
	# transfers were short: end them
	sleep 1
	kill -INT $ipid 2>/dev/null
	wait $ipid
	step_timed_out "$t0" && fail "bulk OUT -> DAC, $bsize-byte buffers"
	cat /tmp/iub.out
	[ "$(cat $D/consumed_bytes)" = "$bytes" ] || fail "DAC consumed $(cat $D/consumed_bytes)"
	[ "$(cat $D/mismatches)" = 0 ] || fail "DAC saw $(cat $D/mismatches) mismatches"
	echo "ok - bulk OUT -> DAC, $n x $bsize-byte buffers, $bytes bytes, host transfers of $hsize bytes, verified by the DAC"
done
usb_teardown
