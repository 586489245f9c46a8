#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iub-tool: the command-line tool's commands, options and exit codes:
# features and ports (text and --json), capture to a file and to stdout,
# playback of the capture to the simulated DAC (once, from a file and from
# stdin, and --cyclic), which verifies it.
set -u
fail() { echo "not ok - $*"; exit 1; }
IUB=$IUB_GUEST_BUILD/tools/iub/iub
DAC=/sys/kernel/debug/iub-sim-dma/chan2
MiB=1048576

# A JSON parser, where one runs: the host's python3 (or jq) through
# chroot /host; not in the arm64 guest, whose /host is amd64.
json_check() { # FILE PYTHON-EXPRESSION
	if chroot /host python3 -c 1 2>/dev/null; then
		chroot /host python3 -c "import json, sys
d = json.load(sys.stdin)
sys.exit(0 if ($2) else 1)" < "$1"
	else
		echo "# no JSON parser runs in this guest: $1 checked with grep only"
		return 0
	fi
}

$IUB features > /tmp/f.out || fail "features"
grep -q "^features .*route" /tmp/f.out || fail "features lacks route: $(cat /tmp/f.out)"
$IUB ports > /tmp/p.out || fail "ports"
grep -q "iub-sim-adc.0:rx *converter *fills" /tmp/p.out || fail "ports: $(cat /tmp/p.out)"
grep -q "iub-sim-adc.7:rx .*absent" /tmp/p.out || fail "absent port not shown"
echo "ok - features, ports"

$IUB features --json > /tmp/f.json || fail "features --json"
grep -q '"features":\[.*"route"' /tmp/f.json || fail "features --json: $(cat /tmp/f.json)"
json_check /tmp/f.json '"route" in d["features"] and d["ports"] >= 4' ||
	fail "features --json: $(cat /tmp/f.json)"
$IUB ports --json > /tmp/p.json || fail "ports --json"
grep -q '"name":"iub-sim-adc.0:rx","kind":"converter","buffers":"fills"' /tmp/p.json ||
	fail "ports --json: $(cat /tmp/p.json)"
grep -q '"name":"iub-sim-adc.7:rx",.*"flags":\["absent"\]' /tmp/p.json ||
	fail "ports --json: no absent port: $(cat /tmp/p.json)"
json_check /tmp/p.json 'isinstance(d, list) and len(d) >= 4 and
	[p["buffers"] for p in d if p["name"] == "iub-sim-adc.0:rx"] == ["fills"] and
	"cyclic" in [p for p in d if p["name"] == "iub-sim-dac.0:tx"][0]["flags"] and
	all(p["align"] > 0 for p in d if "absent" not in p["flags"])' ||
	fail "ports --json does not parse as expected: $(cat /tmp/p.json)"
echo "ok - features --json, ports --json"

# capture to a file and to stdout, verified
$IUB stream -q -V -B $((8 * MiB)) iub-sim-adc.1:rx /run/c.bin > /tmp/s.out || fail "stream to file"
grep -q "verified: yes" /tmp/s.out || fail "$(cat /tmp/s.out)"
"$IUB_GUEST_BUILD/tests/vm/stream-check" /run/c.bin $((8 * MiB)) || fail "file content"
$IUB stream -q -H -b 65536 -B $MiB iub-sim-adc.1:rx - 2>/dev/null |
	"$IUB_GUEST_BUILD/tests/vm/stream-check" - $MiB || fail "stream to stdout"
echo "ok - stream to a file and to stdout"

# dac_check BYTES WHAT: the DAC played BYTES bytes of one unbroken stream
dac_check() {
	[ "$(cat $DAC/consumed_bytes)" = "$1" ] ||
		fail "$2: the DAC consumed $(cat $DAC/consumed_bytes) bytes, not $1"
	[ "$(cat $DAC/mismatches)" = 0 ] ||
		fail "$2: the DAC saw $(cat $DAC/mismatches) mismatches"
}

# playback of the capture: from the file, and from stdin in other buffers
echo 1 > $DAC/reset
$IUB stream -q -V /run/c.bin iub-sim-dac.0:tx > /tmp/s.out || fail "play a file: $(cat /tmp/s.out)"
grep -q "^/run/c.bin -> iub-sim-dac.0:tx: $((8 * MiB)) bytes in .*verified: yes" /tmp/s.out ||
	fail "play a file: $(cat /tmp/s.out)"
dac_check $((8 * MiB)) "play a file"
echo 1 > $DAC/reset
$IUB stream -q -b 64K -n 4 - iub-sim-dac.0:tx < /run/c.bin > /tmp/s.out ||
	fail "play stdin: $(cat /tmp/s.out)"
dac_check $((8 * MiB)) "play stdin"
echo 1 > $DAC/reset
$IUB stream -q -B 3M /run/c.bin iub-sim-dac.0:tx > /dev/null || fail "play 3 MiB of a file"
dac_check $((3 * MiB)) "play 3 MiB of a file"
echo "ok - playback of the capture to the DAC, from a file and from stdin"

# --cyclic: 64 KiB repeated for a second; the DAC sees one break per repeat
head -c 65536 /run/c.bin > /run/c64k.bin
echo 1 > $DAC/reset
$IUB stream -q -c -t 1 /run/c64k.bin iub-sim-dac.0:tx > /tmp/s.out ||
	fail "cyclic playback: $(cat /tmp/s.out)"
grep -q "^/run/c64k.bin -> iub-sim-dac.0:tx: 65536 bytes repeated for" /tmp/s.out ||
	fail "cyclic playback: $(cat /tmp/s.out)"
played=$(cat $DAC/consumed_bytes)
[ "$played" -ge $((4 * 65536)) ] || fail "cyclic playback: the DAC consumed only $played bytes"
echo "ok - cyclic playback ($played bytes of a 64 KiB file in 1 s)"
rm -f /run/c.bin /run/c64k.bin

# exit codes: usage 2, no such port 3, busy port 3
$IUB stream 2>/dev/null; [ $? = 2 ] || fail "usage exit code"
$IUB stream nosuch:port - 2>/dev/null; [ $? = 3 ] || fail "unknown port exit code"
$IUB stream -b 1002 iub-sim-adc.0:rx - 2>/dev/null; [ $? = 2 ] || fail "unaligned size exit code"
$IUB stream iub-sim-dac.0:tx - 2>/dev/null; [ $? = 2 ] || fail "output port as source"
$IUB bogus 2>/dev/null; [ $? = 2 ] || fail "unknown command"
$IUB stream -c iub-sim-adc.0:rx - 2>/dev/null; [ $? = 2 ] || fail "cyclic capture"
$IUB stream /run/nosuch iub-sim-dac.0:tx 2>/dev/null; [ $? = 2 ] || fail "missing input file"
$IUB stream -c /dev/null iub-sim-dac.0:tx 2>/dev/null; [ $? = 2 ] || fail "empty cyclic file"
$IUB stream --help | grep -q "^Usage: iub stream" || fail "stream --help"
echo "ok - exit codes"
