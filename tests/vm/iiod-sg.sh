#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iiod-sg: iub-iiod on the simulated scatter-gather UDC. Its host is
# simulated in the kernel, so no libiio client runs there (iiod-usb runs
# them on dummy_hcd); the script plays libiio's host instead: its vendor
# requests through the fixture's debugfs "control", its bulk OUT transfers
# through "inject", its IN transfers read back through "capture". The
# daemon serves its pipes on the SG path, follows RESET_PIPES, OPEN_PIPE
# and CLOSE_PIPE; VERSION, PRINT, READBUF (the ADC's stream verified
# across four READBUFs, payload on the SG path) and WRITEBUF (the DAC
# verifies it) work as the 0.24 client frames them; a pipe closed in the
# middle of a READBUF leaves nothing behind; the link going down and up
# (OFFLINE, ONLINE), a stalled request, and the unbind (the daemon exits);
# the UDC sees no gadget API misuse.
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
. "$IUB_GUEST_SRC/tests/vm/iiod-lib.sh"
fail() {
	echo "not ok - $*"
	[ -f "$IIOD_LOG" ] && tail -n 40 "$IIOD_LOG" | sed 's/^/# iub-iiod: /'
	iiod_teardown
	exit 1
}

# request BREQUEST PIPE: libiio's request, sent by the simulated host
request() {
	echo $(( (0x41 << 40) | ($1 << 32) | ($2 << 16) )) > "$DBG/control"
}

# logged TEXT: the daemon's log has TEXT within 10 s (a fixed string)
logged() {
	for _ in $(seq 100); do
		grep -qF "$1" "$IIOD_LOG" && return 0
		sleep 0.1
	done
	return 1
}

rm -f "$IIOD_LOG"
iiod_gadget_up sim || fail "gadget in protocol=libiio on iub-sim-udc.0"
usb_port_flags usb0:in0 | grep -q USB_SG || fail "usb0:in0 is not on the SG path"
ep_pause out 1		# the simulated host sends nothing on bulk OUT
iiod_start -v || fail "iub-iiod did not start"
for k in 0 1 2; do
	logged "pipe $k: serving usb0:in$k/usb0:out$k (OUT packets of 1024 bytes)" ||
		fail "pipe $k not served"
done
echo "ok - iub-iiod serves 3 pipes on the SG UDC (OUT packets of 1024 bytes)"

# libiio's context creation: RESET_PIPES, OPEN_PIPE 0
request 0 0 || fail "RESET_PIPES stalled"
request 1 0 || fail "OPEN_PIPE 0 stalled"
logged "event RESET_PIPES 0" || fail "no RESET_PIPES event"
for k in 0 1 2; do
	logged "pipe $k: ends: Operation canceled" || fail "pipe $k's OUT transfer was not ended by RESET_PIPES"
	logged "pipe $k: stopped" || fail "pipe $k not stopped"
done
logged "event OPEN_PIPE 0" || fail "no OPEN_PIPE 0 event"
[ "$(grep -c "pipe 0: serving" "$IIOD_LOG")" = 2 ] || fail "pipe 0 not served again after OPEN_PIPE 0"
echo "ok - RESET_PIPES ended every pipe, OPEN_PIPE 0 serves pipe 0 again"

# a buffer's pipe: OPEN_PIPE 1, then CLOSE_PIPE 1
request 1 1 || fail "OPEN_PIPE 1 stalled"
logged "event OPEN_PIPE 1" || fail "no OPEN_PIPE 1 event"
for _ in $(seq 100); do
	[ "$(grep -c "pipe 1: serving" "$IIOD_LOG")" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c "pipe 1: serving" "$IIOD_LOG")" = 2 ] || fail "pipe 1 not served after OPEN_PIPE 1"
request 2 1 || fail "CLOSE_PIPE 1 stalled"
logged "event CLOSE_PIPE 1" || fail "no CLOSE_PIPE 1 event"
for _ in $(seq 100); do
	[ "$(grep -c "pipe 1: stopped" "$IIOD_LOG")" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c "pipe 1: stopped" "$IIOD_LOG")" = 2 ] || fail "pipe 1 not stopped after CLOSE_PIPE 1"
echo "ok - OPEN_PIPE 1 serves pipe 1, CLOSE_PIPE 1 stops it"

# a pipe the function does not have: stalled, nothing happens
request 1 7 2>/dev/null && fail "OPEN_PIPE 7 was not stalled"
iiod_alive || fail "iub-iiod died"
echo "ok - OPEN_PIPE 7 stalls, the daemon goes on"

