#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sim-strict: the simulated DMA engine as strict as the board's axi-dmac.
# The fixture's "strict" test first with iub_sim_dma's default parameters,
# then with the board's (dma_mask_bits=32 mem_width=16 max_seg=16777216):
# the DMA mask, widths and maximum segment consumers see, and prep refusing
# (NULL, counted in debugfs "refused", which "reset" clears) every segment
# beyond the mask, off the wider bus's beat or longer than max_seg, while
# transfers within the limits still verify. Bad values fail the load. Leaves
# the standard board and bridge loaded (tests/vm/modules.list).
set -u
fail() { echo "not ok - $*"; exit 1; }
load=$IUB_GUEST_SRC/sim/iub-sim-load.sh
ko=${IUB_SIM_DMATEST_KO:-$IUB_GUEST_KMOD/sim/tests/iub_sim_dmatest.ko}
params=/sys/module/iub_sim_dma/parameters
fixture=/sys/kernel/debug/iub-sim-dmatest
# chan_a of the fixture, the channel the "strict" test uses
chan=/sys/kernel/debug/iub-sim-dma/chan6
board="dma_mask_bits=32 mem_width=16 max_seg=16777216"

# what modules.list needs (harness.sh defines them for its own shell)
load_mod() {
	name=$1 ko=$2
	shift 2
	grep -q "^$name " /proc/modules || insmod "$ko" "$@"
}
kmod() {
	modprobe "$@"
}
loaded() {
	grep -q "^$1 " /proc/modules
}
# Back to the standard state: the default board under the bridge.
restore() {
	loaded iub_sim_dmatest && rmmod iub_sim_dmatest
	if [ "$(cat $params/mem_width 2>/dev/null)" != 4 ] ||
	   [ "$(cat $params/dma_mask_bits 2>/dev/null)" != 64 ] ||
	   [ "$(cat $params/max_seg 2>/dev/null)" != 4294967295 ]; then
		rmmod usb_f_iio_usb_bridge 2>/dev/null
		rmmod iio_usb_bridge 2>/dev/null
		sh "$load" --unload
	fi
	# shellcheck disable=SC1091
	. "$IUB_GUEST_SRC/tests/vm/modules.list"
}
trap restore EXIT

# run_fixture TEST: run the fixture's TEST, show its log
run_fixture() {
	if echo "$1" > $fixture/run; then
		cat $fixture/log
		echo "ok - fixture: $1"
	else
		cat $fixture/log
		fail "fixture: $1"
	fi
}

# check_refused: the channel's "refused" holds what the last "strict"
# counted; "reset" clears it
check_refused() {
	n=$(sed -n 's/.*: \([0-9]*\) refusals counted$/\1/p' $fixture/log)
	case $n in
	'' | 0) fail "no refusal count in the log" ;;
	esac
	got=$(cat $chan/refused)
	[ "$got" = "$n" ] || fail "$chan/refused is $got, the fixture counted $n"
	grep -q "^refused: *$n\$" $chan/info || fail "info does not show refused $n"
	echo 1 > $chan/reset || fail "reset"
	[ "$(cat $chan/refused)" = 0 ] || fail "refused not cleared by reset"
	echo "ok - refused counted $n, reset clears it"
}

sh "$load" || fail "the board is not loaded to begin with"
[ "$(cat $params/dma_mask_bits) $(cat $params/mem_width) $(cat $params/max_seg)" = \
  "64 4 4294967295" ] || fail "not the default parameters: $(grep . $params/*)"

# 1. Default parameters: a 64-bit mask, 4-byte buses, no segment limit.
insmod "$ko" || fail "cannot load $ko"
run_fixture strict
check_refused
rmmod iub_sim_dmatest || fail "cannot unload the fixture"

# 2. The board's axi-dmac. The bridge holds converter channels: it goes
# first (modules.list loads it again at the end).
if loaded iio_usb_bridge; then
	rmmod usb_f_iio_usb_bridge 2>/dev/null
	rmmod iio_usb_bridge ||
		{ echo "1..0 # SKIP iio_usb_bridge is busy, cannot free its channels"; exit 4; }
fi
sh "$load" --unload || fail "unload failed"
for bad in dma_mask_bits=31 dma_mask_bits=65 mem_width=2 mem_width=12 \
	   mem_width=32 "mem_width=16 max_seg=8" max_seg=0; do
	# shellcheck disable=SC2086 # $bad is a list of parameters
	if insmod "$IUB_GUEST_KMOD/sim/iub_sim_dma.ko" $bad 2>/dev/null; then
		rmmod iub_sim_dma
		fail "$bad accepted"
	fi
done
echo "ok - bad values refused at load time"
IUB_SIM_DMA_ARGS=$board sh "$load" || fail "load with $board failed"
[ "$(cat $params/dma_mask_bits) $(cat $params/mem_width) $(cat $params/max_seg)" = \
  "32 16 16777216" ] || fail "parameters: $(grep . $params/*)"
grep -q "DMA mask 0xffffffff, 16-byte memory bus, segments up to 16777216 bytes" \
	$chan/info || fail "info does not show the constraints"
echo "ok - loaded with $board"

insmod "$ko" || fail "cannot load $ko"
run_fixture "strict 32 16 16777216"
check_refused
# transfers of whole pages still move and verify under the constraints
run_fixture slave_sg
run_fixture cyclic
run_fixture residue
rmmod iub_sim_dmatest || fail "cannot unload the fixture"
