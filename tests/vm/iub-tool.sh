#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iub-tool: the command-line tool's commands, options and exit codes.
set -u
fail() { echo "not ok - $*"; exit 1; }
IUB=$IUB_GUEST_BUILD/tools/iub/iub
MiB=1048576

$IUB features > /tmp/f.out || fail "features"
grep -q "^features .*route" /tmp/f.out || fail "features lacks route: $(cat /tmp/f.out)"
$IUB ports > /tmp/p.out || fail "ports"
grep -q "iub-sim-adc.0:rx *converter *fills" /tmp/p.out || fail "ports: $(cat /tmp/p.out)"
grep -q "iub-sim-adc.7:rx .*absent" /tmp/p.out || fail "absent port not shown"
echo "ok - features, ports"

# capture to a file and to stdout, verified
$IUB stream -q -V -B $((8 * MiB)) iub-sim-adc.1:rx /run/c.bin > /tmp/s.out || fail "stream to file"
grep -q "verified: yes" /tmp/s.out || fail "$(cat /tmp/s.out)"
"$IUB_GUEST_BUILD/tests/vm/stream-check" /run/c.bin $((8 * MiB)) || fail "file content"
$IUB stream -q -H -b 65536 -B $MiB iub-sim-adc.1:rx - 2>/dev/null |
	"$IUB_GUEST_BUILD/tests/vm/stream-check" - $MiB || fail "stream to stdout"
rm -f /run/c.bin
echo "ok - stream to a file and to stdout"

# exit codes: usage 2, no such port 3, busy port 3
$IUB stream 2>/dev/null; [ $? = 2 ] || fail "usage exit code"
$IUB stream nosuch:port - 2>/dev/null; [ $? = 3 ] || fail "unknown port exit code"
$IUB stream -b 1002 iub-sim-adc.0:rx - 2>/dev/null; [ $? = 2 ] || fail "unaligned size exit code"
$IUB stream iub-sim-dac.0:tx - 2>/dev/null; [ $? = 2 ] || fail "output port as source"
$IUB bogus 2>/dev/null; [ $? = 2 ] || fail "unknown command"
echo "ok - exit codes"
