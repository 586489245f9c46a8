#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The in-VM test harness (busybox sh, run by the job tools/vm/iub-vm writes).
#
#   harness.sh setup                 prepare the guest, load the modules
#   harness.sh run LIST OUT [NAME..] run the tests of LIST (all, or NAMEs)
#
# LIST has one test per line: NAME<TAB>TIMEOUT<TAB>COMMAND. Each test runs
# from the repository's root with a /dev/kmsg marker before it; afterwards
# the kernel log from the marker on is scanned for WARNING, BUG, Oops,
# KASAN, UBSAN, lockdep, kmemleak and hung-task reports, and any makes the
# test fail. Exit status of a test: 0 pass, 4 skip (kselftest), else fail.
# Results: OUT/results/NAME ("pass", "skip: ...", "fail: ..."),
# OUT/logs/NAME.log (output), OUT/summary (TAP).

# The kernel log lines that fail a test.
BAD='WARNING:|BUG:|Oops|KASAN|UBSAN|kmemleak|INFO: possible|INFO: task .* blocked|inconsistent lock state|possible recursive locking|circular locking|lockdep|general protection fault|Kernel panic|list_add corruption|list_del corruption|refcount_t:|DMA-API|stack-protector|RCU stall|rcu_sched self-detected'

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

cmd=$1
shift
case $cmd in
setup)
	setup_once
	load_modules
	exit $?
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
	marker="iub-vm: begin test $name"
	echo "$marker" > /dev/kmsg
	t0=$(date +%s)
	timeout -s KILL "$limit" sh -c "$command" > "$log" 2>&1 < /dev/null
	rc=$?
	t1=$(date +%s)
	echo "iub-vm: end test $name" > /dev/kmsg
	dmesg | awk -v m="$marker" 'index($0, m) { on = 1 } on' > /tmp/dmesg.test
	bad=$(grep -E "$BAD" /tmp/dmesg.test | head -n 5)

	if [ -n "$bad" ]; then
		result="fail: kernel log: $(echo "$bad" | head -n 1)"
	elif [ $rc = 0 ]; then
		result=pass
	elif [ $rc = 4 ]; then
		result="skip: $(tail -n 1 "$log")"
	elif [ $rc = 137 ]; then
		result="fail: timed out after ${limit}s"
	else
		result="fail: exit status $rc"
	fi
	{
		echo
		echo "--- kernel log during the test ---"
		cat /tmp/dmesg.test
	} >> "$log"
	echo "$result" > "$out/results/$name"

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

	# the next test starts from the standard state again
	load_modules > /dev/null 2>&1
done 3< "$list"
echo "# harness finished: $i tests, $fails failed" >> "$out/summary"
sync
exit 0
