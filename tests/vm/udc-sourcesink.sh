#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# udc-sourcesink: the kernel's f_sourcesink (usb_f_ss_lb) on the simulated
# SG UDC: the simulated host enumerates it at super and high speed, bulk IN
# and OUT data flow, rate and pause work, unbind and rmmod are clean.
set -u
# shellcheck source=tests/vm/udc-lib.sh
. "$IUB_GUEST_SRC/tests/vm/udc-lib.sh"
G=iub-udc-ss
udc_begin
udc_load speed=super || fail "insmod iub_sim_udc"
modprobe usb_f_ss_lb || fail "modprobe usb_f_ss_lb"
[ -d /sys/class/udc/iub-sim-udc.0 ] || fail "no UDC iub-sim-udc.0"
check "sg UDC idle before binding" [ "$(udc_state driver)" = - ]

udc_ss_gadget $G || fail "creating the gadget"
# f_sourcesink's data is not our stream: count, do not verify
for d in "$UDC_DBG"/ep*in; do
	echo 0 > "$d/verify"
done
echo iub-sim-udc.0 > "$UDC_GADGETS/$G/UDC" || fail "binding"
udc_wait_configured 10 || fail "not configured: $(cat "$UDC_DBG/state")"
ok "enumerated"
check "driver is the gadget" [ "$(udc_state driver)" = $G ]
check "super speed" [ "$(udc_state speed)" = super-speed ]
check "configuration 1" [ "$(udc_state configuration)" = 1 ]
check "gadget state configured" [ "$(udc_state gadget_state)" = configured ]
check "device 1d6b:0104" [ "$(udc_state device)" = 1d6b:0104 ]
in=$(udc_enabled in)
out=$(udc_enabled out)
if [ -z "$in" ] || [ -z "$out" ]; then
	fail "no enabled endpoints: $(cat "$UDC_DBG/state")"
fi
ok "endpoints $in and $out enabled"
check "maxpacket 1024" grep -q "^$in: enabled maxpacket 1024 " "$UDC_DBG/state"

b_in=$(udc_ep "$in" bytes)
b_out=$(udc_ep "$out" bytes)
sleep 1
b_in2=$(udc_ep "$in" bytes)
b_out2=$(udc_ep "$out" bytes)
echo "# 1 s: IN $((b_in2 - b_in)) bytes, OUT $((b_out2 - b_out)) bytes"
check "IN data flows" [ "$b_in2" -gt "$b_in" ]
check "OUT data flows" [ "$b_out2" -gt "$b_out" ]
check "IN requests complete" [ "$(udc_ep "$in" requests)" -gt 0 ]
check "OUT requests complete" [ "$(udc_ep "$out" requests)" -gt 0 ]
check "no IN errors" [ "$(udc_ep "$in" errors)" = 0 ]
check "no OUT errors" [ "$(udc_ep "$out" errors)" = 0 ]
check "no mismatches (verify off)" [ "$(udc_ep "$in" mismatches)" = 0 ]
check "OUT stream position counts" [ "$(udc_ep "$out" position)" -gt 0 ]

# pacing: 1 MB/s for 2 s (generous bounds: TCG timing is coarse)
udc_set "$in" rate 1000000
sleep 0.2
b0=$(udc_ep "$in" bytes)
sleep 2
b1=$(udc_ep "$in" bytes)
d=$((b1 - b0))
echo "# rate 1000000: $d bytes in 2 s"
check "rate: at least 1 MB in 2 s" [ "$d" -ge 1000000 ]
check "rate: at most 3 MB in 2 s" [ "$d" -le 3000000 ]
udc_set "$in" rate 0

# pause: the host stops polling the endpoint
udc_set "$out" pause 1
sleep 0.2
b0=$(udc_ep "$out" bytes)
sleep 0.5
check "pause stops OUT" [ "$(udc_ep "$out" bytes)" = "$b0" ]
check "a request stays queued while paused" [ "$(udc_ep "$out" queued)" -ge 1 ]
udc_set "$out" pause 0
sleep 0.3
check "unpause resumes OUT" [ "$(udc_ep "$out" bytes)" -gt "$b0" ]

# unbind with requests in flight
echo > "$UDC_GADGETS/$G/UDC" || fail "unbinding"
check "unbound: no driver" [ "$(udc_state driver)" = - ]
check "unbound: not connected" [ "$(udc_state connected)" = 0 ]
check "unbound: endpoints disabled" [ -z "$(udc_enabled in)$(udc_enabled out)" ]
check "unbound: nothing queued" [ "$(udc_ep "$in" queued)" = 0 ]
check "in-flight requests given back with an error" [ "$(udc_ep "$in" errors)" -ge 1 ]

# high speed
rmmod iub_sim_udc || fail "rmmod iub_sim_udc"
udc_load speed=high || fail "insmod speed=high"
for d in "$UDC_DBG"/ep*in; do
	echo 0 > "$d/verify"
done
echo iub-sim-udc.0 > "$UDC_GADGETS/$G/UDC" || fail "binding (high speed)"
udc_wait_configured 10 || fail "not configured at high speed"
check "high speed" [ "$(udc_state speed)" = high-speed ]
check "max_speed high" [ "$(udc_state max_speed)" = high-speed ]
in=$(udc_enabled in)
check "maxpacket 512" grep -q "^$in: enabled maxpacket 512 " "$UDC_DBG/state"
sleep 0.5
check "IN data flows at high speed" [ "$(udc_ep "$in" bytes)" -gt 0 ]
echo > "$UDC_GADGETS/$G/UDC"
udc_gadget_remove $G
rmmod iub_sim_udc || fail "rmmod"
check "debugfs gone" [ ! -e "$UDC_DBG" ]
check "UDC gone" [ ! -e /sys/class/udc/iub-sim-udc.0 ]
check "platform device gone" [ ! -e /sys/bus/platform/devices/iub-sim-udc.0 ]
insmod "$UDC_KO" speed=low 2> /dev/null && fail "speed=low accepted"
ok "bad speed refused"
exit $udc_failed
