#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iiod-usb: iub-iiod serves Debian's unmodified libiio 0.24 clients on the
# USB host side of the same VM, through dummy_hcd: iio_info -S usb finds
# the device, iio_info -u usb: lists the simulated ADC and DAC,
# iio_readdev's stream (all channels, and one channel that the client
# demultiplexes) verifies word for word, iio_writedev's reaches the
# simulated DAC, which verifies it; a host Ctrl-C mid-stream and a daemon
# restart leave the next iio_readdev working; repeated opens; ADC and DAC
# buffers open at once in one client, and a cyclic DAC buffer.
#   iiod-usb.sh [dummy_hcd params]
set -u
. "$IUB_GUEST_SRC/tests/vm/usb-lib.sh"
. "$IUB_GUEST_SRC/tests/vm/iiod-lib.sh"
fail() {
	echo "not ok - $*"
	[ -f $IIOD_LOG ] && tail -n 40 $IIOD_LOG | sed 's/^/# iub-iiod: /'
	iiod_teardown
	exit 1
}
[ -x "/host${HOSTBIN:-/usr/bin/}iio_readdev" ] ||
	{ echo "1..0 # SKIP libiio-utils not installed on the host"; exit 4; }

rm -f $IIOD_LOG
iiod_gadget_up dummy "$@" || fail "gadget in protocol=libiio on dummy_hcd"
usb_lsusb > /tmp/lsusb.txt 2>&1
grep -q "iInterface .*IIO$" /tmp/lsusb.txt || { cat /tmp/lsusb.txt; fail "interface string is not IIO"; }
echo "ok - the function says IIO"
iiod_start -v || fail "iub-iiod did not start"
echo "ok - iub-iiod serves usb0"

adc=$(iio_id iub-sim-adc.0) || fail "no IIO device for iub-sim-adc.0"
dac=$(iio_id iub-sim-dac.0) || fail "no IIO device for iub-sim-dac.0"
echo "# ADC iub-sim-adc.0 is $adc, DAC iub-sim-dac.0 is $dac"

# --- discovery ---------------------------------------------------------------
# (0.24's iio_info -S lists the contexts and exits with status 1: it made
# none; the list is the verdict)
hbounded "${HOSTBIN}iio_info" -S usb > /tmp/scan.txt 2>&1
sed 's/^/# /' /tmp/scan.txt
uri=$(sed -n 's/.*\[\(usb:[0-9]*\.[0-9]*\.[0-9]*\)\].*/\1/p' /tmp/scan.txt | head -n 1)
[ -n "$uri" ] || fail "iio_info -S usb found no usb: context"
echo "ok - iio_info -S usb finds $uri"

hbounded "${HOSTBIN}iio_info" -u usb: > /tmp/info.txt 2>&1 ||
	{ cat /tmp/info.txt; fail "iio_info -u usb:"; }
# "iio:deviceN: NAME (buffer capable)", then "voltage0:  (input, index: 0, format: le:U32/32>>0)"
check_dev() {
	block=$(awk -v id="$1:" '/^\tiio:device[0-9]+: / { on = ($1 == id) } on' /tmp/info.txt)
	[ -n "$block" ] || { cat /tmp/info.txt; fail "iio_info -u usb: does not list $1"; }
	for ch in voltage0 voltage1; do
		echo "$block" | grep -Eq "$ch: +\($2, index: ${ch#voltage}, format: le:U32/32>>0\)" ||
			{ echo "$block"; fail "$1: channel $ch ($2) missing"; }
	done
	# iio_info READs every attribute: a value it printed came over USB
	echo "$block" | grep -q "attr .*: sampling_frequency value: [0-9]" ||
		{ echo "$block"; fail "$1: sampling_frequency not read"; }
	echo "ok - iio_info -u usb: lists $1 with its channels and attribute values"
}
check_dev "$adc" input
check_dev "$dac" output
# attributes that fail to read fail the same way over USB as locally
host "${HOSTBIN}iio_info" > /tmp/info-local.txt 2>&1 || fail "local iio_info"
e_usb=$(grep -c ERROR /tmp/info.txt) e_local=$(grep -c ERROR /tmp/info-local.txt)
[ "$e_usb" = "$e_local" ] ||
	{ grep ERROR /tmp/info.txt /tmp/info-local.txt; fail "iio_info: $e_usb errors over USB, $e_local locally"; }
n_usb=$(grep -c "value: " /tmp/info.txt) n_local=$(grep -c "value: " /tmp/info-local.txt)
[ "$n_usb" = "$n_local" ] || fail "iio_info: $n_usb attribute values over USB, $n_local locally"
echo "ok - iio_info read $n_usb attribute values over USB, as many as locally ($e_usb errors both ways)"

