#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The in-VM test harness (busybox sh, run by the job tools/vm/iub-vm writes).
#
#   harness.sh setup                 prepare the guest, load the modules
#   harness.sh run LIST OUT [NAME..] run the tests of LIST (all, or NAMEs)
#   harness.sh watchdog ...          (internal: one test's watchdog)
#
# LIST has one test per line: NAME<TAB>TIMEOUT<TAB>COMMAND. Each test runs
# from the repository's root in a session of its own, with a /dev/kmsg
# marker before it and a watchdog: after TIMEOUT seconds the watchdog kills
# the test's whole process group ("timed out"), and if something of it
# cannot be killed (stuck in the kernel) it records that and crashes the
# guest, so that the runner goes on with the remaining tests in a new boot.
# After the test (and the reload of the standard modules) the kernel log
# from the marker on is scanned for WARNING, BUG, Oops, KASAN, UBSAN,
# KFENCE, slab and page poisoning (slub_debug, page_poison), lockdep,
# kmemleak and hung-task reports, and any makes the test fail. Exit status
# of a test: 0 pass, 4 skip (kselftest), else fail.
# Results: OUT/results/NAME ("pass", "skip: ...", "fail: ..."),
# OUT/logs/NAME.log (output), OUT/summary (TAP). While a test runs,
# OUT/running holds its name (the runner names the test that crashed the
# guest from it), and the kernel log goes to OUT/dmesg.boot as it is
# written.

# The kernel log lines that fail a test: the checkers of the debug kernel
# (KASAN, UBSAN, lockdep, kmemleak, DMA-API), those of every kernel
# (WARNING, BUG, Oops, list and refcount checks, hung tasks, RCU stalls),
# and the memory debugging the runner turns on in Debian's kernel: KFENCE
# ("BUG: KFENCE: use-after-free ..."), slub_debug ("BUG kmalloc-64
# (Tainted: ...): Poison overwritten", redzones, freelist checks, objects
# left in a cache at its destruction) and page_poison ("pagealloc: memory
# corruption").
BAD='WARNING:|BUG:|Oops|KASAN|UBSAN|kmemleak|INFO: possible|INFO: task .* blocked|inconsistent lock state|possible recursive locking|circular locking|lockdep|general protection fault|Kernel panic|list_add corruption|list_del corruption|refcount_t:|DMA-API|stack-protector|RCU stall|rcu_sched self-detected'
BAD="$BAD"'|kernel BUG at|Unable to handle|usercopy:|KFENCE:|BUG [^ ]+ \(|Poison overwritten|Redzone overwritten|Padding overwritten|Freepointer corrupt|Object already free|Objects remaining|Invalid object pointer|pagealloc: (memory corruption|single bit error)|Bad page (state|map)'

# load_mod NAME KO [PARAMS...]: insmod our module unless it is loaded
load_mod() {
	name=$1 ko=$2
	shift 2
	grep -q "^$name " /proc/modules || insmod "$ko" "$@"
}

# kmod NAME [PARAMS...]: a module of the Debian kernel
kmod() {
	modprobe "$@"
}

setup_once() {
	[ -e /run/iub-setup ] && return 0
	grep -q ' /sys/kernel/config ' /proc/mounts || {
		modprobe configfs 2>/dev/null
		mount -t configfs none /sys/kernel/config
	}
	# host binaries run with `chroot /host`: give them the guest's view.
	# /host/tmp stays the host's (read-only): use TMPDIR=/run in a chroot.
	for d in dev proc sys; do
		mount --bind "/$d" "/host/$d"
	done
	mount -t tmpfs tmpfs /host/run
	# DMA-API debugging (the debug kernel) prints only its first report
	# unless told otherwise: every report must reach the test that caused it
	f=/sys/kernel/debug/dma-api/all_errors
	[ -w $f ] && echo 1 > $f
	touch /run/iub-setup
}

# Bring the guest to the standard state every test starts from.
load_modules() {
	# shellcheck disable=SC1090
	. "$IUB_GUEST_SRC/tests/vm/modules.list"
}

# session_procs SID: the processes of session SID that are still alive
# (zombies are gone as far as the test is concerned)
session_procs() {
	for st in /proc/[0-9]*/stat; do
		read -r s < "$st" 2>/dev/null || continue
		rest=${s##*) }			# STATE PPID PGRP SESSION ...
		state=${rest%% *}
		rest=${rest#* }
		rest=${rest#* }
		rest=${rest#* }
		if [ "${rest%% *}" = "$1" ] && [ "$state" != Z ]; then
			st=${st#/proc/}
			echo "${st%/stat}"
		fi
	done
}

# watchdog PID LIMIT NAME OUT (in a session of its own): end the test whose
# session is PID after LIMIT seconds. What SIGKILL cannot end within a
# minute is stuck in the kernel: record where, and crash the guest so that
# the runner goes on with the remaining tests in a new boot.
watchdog() {
	pid=$1 limit=$2 name=$3 out=$4
	sleep "$limit"
	echo "$limit" > /run/iub-timed-out
	echo "iub-vm: test $name timed out after ${limit}s: killing it" > /dev/kmsg
	kill -KILL -"$pid" 2>/dev/null
	end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt $end ]; do
		sleep 1
		stuck=$(session_procs "$pid")
		[ -n "$stuck" ] || exit 0
	done
	{
		echo
		echo "harness: timed out after ${limit}s; SIGKILL did not end these processes of the test within 60s:"
		for p in $stuck; do
			echo "--- pid $p: $(tr '\0' ' ' < "/proc/$p/cmdline")"
			grep '^State:' "/proc/$p/status"
			cat "/proc/$p/stack"
		done
	} >> "$out/logs/$name.log" 2>&1
	# the blocked tasks of the whole guest, to the kernel log
	echo w > /proc/sysrq-trigger
	echo "fail: timed out after ${limit}s, and processes of the test could not be killed (stuck in the kernel); the guest was crashed to go on" \
		> "$out/results/$name"
	echo "iub-vm: test $name is stuck in the kernel: crashing the guest" > /dev/kmsg
	sleep 1
	echo c > /proc/sysrq-trigger
}

# where the modules of the guest's architecture are (tools/vm/iub-vm sets
# it; the repository's own, amd64, build otherwise)
export IUB_GUEST_KMOD="${IUB_GUEST_KMOD:-$IUB_GUEST_SRC}"

cmd=$1
shift
case $cmd in
setup)
	setup_once
	load_modules
	exit $?
	;;
watchdog)
	watchdog "$@"
	exit 0
	;;
run)
	;;
*)
	echo "harness.sh: unknown command $cmd" >&2
	exit 2
	;;
