#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# udc-disconnect: the simulated host going away (debugfs "disconnect") and
# coming back ("connect") while f_sourcesink streams; rmmod of the UDC
# mid-stream, and the configfs gadget binding again when it returns.
# The harness scans dmesg for WARNING/BUG afterwards.
set -u
# shellcheck source=tests/vm/udc-lib.sh
. "$IUB_GUEST_SRC/tests/vm/udc-lib.sh"
G=iub-udc-disc
udc_begin
udc_load speed=super || fail "insmod iub_sim_udc"
modprobe usb_f_ss_lb || fail "modprobe usb_f_ss_lb"
udc_ss_gadget $G || fail "creating the gadget"
for d in "$UDC_DBG"/ep*in; do
	echo 0 > "$d/verify"
done
echo iub-sim-udc.0 > "$UDC_GADGETS/$G/UDC" || fail "binding"
udc_wait_configured 10 || fail "not configured"
in=$(udc_enabled in)
out=$(udc_enabled out)
sleep 0.5
check "IN streaming" [ "$(udc_ep "$in" bytes)" -gt 0 ]
check "OUT streaming" [ "$(udc_ep "$out" bytes)" -gt 0 ]

echo 1 > "$UDC_DBG/disconnect" || fail "disconnect"
check "disconnected" [ "$(udc_state connected)" = 0 ]
check "host gone" [ "$(udc_state host)" = 0 ]
check "not configured" [ "$(udc_state configured)" = 0 ]
check "gadget state not attached" [ "$(udc_state gadget_state)" = "not attached" ]
check "endpoints disabled by the function" [ -z "$(udc_enabled in)$(udc_enabled out)" ]
check "nothing queued IN" [ "$(udc_ep "$in" queued)" = 0 ]
check "nothing queued OUT" [ "$(udc_ep "$out" queued)" = 0 ]
check "queued requests completed with errors" [ "$(udc_ep "$in" errors)" -ge 1 ]
b0=$(udc_ep "$in" bytes)
sleep 0.3
check "no data while disconnected" [ "$(udc_ep "$in" bytes)" = "$b0" ]
check "the driver is still bound" [ "$(udc_state driver)" = $G ]

echo 1 > "$UDC_DBG/connect" || fail "connect"
udc_wait_configured 10 || fail "not configured again"
check "enumerated again" [ "$(udc_state enumerations)" = 2 ]
in=$(udc_enabled in)
sleep 0.5
check "streaming again" [ "$(udc_ep "$in" bytes)" -gt 0 ]

# the module goes while the gadget streams
rmmod iub_sim_udc || fail "rmmod iub_sim_udc with the gadget bound"
ok "rmmod mid-stream"
check "UDC gone" [ ! -e /sys/class/udc/iub-sim-udc.0 ]
check "debugfs gone" [ ! -e "$UDC_DBG" ]
# configfs keeps the UDC name; the gadget binds again when the UDC returns
udc_load speed=super || fail "insmod again"
udc_wait_configured 10 || fail "the gadget did not bind again"
ok "the gadget bound again on reload"
echo > "$UDC_GADGETS/$G/UDC" || fail "unbind"
check "unbound" [ "$(udc_state driver)" = - ]

# disconnect with no driver, connect with nothing to enumerate
echo 1 > "$UDC_DBG/disconnect"
echo 1 > "$UDC_DBG/connect"
check "no enumeration without a driver" [ "$(udc_state configured)" = 0 ]
udc_gadget_remove $G
rmmod iub_sim_udc || fail "rmmod"
exit $udc_failed