# --- capture -----------------------------------------------------------------
# readdev SAMPLES BUFFER [CHANNEL...]: iio_readdev of the ADC into /run/rd.bin
readdev() {
	_n=$1 _b=$2
	shift 2
	hbounded "${HOSTBIN}iio_readdev" -u usb: -b "$_b" -s "$_n" "$adc" "$@" \
		> /run/rd.bin 2> /tmp/rd.err
	_rc=$?
	sed 's/^/# iio_readdev: /' /tmp/rd.err
	return $_rc
}
# 1 Mi scans of two 32-bit channels (8 MiB), 64 Ki scans per buffer
readdev 1048576 65536 || fail "iio_readdev of 8 MiB"
"$VERIFY" --verify-stdin 8388608 < /run/rd.bin > /tmp/v.txt
rc=$?
cat /tmp/v.txt
{ [ $rc = 0 ] && [ "$(wc -c < /run/rd.bin)" = 8388608 ]; } ||
	fail "iio_readdev's 8 MiB did not verify ($(wc -c < /run/rd.bin) bytes)"
echo "ok - iio_readdev -u usb: 1 Mi scans, both channels, verified word for word"

# one channel: the daemon sends both, the client demultiplexes: every
# second word of the stream
readdev 262144 4096 voltage0 || fail "iio_readdev of voltage0"
"$VERIFY" --verify-stdin 1048576 2 < /run/rd.bin > /tmp/v.txt
rc=$?
cat /tmp/v.txt
{ [ $rc = 0 ] && [ "$(wc -c < /run/rd.bin)" = 1048576 ]; } || fail "voltage0 alone did not verify"
echo "ok - iio_readdev of voltage0 alone: the client demultiplexed, verified"

# default buffer (256 scans): many small READBUFs
readdev 65536 256 || fail "iio_readdev with 256-scan buffers"
"$VERIFY" --verify-stdin 524288 < /run/rd.bin > /tmp/v.txt || { cat /tmp/v.txt; fail "256-scan buffers did not verify"; }
echo "ok - 256 READBUFs of 256 scans, verified"

# --- playback ----------------------------------------------------------------
# 512 Ki scans of the stream (4 MiB) for the DAC, made by sim-adc-read
"$VERIFY" --stream 4194304 > /run/dac.bin || fail "no stream for the DAC"
echo 0 > "/sys/bus/iio/devices/$dac/sim_seed"
hbounded "${HOSTBIN}iio_writedev" -u usb: -b 65536 -s 524288 "$dac" \
	< /run/dac.bin > /tmp/wr.out 2>&1 || { cat /tmp/wr.out; fail "iio_writedev"; }
b=$(cat "/sys/bus/iio/devices/$dac/sim_bytes")
m=$(cat "/sys/bus/iio/devices/$dac/sim_mismatches")
{ [ "$b" = 4194304 ] && [ "$m" = 0 ]; } ||
	fail "the DAC consumed $b bytes (4194304 sent) with $m mismatches"
echo "ok - iio_writedev -u usb: 4 MiB into the DAC, which verified every word"

# --- host Ctrl-C mid-stream ---------------------------------------------------
# stale_in1: nothing is left queued on pipe 1's IN endpoint once the host
# closed the pipe (read with a libusb reader for a second)
stale_in1() {
	rm -f /run/stale.bin
	host "$RECV" --name IIO --in-ep 1 --no-verify --seconds 1 --queue 1 \
		--size 1024 --output /run/stale.bin > /tmp/stale.txt 2>&1
	[ ! -s /run/stale.bin ] && return 0
	cat /tmp/stale.txt
	hexdump -C /run/stale.bin | head -n 4
	return 1
}
for wait_s in 2 0 1; do
	n0=$(grep -c READBUF "$IIOD_LOG")
	# (env and chroot exec it: $! is iio_readdev itself)
	env TMPDIR=/run chroot /host "${HOSTBIN}iio_readdev" -u usb: -b 16384 "$adc" > /dev/null 2> /tmp/rd.err &
	rpid=$!
	# streaming, so that its signal thread runs (a SIGINT before would
	# find SIGINT ignored, as for any background job of a script)
	for _ in $(seq 200); do
		[ "$(grep -c READBUF "$IIOD_LOG")" -gt $((n0 + 2)) ] && break
		sleep 0.1
	done
	[ "$(grep -c READBUF "$IIOD_LOG")" -gt $((n0 + 2)) ] || fail "the endless iio_readdev did not start reading"
	sleep $wait_s
	kill -0 $rpid 2>/dev/null || { cat /tmp/rd.err; fail "the endless iio_readdev ended by itself"; }
	kill -INT $rpid
	t0=$(date +%s)
	while kill -0 $rpid 2>/dev/null; do
		[ $(($(date +%s) - t0)) -lt 10 ] || { kill -KILL $rpid; fail "iio_readdev ignored SIGINT for 10 s"; }
		sleep 0.2
	done
	wait $rpid
	iiod_alive || fail "iub-iiod died with the host's Ctrl-C"
	stale_in1 || fail "data left on pipe 1 after the host's Ctrl-C (${wait_s} s in)"
	readdev 131072 16384 || fail "iio_readdev after a Ctrl-C"
	"$VERIFY" --verify-stdin 1048576 < /run/rd.bin > /tmp/v.txt || { cat /tmp/v.txt; fail "stream after Ctrl-C"; }
	echo "ok - host Ctrl-C ${wait_s} s into a stream (3 READBUFs in), nothing left on the pipe, then a new iio_readdev verifies"