# the cable: OFFLINE stops every pipe, ONLINE serves them all again
# (debugfs writes bounded: a write that hangs names itself)
dbg_write() {
	timeout 20 sh -c "echo 1 > $DBG/$1" || fail "writing $1 did not return within 20 s"
}
echo "# disconnect"
dbg_write disconnect
logged "event OFFLINE 0" || fail "no OFFLINE event"
echo "# connect"
dbg_write connect
logged "event ONLINE 0" || fail "no ONLINE event after the reconnect"
for _ in $(seq 100); do
	[ "$(grep -c "pipe 2: serving" "$IIOD_LOG")" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c "pipe 2: serving" "$IIOD_LOG")" = 2 ] || fail "pipe 2 not served after ONLINE"
iiod_alive || fail "iub-iiod died"
echo "ok - disconnect and reconnect: OFFLINE, ONLINE, every pipe served again"

# --- the protocol, by the scripted host ---------------------------------------
# say PIPE LINE: the host sends LINE and \r\n on the pipe's bulk OUT (pipe k
# is the function's k-th pair: the fixture's ep<k+1>in, ep<k+1>out)
say() {
	printf '%s\r\n' "$2" > "$DBG/ep$(($1 + 1))out/inject"
}
# expect PIPE N: the host captures the pipe's next N IN transfers
expect() {
	echo "$2" > "$DBG/ep$(($1 + 1))in/capture"
}
# got PIPE FILE: the oldest captured IN transfer of the pipe, into FILE
got() {
	for _ in $(seq 100); do
		dd if="$DBG/ep$(($1 + 1))in/capture" of="$2" bs=2M count=1 2>/dev/null &&
			return 0
		sleep 0.1
	done
	echo "no IN transfer on pipe $1 within 10 s"
	return 1
}
# answer PIPE TEXT: the next captured transfer is exactly TEXT and \n
answer() {
	got "$1" /tmp/ans || return 1
	{ [ "$(cat /tmp/ans)" = "$2" ] && [ "$(wc -c < /tmp/ans)" = $((${#2} + 1)) ]; } ||
		{ echo "pipe $1 answered \"$(head -c 64 /tmp/ans)\" ($(wc -c < /tmp/ans) bytes), not \"$2\""; return 1; }
}
adc=$(iio_id iub-sim-adc.0) || fail "no IIO device for iub-sim-adc.0"
dac=$(iio_id iub-sim-dac.0) || fail "no IIO device for iub-sim-dac.0"
# from the first injected transfer on, an OUT endpoint gets only those
for k in 1 2 3; do
	printf '\r\n' > "$DBG/ep${k}out/inject"
done
ep_pause out 0

expect 0 1
say 0 VERSION
got 0 /tmp/ans || fail "VERSION"
grep -q '^0\.24\.' /tmp/ans || fail "VERSION answered $(cat /tmp/ans)"
echo "ok - VERSION: $(cat /tmp/ans)"
# a line longer than any command (5000 bytes): -22, and the pipe goes on
expect 0 1
{ head -c 5000 /dev/zero | tr '\0' x; printf '\r\n'; } > /tmp/long
dd if=/tmp/long of="$DBG/ep1out/inject" bs=8192 count=1 2>/dev/null
answer 0 -22 || fail "a line of 5000 bytes"
echo "ok - a line of 5000 bytes: -22, the pipe goes on"
expect 0 2
say 0 PRINT
got 0 /tmp/len || fail "PRINT: no length"
got 0 /tmp/xml || fail "PRINT: no XML"
[ "$(wc -c < /tmp/xml)" = $(($(cat /tmp/len) + 1)) ] ||
	fail "PRINT: $(cat /tmp/len) announced, $(wc -c < /tmp/xml) bytes sent (XML and \\n)"
grep -q "iub-sim-adc" /tmp/xml || fail "PRINT: the XML has no simulated ADC"
echo "ok - PRINT: $(cat /tmp/len) bytes of XML and a newline, in one transfer"

request 1 1 || fail "OPEN_PIPE 1 stalled"
expect 1 1
say 1 "OPEN $adc 16384 00000003"
answer 1 0 || fail "OPEN of the ADC"
rm -f /run/sg.bin
i=0
while [ $i -lt 4 ]; do
	expect 1 3
	say 1 "READBUF $adc 131072"
	answer 1 131072 || fail "READBUF $i: length"
	answer 1 00000003 || fail "READBUF $i: mask"
	got 1 /tmp/payload || fail "READBUF $i: payload"
	[ "$(wc -c < /tmp/payload)" = 131072 ] || fail "READBUF $i: $(wc -c < /tmp/payload) bytes of payload"
	cat /tmp/payload >> /run/sg.bin
	i=$((i + 1))
done
"$VERIFY" --verify-stdin 524288 < /run/sg.bin > /tmp/v.txt || { cat /tmp/v.txt; fail "READBUF's payload"; }
sg=$(cat "$DBG/ep2in/premapped")
[ "$sg" -ge 4 ] || fail "the payload did not take the SG path ($sg premapped requests)"
expect 1 1
say 1 "CLOSE $adc"
answer 1 0 || fail "CLOSE of the ADC"
echo "ok - OPEN, 4 READBUFs (length, mask, payload each its own transfer; the payload's $sg requests premapped, SG), stream verified, CLOSE"

request 1 2 || fail "OPEN_PIPE 2 stalled"
expect 2 1
say 2 "OPEN $dac 16384 00000003"
answer 2 0 || fail "OPEN of the DAC"
"$VERIFY" --stream 131072 > /run/dac.bin || fail "no stream for the DAC"
echo 0 > "/sys/bus/iio/devices/$dac/sim_seed"
expect 2 2
say 2 "WRITEBUF $dac 131072"
answer 2 0 || fail "WRITEBUF: the go-ahead"
dd if=/run/dac.bin of="$DBG/ep3out/inject" bs=131072 count=1 2>/dev/null || fail "inject the samples"
answer 2 131072 || fail "WRITEBUF: the count"
expect 2 1
say 2 "CLOSE $dac"
answer 2 0 || fail "CLOSE of the DAC"
b=$(cat "/sys/bus/iio/devices/$dac/sim_bytes")
m=$(cat "/sys/bus/iio/devices/$dac/sim_mismatches")
{ [ "$b" = 131072 ] && [ "$m" = 0 ]; } || fail "the DAC consumed $b bytes (131072 sent), $m mismatches"
echo "ok - WRITEBUF of 128 KiB into the DAC over the SG UDC, verified by the DAC"

# the host goes away in the middle of a READBUF: it takes nothing more
# (IN paused), closes the pipe; nothing of that READBUF comes out later
expect 1 1
say 1 "OPEN $adc 16384 00000003"
answer 1 0 || fail "OPEN again"
echo 1 > "$DBG/ep2in/pause"
say 1 "READBUF $adc 131072"
sleep 1
request 2 1 || fail "CLOSE_PIPE 1 stalled"
logged "pipe 1: closed $adc" || fail "CLOSE_PIPE 1 mid-READBUF did not close the ADC"
expect 1 1
echo 0 > "$DBG/ep2in/pause"
sleep 1
dd if="$DBG/ep2in/capture" of=/tmp/stale bs=2M count=1 2>/dev/null &&
	fail "the closed pipe sent $(wc -c < /tmp/stale) bytes after CLOSE_PIPE"
echo 0 > "$DBG/ep2in/reset"
iiod_alive || fail "iub-iiod died"
echo "ok - CLOSE_PIPE in the middle of a READBUF: the ADC closed, nothing sent after it"

# the lead's scripted libiio host (tests/vm/sim-libiio-host): a context,
# 4 MiB in READBUFs of 128 KiB parsed chunk by chunk and verified, a host
# that goes away mid-READBUF and opens the pipe again
bounded "$IUB_GUEST_BUILD/tests/vm/sim-libiio-host" "$adc" 4194304 131072 ||
	fail "sim-libiio-host against iub-iiod"
iiod_alive || fail "iub-iiod died"

# unbound: the function's ports go, the daemon exits (status 1) within 5 s
echo "# unbind"
# shellcheck disable=SC2086 # GADGET is "sh PATH"
timeout 20 $GADGET unbind || fail "unbind did not return within 20 s"
for _ in $(seq 50); do
	kill -0 "$iiod_pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$iiod_pid" 2>/dev/null && fail "iub-iiod still runs 5 s after its function was unbound"
wait "$iiod_pid"
rc=$?
iiod_pid=
[ $rc = 1 ] || fail "iub-iiod exited with $rc after the unbind, not 1"
grep -q "the USB function went away" "$IIOD_LOG" || fail "iub-iiod did not say why it ended"
misuse=$(cat "$DBG/misuse")
[ "$misuse" = 0 ] || fail "the UDC caught $misuse gadget API violations"
usb_teardown
echo "ok - unbound: iub-iiod ends with status 1; no gadget API misuse"