esac

list=$1 out=$2
shift 2

# The kernel log as it is written, to the host (OUT/dmesg.boot): if the
# guest crashes, what led to it is kept. /dev/kmsg gives EPIPE when records
# were overwritten before they were read; reading on goes on after them.
while :; do
	awk '/^ / { next }
	{
		i = index($0, ";")
		split(substr($0, 1, i - 1), h, ",")
		printf "[%5d.%06d] %s\n", int(h[3] / 1000000), h[3] % 1000000, substr($0, i + 1)
		fflush()
	}'
	sleep 1
done < /dev/kmsg >> "$out/dmesg.boot" 2>/dev/null &

setup_once
if ! load_modules > "$out/logs/setup.log" 2>&1; then
	echo "iub-vm: loading the modules failed:"
	cat "$out/logs/setup.log"
fi

# selected NAME [WANTED...]: whether NAME is to run (all run if none wanted)
selected() {
	want=$1
	shift
	[ $# -eq 0 ] && return 0
	for n in "$@"; do
		[ "$n" = "$want" ] && return 0
	done
	return 1
}

total=0
while IFS='	' read -r name limit command; do
	case $name in ''|'#'*) continue ;; esac
	selected "$name" "$@" && total=$((total + 1))
done < "$list"

echo "TAP version 13" > "$out/summary"
echo "1..$total" >> "$out/summary"
echo "TAP version 13"
echo "1..$total"

i=0
fails=0
# read the list from fd 3, so that tests cannot eat it through stdin
while IFS='	' read -r name limit command <&3; do
	case $name in ''|'#'*) continue ;; esac
	selected "$name" "$@" || continue
	i=$((i + 1))
	log=$out/logs/$name.log
	echo "$name" > "$out/running"
	marker="iub-vm: begin test $name"
	echo "$marker" > /dev/kmsg
	rm -f /run/iub-timed-out
	t0=$(date +%s)
	# the test leads a session (and process group) of its own, so that
	# the watchdog and the cleanup reach every process it started
	# IUB_TEST_LIMIT: the test's own steps end well before the watchdog
	IUB_TEST_LIMIT=$limit setsid sh -c "$command" > "$log" 2>&1 < /dev/null &
	pid=$!
	setsid sh "$0" watchdog "$pid" "$limit" "$name" "$out" \
		< /dev/null > /dev/null 2>&1 &
	wd=$!
	# (no "Killed" from the shell on the console: the result says it)
	wait "$pid" 2>/dev/null
	rc=$?
	t1=$(date +%s)
	kill -KILL -"$wd" 2>/dev/null
	# what the test left behind goes with it
	kill -KILL -"$pid" 2>/dev/null
	# the next test starts from the standard state again; what the reload
	# reports (or a crash during it) belongs to this test. In a subshell:
	# modules.list may set variables of its own (load_mod sets name).
	(load_modules) > /dev/null 2>&1
	echo "iub-vm: end test $name" > /dev/kmsg
	dmesg | awk -v m="$marker" 'index($0, m) { on = 1 } on' > /tmp/dmesg.test
	bad=$(grep -E "$BAD" /tmp/dmesg.test | head -n 5)

	if [ -n "$bad" ]; then
		result="fail: kernel log: $(echo "$bad" | head -n 1)"
	elif [ -f /run/iub-timed-out ]; then
		result="fail: timed out after ${limit}s"
		echo "harness: timed out after ${limit}s: the test's processes were killed" >> "$log"
	elif [ $rc = 0 ]; then
		result=pass
	elif [ $rc = 4 ]; then
		result="skip: $(tail -n 1 "$log")"
	else
		result="fail: exit status $rc"
	fi
	{
		# (the status counts even when the kernel log fails the test:
		# tests/mutation/run.sh tells an assertion from a kernel report)
		echo
		echo "harness: exit status $rc"
		echo "--- kernel log during the test ---"
		cat /tmp/dmesg.test
	} >> "$log"
	echo "$result" > "$out/results/$name"
	rm -f "$out/running"

	case $result in
	pass) tap="ok $i - $name" ;;
	skip*) tap="ok $i - $name # SKIP ${result#skip: }" ;;
	*) tap="not ok $i - $name # ${result#fail: }"; fails=$((fails + 1)) ;;
	esac
	echo "$tap # $((t1 - t0))s"
	echo "$tap" >> "$out/summary"
	if [ "${result%%:*}" = fail ]; then
		echo "# --- output of $name (last 40 lines) ---"
		tail -n 40 "$log" | sed 's/^/# /'
	fi
done 3< "$list"
echo "# harness finished: $i tests, $fails failed" >> "$out/summary"
sync
exit 0