done

# --- repeated opens ------------------------------------------------------------
i=0
while [ $i -lt 5 ]; do
	readdev 8192 1024 || fail "open $i"
	"$VERIFY" --verify-stdin 65536 < /run/rd.bin > /dev/null || fail "open $i: stream"
	i=$((i + 1))
done
echo "ok - 5 iio_readdev in a row, each verified"

# --- two buffers at once, cyclic --------------------------------------------------
echo 0 > "/sys/bus/iio/devices/$dac/sim_seed"
hbounded "$IIOD_CLIENT" both usb: "$adc" "$dac" 4194304 > /tmp/cl.txt 2>&1
rc=$?
cat /tmp/cl.txt
[ $rc = 0 ] || fail "ADC and DAC buffers at once"
m=$(cat "/sys/bus/iio/devices/$dac/sim_mismatches")
b=$(cat "/sys/bus/iio/devices/$dac/sim_bytes")
{ [ "$m" = 0 ] && [ "$b" -ge 4194304 ]; } || fail "the DAC saw $b bytes, $m mismatches"
echo "ok - the DAC verified the stream of the second buffer ($b bytes)"

echo 0 > "/sys/bus/iio/devices/$dac/sim_seed"
hbounded "$IIOD_CLIENT" cyclic usb: "$dac" 2 > /tmp/cl.txt 2>&1
rc=$?
cat /tmp/cl.txt
[ $rc = 0 ] || fail "cyclic DAC buffer"
b=$(cat "/sys/bus/iio/devices/$dac/sim_bytes")
# one buffer is 16384 scans of 8 bytes: played again and again
[ "$b" -gt 262144 ] || fail "the cyclic buffer was played $b bytes only"
echo "ok - a cyclic buffer pushed once was played $b bytes"

# --- daemon restart --------------------------------------------------------------
iiod_stop || fail "iub-iiod on SIGTERM"
iiod_start -v || fail "iub-iiod did not start again"
readdev 131072 16384 || fail "iio_readdev after a daemon restart"
"$VERIFY" --verify-stdin 1048576 < /run/rd.bin > /tmp/v.txt || { cat /tmp/v.txt; fail "stream after restart"; }
echo "ok - daemon restarted, iio_readdev verifies"

# --- unplug ------------------------------------------------------------------------
n0=$(grep -c READBUF "$IIOD_LOG")
# (env and chroot exec it: $! is iio_readdev itself)
env TMPDIR=/run chroot /host "${HOSTBIN}iio_readdev" -u usb: -b 16384 "$adc" > /dev/null 2> /tmp/rd.err &
rpid=$!
for _ in $(seq 200); do
	[ "$(grep -c READBUF "$IIOD_LOG")" -gt $((n0 + 2)) ] && break
	sleep 0.1
done
[ "$(grep -c READBUF "$IIOD_LOG")" -gt $((n0 + 2)) ] || fail "iio_readdev did not start reading"
$GADGET unbind
t0=$(date +%s)
while kill -0 $rpid 2>/dev/null; do
	[ $(($(date +%s) - t0)) -lt 15 ] || { kill -KILL $rpid; fail "iio_readdev still runs 15 s after the unplug"; }
	sleep 0.2
done
wait $rpid
# the ports are gone with the unbind: the daemon ends (ESHUTDOWN), as a
# systemd unit restarts it
for _ in $(seq 50); do
	kill -0 "$iiod_pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$iiod_pid" 2>/dev/null && fail "iub-iiod still runs 5 s after its function was unbound"
wait "$iiod_pid"
iiod_pid=
$GADGET bind "$udc" || fail "bind again"
for _ in $(seq 50); do
	usb_port_flags usb0:in0 | grep -q ONLINE && break
	sleep 0.2
done
iiod_start -v || fail "iub-iiod after the replug"
readdev 131072 16384 || fail "iio_readdev after unplug and replug"
"$VERIFY" --verify-stdin 1048576 < /run/rd.bin > /dev/null || fail "stream after replug"
echo "ok - unplug mid-stream: the client ends, the daemon ends; after the replug a new one serves"

iiod_stop || fail "iub-iiod on SIGTERM at the end"
grep -E "pipe [0-9]: ends: " $IIOD_LOG | grep -v -E "Operation canceled|Cannot send after transport endpoint shutdown" &&
	fail "a pipe ended with an unexpected error"
usb_teardown
echo "ok - iub-iiod ended cleanly"
