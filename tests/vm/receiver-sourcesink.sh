#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# receiver-sourcesink: iub-usb-recv against the kernel's f_sourcesink on
# dummy_hcd (--any-bulk, as that function has no interface string): receive
# and send exact byte counts at high and super speed, odd sizes, --device,
# --json, time limits, and the exit codes for no device and bad data.
set -u
# shellcheck source=tests/vm/receiver-lib.sh
. "$IUB_GUEST_SRC/tests/vm/receiver-lib.sh"

# recv EXPECTED_RC ARGS...: run the receiver; $out is its last stdout line
recv() {
	want=$1
	shift
	echo "# iub-usb-recv $*"
	$RECV "$@" > /run/rcv.out 2> /run/rcv.err
	rc=$?
	sed 's/^/#   /' /run/rcv.err /run/rcv.out
	out=$(tail -n 1 /run/rcv.out)
	[ "$rc" = "$want" ] || fail "iub-usb-recv $*: exit status $rc, expected $want"
}

# expect_line REGEX WHAT: $out matches the extended regular expression
expect_line() {
	echo "$out" | grep -Eq "$1" || fail "$2: unexpected output '$out'"
}

M64=67108864
NUM='[0-9]+\.[0-9]+'

rcv_begin
rcv_load
rcv_gadget
ok "f_sourcesink gadget enumerated at $RCV_DEV"

# The default match wants the bridge's interface string: not this one.
recv 3 --quiet --bytes 1M
grep -q 'no device has an interface of class 0xff named "iio-usb-bridge"' /run/rcv.err ||
	fail "no clear message when the interface is missing"
ok "no bridge interface: exit 3 with a message"
recv 3 --quiet --any-bulk --vid dead --bytes 1M
recv 3 --quiet --any-bulk --interface 1 --bytes 1M
recv 3 --quiet --any-bulk --in-ep 1 --bytes 1M
ok "wrong --vid, --interface, --in-ep: exit 3"

# bulk IN, exact byte count
recv 0 --any-bulk --no-verify --bytes 64M
expect_line "^received $M64 bytes in $NUM s: $NUM MiB/s, verified: off\$" "receive 64M"
ok "received 64 MiB: $out"

# bulk OUT, the generated stream (the sink takes anything with pattern 2)
recv 0 --any-bulk --send --bytes 64M --seed 0x01000000
expect_line "^sent $M64 bytes in $NUM s: $NUM MiB/s\$" "send 64M"
ok "sent 64 MiB: $out"

# f_sourcesink's IN data is not our stream: verification must say so
recv 1 --quiet --any-bulk --bytes 1M
expect_line "^received 1048576 bytes in $NUM s: $NUM MiB/s, verified: no \\([0-9]+ mismatches\\)\$" "verify"
grep -q 'did not match the stream; the first at byte' /run/rcv.err ||
	fail "no message about the first mismatch"
ok "foreign data fails verification: exit 1"

# by vid:pid, through --device (libusb_wrap_sys_device), as JSON
recv 0 --quiet --vid $RCV_VID --pid $RCV_PID --any-bulk --no-verify --bytes 4M
recv 0 --quiet --device "$RCV_DEV" --any-bulk --no-verify --bytes 16M --json --zero-copy
for f in '"status":"done"' '"exit_code":0' '"bytes":16777216' '"speed":"high"' \
	 '"endpoint":"0x81"' '"max_packet":512' '"verified":null'; do
	case $out in *"$f"*) ;; *) fail "JSON lacks $f: $out" ;; esac
done
ok "--vid/--pid, --device, --json, --zero-copy"

# sizes that are not multiples of anything
recv 0 --quiet --any-bulk --no-verify --size 100000 --queue 3 --bytes 10000000
got=$(rcv_field "$out" 2)
if [ "$got" -lt 10000000 ] || [ "$got" -ge 10000512 ]; then
	fail "received $got bytes for --bytes 10000000 (whole packets of 512)"
fi
recv 0 --quiet --any-bulk --send --size 100000 --queue 3 --bytes 10000001
expect_line "^sent 10000001 bytes" "odd send"
ok "odd --size and --bytes: received $got, sent 10000001"

# time limits
recv 0 --quiet --any-bulk --no-verify --seconds 2
[ "$(rcv_field "$out" 2)" -gt 0 ] || fail "nothing received in 2 s"
recv 4 --quiet --any-bulk --no-verify --seconds 1 --bytes 1T
grep -q 'stopped after' /run/rcv.err || fail "no message when --bytes was not reached"
ok "--seconds alone: exit 0; --seconds before --bytes: exit 4"

# SIGINT ends a run without --bytes normally
rm -f /run/rcv.rc /run/rcv.pid
(
	$RECV --progress --any-bulk --no-verify > /run/rcv.out 2> /run/rcv.err &
	echo $! > /run/rcv.pid
	wait $!
	echo $? > /run/rcv.rc
) &
i=0
until grep -q 'received [1-9]' /run/rcv.err 2>/dev/null; do
	[ $i -lt 30 ] || fail "SIGINT: no data within 30 s"
	sleep 1
	i=$((i + 1))
done
pid=$(cat /run/rcv.pid)
kill -INT "$pid" || fail "SIGINT: no receiver to signal"
i=0
until [ -f /run/rcv.rc ]; do
	[ $i -lt 10 ] || { kill -KILL "$pid"; fail "SIGINT: still running after 10 s"; }
	sleep 1
	i=$((i + 1))
done
wait
rc=$(cat /run/rcv.rc)
out=$(tail -n 1 /run/rcv.out)
sed 's/^/#   /' /run/rcv.err /run/rcv.out
[ "$rc" = 0 ] || fail "SIGINT: exit status $rc"
expect_line "^received [1-9][0-9]* bytes" "SIGINT"
grep -q 'interrupted' /run/rcv.err || fail "SIGINT: not reported"
ok "SIGINT: final line, exit 0"

# more in flight than usbfs allows (16 MiB by default): a clear message
if [ "$(cat /sys/module/usbcore/parameters/usbfs_memory_mb)" = 16 ]; then
	recv 4 --quiet --any-bulk --no-verify --queue 32 --size 1M --bytes 64M
	grep -q 'usbfs_memory_mb' /run/rcv.err || fail "no hint at usbfs_memory_mb"
	ok "usbfs memory limit: exit 4, named in the message"
fi

# SuperSpeed
rcv_unbind
rmmod dummy_hcd || fail "rmmod dummy_hcd"
modprobe dummy_hcd is_super_speed=1 || fail "modprobe dummy_hcd is_super_speed=1"
rcv_bind
recv 0 --any-bulk --no-verify --bytes 64M --json
for f in '"bytes":67108864' '"speed":"super"' '"max_packet":1024'; do
	case $out in *"$f"*) ;; *) fail "JSON lacks $f: $out" ;; esac
done
ok "super speed: received 64 MiB"
recv 0 --quiet --any-bulk --send --bytes 64M
expect_line "^sent $M64 bytes" "send 64M at super speed"
ok "super speed: sent 64 MiB: $out"
exit 0
