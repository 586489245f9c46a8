#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fault-rmmod: rmmod of every module of the stack while it is in use is
# refused and changes nothing (the stream goes on); once the user is gone
# (SIGKILL with routes in flight, a process exiting with buffers attached)
# the bridge unloads within seconds, leaving no DMABUF behind. rmmod of
# the UDC under a USB stream ends it with ESHUTDOWN, promptly. (unload.sh
# covers the idle cases: an open file, parameters, reload.)
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
IUB=$IUB_GUEST_BUILD/tools/iub/iub
COUNT=$IUB_GUEST_BUILD/tests/vm/dmabuf-count
ESHUTDOWN=108
base=$($COUNT)

# rmmod that must fail while the module is in use
refused() {
	mod_loaded "$1" || fail "$1 not loaded"
	rmmod "$1" 2>/dev/null && fail "rmmod $1 succeeded while in use ($2)"
	mod_loaded "$1" || fail "$1 gone"
}

leak_check() {
	msg=$(dmabufs_back "$base") || fail "$1: $msg"
}

# 1. converter routes in flight (ADC -> DAC, paced so they stay queued)
echo 8388608 > /sys/kernel/debug/iub-sim-dma/chan0/rate
$IUB stream -q -b 65536 -n 16 iub-sim-adc.0:rx iub-sim-dac.0:tx > /tmp/iub.out 2>&1 &
ipid=$!
sleep 1
kill -0 $ipid 2>/dev/null || { cat /tmp/iub.out; fail "stream did not start"; }
refused iio_usb_bridge "routes in flight"
refused iub_sim_dma "its channels claimed by the bridge"
refused industrialio "the simulated converters use it"
# the gadget function module is not in use (no gadget): it may go, and
# the converter stream does not notice
rmmod usb_f_iio_usb_bridge || fail "rmmod of the unused function module"
refused iio_usb_bridge "routes in flight, function module gone"
sleep 0.5
kill -0 $ipid 2>/dev/null || { cat /tmp/iub.out; fail "the stream died under rmmod attempts"; }
echo "ok - rmmod refused under converter routes; the stream went on"


t0=$(date +%s)
kill -9 $ipid
wait $ipid 2>/dev/null
mod_unloads iio_usb_bridge
[ $(($(date +%s) - t0)) -le 5 ] || fail "unload took $(($(date +%s) - t0)) s"
leak_check "SIGKILL then rmmod"
echo 0 > /sys/kernel/debug/iub-sim-dma/chan0/rate
echo "ok - SIGKILL with routes in flight, then the bridge unloads at once"
bridge_reload

# 2. a process exits with 64 buffers attached and nothing in flight; rmmod
# races with the buffers' release in the worker
for round in 1 2 3; do
	$IUB stream -q -b 4096 -n 64 -B 262144 iub-sim-adc.1:rx iub-sim-dac.0:tx \
		> /tmp/iub.out 2>&1 || { cat /tmp/iub.out; fail "short stream $round"; }
	rmmod usb_f_iio_usb_bridge || fail "rmmod usb_f_iio_usb_bridge"
	mod_unloads iio_usb_bridge
	leak_check "exit then rmmod ($round)"
	bridge_reload
done
echo "ok - rmmod right after a process with 64 buffers exits"

# 3. a USB stream in flight (nobody reads): the function and the bridge are
# held; rmmod of the UDC ends the transfers with ESHUTDOWN
usb_setup dummy || fail "setup"
"$STREAM" in usb0:in0 $((1024 * 1048576)) 65536 16 > /tmp/stream.out 2>&1 &
spid=$!
wait_for_line /tmp/stream.out "transfers in flight" ||
	{ cat /tmp/stream.out; fail "the stream did not start"; }
refused usb_f_iio_usb_bridge "bound in a gadget, transfers in flight"
refused iio_usb_bridge "USB transfers in flight"
refused libcomposite "a gadget exists"
t0=$(date +%s)
rmmod dummy_hcd || fail "rmmod dummy_hcd mid-stream"
wait $spid
grep -q "errno $ESHUTDOWN" /tmp/stream.out ||
	{ cat /tmp/stream.out; fail "rmmod dummy_hcd: not ESHUTDOWN"; }
[ $(($(date +%s) - t0)) -le 5 ] || fail "the stream took too long to end"
usb_port_flags usb0:in0 | grep -q . && fail "port still listed after the UDC went"
leak_check "rmmod dummy_hcd"
usb_udc_kind=	# the UDC is gone: usb_teardown must not rmmod it again
$GADGET remove || fail "gadget removal"
mod_unloads usb_f_iio_usb_bridge
mod_unloads iio_usb_bridge
echo "ok - rmmod dummy_hcd mid-stream: ESHUTDOWN; then everything unloads"
bridge_reload
