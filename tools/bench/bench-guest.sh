#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark inside the test VM (busybox sh), Documentation/benchmark.rst.
# tools/bench/run.sh boots the VM with it (the whole benchmark, one boot);
# the in-VM test bench-smoke (tests/vm/bench.cmake) runs it with --smoke.
#
#   sh tools/bench/bench-guest.sh [--smoke] [--quick] [--out DIR] [--seconds S]
#                                 [--reps N] [--only REGEX] [--profile] [--libiio]
#                                 [--list [--plan coherent|bounced|arm64]]
#                                 [--gap-hold S] [--gap-reps N] [--no-gap]
#
# Loads its own configuration of the simulated board (two DMA-buffer ADCs),
# the bridge, FunctionFS, f_sourcesink, dummy_hcd and the simulated SG UDC;
# runs the plan (one iub-bench run per line), each result a JSON line in
# DIR/results.jsonl with its repetition ("rep") and its place in the plan
# ("seq"); unloads what it loaded (the test harness then loads the standard
# modules again). --only runs the plan lines matching REGEX ("UDC PATH SIZE
# INFLIGHT STREAMS"). --profile adds perf profiles, strace -c against
# iub-bench's own syscall count and a trace of the bridge's stages
# (DIR/profile-*, DIR/strace-*, DIR/trace-*).
#
# The plan is made of points (UDC, size, buffers in flight, streams), each
# with the paths it compares. --reps N repetitions (default 5; --smoke: 1):
# each repetition runs every point of the plan, and the paths of a point
# back to back, in an order rotated by one path per repetition (rep 1: A B
# C, rep 2: B C A, ...), so that the runs a ratio compares were measured
# minutes apart at most, and no path always runs first or last. --quick:
# only the table's points (1 MiB x 8, both UDCs) and the targets' (the SG
# UDC at 4 and 64 KiB x 8), no sweeps. --list prints the plan ("UDC PATH
# SIZE INFLIGHT STREAMS REP", after --only) and exits without touching the
# machine; --plan chooses the plan it prints (default: this machine's).
#
# The highest gap-free rate (the coherent plan only; Documentation/
# benchmark.rst): after the plan, per path and UDC at 1 MiB x 8 (copy: 1),
# a search for the highest rate of the simulated ADC in real-time mode that
# the path holds for --gap-hold seconds (default 30; --quick: 2) with
# nothing dropped, no gap and its data verified (iub-bench --rate): a run
# without a rate (the probe) gives the start, doubled while held, halved
# until held, then bisected to within 1/8. Each trial is a JSON line in
# DIR/gapfree.jsonl (the probes too, without "rate"). --gap-reps N
# searches each (default 1). --list prints the searches as "UDC PATH SIZE
# INFLIGHT STREAMS REP gapfree", and --only matches them as "UDC PATH SIZE
# INFLIGHT STREAMS gapfree" ("gapfree": the searches only); --no-gap: none. --smoke: one trial per
# path on the SG UDC at 4 MiB/s, 64 KiB x 4, held --gap-hold (default
# 0.3) seconds; it must run and report what it dropped.
#
# --libiio: the libiio plan instead (tools/bench/libiio-guest.sh): Debian's
# iio_readdev over USB through stock iiod and the bridge's iub-iiod, 256 to
# 1 Mi samples; --only then matches "dummy DAEMON SAMPLES".
#
# --smoke: small buffers, short runs, then checks that every path ran (that
# --only selected) and its data verified (never a timing); exit 0 pass, 1
# fail.
#
# The bounced lane: when the kernel bounces every DMA mapping (swiotlb=force
# on /proc/cmdline: tools/bench/run.sh --bounce, the suite's bounce lane),
# the plan is the reduced bounced plan instead (the bridge, capture, the
# upstream paths at 64 and 256 KiB, 8 in flight, --reps times; --smoke:
# 64 KiB x 4, once),
# and every JSON line says "lane":"bounced". The upstream DMABUF paths are
# expected to deliver wrong data there (neither IIO nor FunctionFS syncs its
# mapping): that is recorded, and --smoke does not fail on it; the bridge
# must verify. After the plan, one more run of the bridge on the SG UDC
# counts its dma_sync_single_for_*() calls with the function tracer
# (DIR/sync-count.txt, both lanes; --smoke: none at all in the coherent
# lane, some in the bounced one).
#
# The arm64 lane (an arm64 guest, tools/bench/run.sh --arch arm64): the
# arm64 plan instead, on the simulated SG UDC with non-coherent devices
# (4 KiB, 1 MiB, 64 MiB; the bridge and the upstream pair from udmabuf,
# hugetlb-backed udmabuf and the system dma-heap; the copy path), then the
# time the kernel spends in cache maintenance during one 64 MiB run of the
# bridge and of the pair (DIR/cache-time.txt).
set -u
SRC=${IUB_GUEST_SRC:-} BUILD=${IUB_GUEST_BUILD:-}
# our modules, of the guest's architecture (tools/vm/iub-vm)
KMOD=${IUB_GUEST_KMOD:-$SRC}
BENCH=$BUILD/tools/bench/iub-bench
RECV=${BUILD#/host}/tools/bench/iub-bench-recv	# its path in the host root
GADGET="sh $SRC/tools/iub-gadget.sh"
SSG=/sys/kernel/config/usb_gadget/iub-bench-ss
USBFS_MB=/sys/module/usbcore/parameters/usbfs_memory_mb
# the default map, plus a second DMA-buffer ADC on channel 6
MAP=iub-sim-adc.0:rx,iub-sim-adc.1:rx,iub-sim-dac.0:tx,iub-sim-dac.1:tx,iub-sim-adc-dmabuf.0:rx,iub-sim-adc.2:rx,iub-sim-adc-dmabuf.1:rx
K=1024 M=1048576

smoke=0 out=/out/bench secs='' rate='' only='' profile=0 perfctl='' strace_to='' libiio=0
nreps='' quick=0 list=0 plan_arg='' gap_hold='' gap_reps=1 gap=1
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1; shift ;;
	--quick) quick=1; shift ;;
	--reps) nreps=$2; shift 2 ;;
	--list) list=1; shift ;;
	--plan) plan_arg=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--profile) profile=1; shift ;;
	--libiio) libiio=1; shift ;;
	--gap-hold) gap_hold=$2; shift 2 ;;
	--gap-reps) gap_reps=$2; shift 2 ;;
	--no-gap) gap=0; shift ;;
	*) echo "bench-guest: unknown option $1" >&2; exit 2 ;;
	esac
done
# iub-bench's default (0): 4 buffers (copy), else twice the buffers in flight
if [ $smoke = 1 ]; then
	secs=${secs:-0.3} minb=2 nreps=${nreps:-1}
else
	secs=${secs:-2} minb=0 nreps=${nreps:-5}
fi
case $nreps in
''|0*|*[!0-9]*) echo "bench-guest: --reps wants a number from 1" >&2; exit 2 ;;
esac
case $gap_reps in
''|0*|*[!0-9]*) echo "bench-guest: --gap-reps wants a number from 1" >&2; exit 2 ;;
esac
if [ $smoke = 1 ]; then
	gap_hold=${gap_hold:-0.3}
elif [ $quick = 1 ]; then
	gap_hold=${gap_hold:-2}
else
	gap_hold=${gap_hold:-30}
fi

say() { echo "bench: $*"; }

# the bounced lane: every DMA mapping goes through swiotlb
lane=coherent
grep -Eq '(^| )swiotlb=([^ ]*,)?force( |,|$)' /proc/cmdline && lane=bounced
# the plan: the arm64 lane has its own (below); --smoke and the bounced
# lane are the same everywhere
plan=$lane
[ "$(uname -m)" = aarch64 ] && [ $smoke = 0 ] && [ $lane = coherent ] && plan=arm64
[ $libiio = 1 ] && plan=libiio
if [ -n "$plan_arg" ]; then
	plan=$plan_arg lane=coherent
	[ "$plan" = bounced ] && lane=bounced
fi

# ---- the plan ----------------------------------------------------------------------

# The plan as lines "UDC PATH SIZE INFLIGHT STREAMS REP [BUFFER]", one per
# run, in the order they run (make_plan). A point is a UDC, a size, the
# buffers in flight and the streams, with the paths it compares; the copy
# path of a point runs with one buffer in flight (read() then write()).
# Each repetition runs every point, the paths of a point back to back, in
# an order rotated by one path per repetition.

# emit UDC PATH SIZE INFLIGHT STREAMS [BUFFER]: one line of repetition $rep
emit() {
	e_n=$4
	[ "$2" = copy ] && e_n=1
	echo "$1 $2 $3 $e_n $5 $rep${6:+ $6}"
}

# point UDC SIZE INFLIGHT STREAMS PATH...: the paths of one point, rotated
# by (rep - 1). f_sourcesink above 4 MiB and the DMABUF pair on dummy_hcd
# (refused: no SG) say so once, in the first repetition, and no more.
point() {
	p_udc=$1 p_size=$2 p_n=$3 p_k=$4
	shift 4
	p_paths=
	for p in "$@"; do
		if { [ "$p" = sourcesink ] && [ "$p_size" -gt $((4 * M)) ]; } ||
		   { [ "$p" = pair ] && [ "$p_udc" = dummy ]; }; then
			[ "$rep" = 1 ] && emit "$p_udc" "$p" "$p_size" "$p_n" "$p_k"
			continue
		fi
		p_paths="$p_paths $p"
	done
	# shellcheck disable=SC2086 # split into its words
	set -- $p_paths
	[ $# = 0 ] && return 0
	p_rot=$(( (rep - 1) % $# )) p_i=0
	for p in "$@"; do
		[ $p_i -ge $p_rot ] && emit "$p_udc" "$p" "$p_size" "$p_n" "$p_k"
		p_i=$((p_i + 1))
	done
	p_i=0
	for p in "$@"; do
		[ $p_i -lt $p_rot ] && emit "$p_udc" "$p" "$p_size" "$p_n" "$p_k"
		p_i=$((p_i + 1))
	done
}

PATHS="copy pair mixed bridge stream sourcesink"
DPATHS="copy mixed bridge stream sourcesink"	# the sweeps on dummy_hcd: no pair
SIZES="4096 16384 65536 262144 $M $((4 * M)) $((16 * M)) $((64 * M))"

# make_plan: the whole plan of $plan (--smoke: its smoke version)
make_plan() {
	rep=1
	if [ "$plan" = arm64 ]; then
		# The arm64 lane: the simulated devices are not DMA-coherent
		# there, so every sync is cache maintenance. The simulated SG
		# UDC (the board's dwc3 does scatter-gather), 4 KiB, 1 MiB and
		# 64 MiB buffers, 4 in flight: the copy path (no DMABUF), the
		# bridge and the upstream pair with each buffer source.
		while [ $rep -le "$nreps" ]; do
			for size in 4096 $M $((64 * M)); do
				emit sg copy "$size" 1 1
				for b in udmabuf hugetlb heap; do
					if [ $((rep % 2)) = 1 ]; then
						emit sg pair "$size" 4 1 $b
						emit sg bridge "$size" 4 1 $b
					else
						emit sg bridge "$size" 4 1 $b
						emit sg pair "$size" 4 1 $b
					fi
				done
			done
			rep=$((rep + 1))
		done
	elif [ $lane = bounced ] && [ $smoke = 1 ]; then
		for spec in "dummy mixed 4" "dummy bridge 4" "dummy stream 4" "sg pair 4" "sg bridge 4" "sg stream 4"; do
			# shellcheck disable=SC2086 # split into its words
			set -- $spec
			emit "$1" "$2" $((64 * K)) "$3" 1
		done
		emit none capture $((64 * K)) 4 1
	elif [ $lane = bounced ]; then
		# Every mapping bounced. udmabuf has page-sized pieces, so any
		# size maps; 256 MiB of swiotlb hold every mapping of a run (a
		# route's buffer is mapped for the ADC and for the UDC).
		# f_sourcesink is left out (dummy_hcd maps nothing; a ceiling
		# is not what this lane asks). The points of the coherent
		# lane's size sweep (8 in flight).
		sizes="$((64 * K)) $((256 * K))"
		[ $quick = 1 ] && sizes=$((64 * K))
		while [ $rep -le "$nreps" ]; do
			for size in $sizes; do
				point dummy "$size" 8 1 copy mixed bridge stream
				point sg "$size" 8 1 copy pair mixed bridge stream
				point none "$size" 8 1 capture
			done
			rep=$((rep + 1))
		done
	elif [ $smoke = 1 ]; then
		for udc in dummy sg; do
			for p in $PATHS; do
				emit "$udc" "$p" $((64 * K)) 4 1
			done
		done
		for p in copy mixed bridge stream sourcesink; do
			emit dummy $p $((64 * K)) 4 2
		done
		emit sg pair $((64 * K)) 4 2
		emit none capture $((64 * K)) 4 1
	else
		while [ $rep -le "$nreps" ]; do
			# the table: 1 MiB x 8, one stream (also the 1 MiB
			# point of the size sweep and the 8 of the in-flight
			# sweep)
			for udc in dummy sg; do
				# shellcheck disable=SC2086 # split into its words
				point $udc $M 8 1 $PATHS
			done
			point none $M 8 1 capture
			# the targets' other points: the SG UDC at 4 and 64 KiB
			for size in 4096 $((64 * K)); do
				if [ $quick = 1 ]; then
					point sg "$size" 8 1 pair bridge stream
				else
					# shellcheck disable=SC2086 # split into its words
					point sg "$size" 8 1 $PATHS
				fi
			done
			if [ $quick = 0 ]; then
				# two concurrent streams (two ADCs, two bulk IN
				# endpoints), 1 MiB x 8
				for udc in dummy sg; do
					# shellcheck disable=SC2086 # split into its words
					point $udc $M 8 2 $PATHS
				done
				point none $M 8 2 capture
				# the size sweep, 8 in flight
				# (1 MiB: the table; the SG UDC's 4 and
				# 64 KiB: the targets' points)
				for size in $SIZES; do
					[ "$size" = $M ] && continue
					# shellcheck disable=SC2086 # split into its words
					point dummy "$size" 8 1 $DPATHS
					[ "$size" = 4096 ] || [ "$size" = $((64 * K)) ] && continue
					# shellcheck disable=SC2086 # split into its words
					point sg "$size" 8 1 $PATHS
				done
				# the in-flight sweep at 1 MiB (8: the table)
				for n in 1 2 4 16 32; do
					point dummy $M $n 1 mixed bridge stream sourcesink
					point sg $M $n 1 pair mixed bridge stream sourcesink
				done
				# the bounced lane's capture rows compare with these;
				# at 4 KiB, what the simulated ADC alone can do where
				# the targets ask for 3 times the pair
				for size in 4096 $((64 * K)) $((256 * K)); do
					point none "$size" 8 1 capture
				done
			fi
			rep=$((rep + 1))
		done
	fi
}

# make_gap_plan: the gap-free searches, "UDC PATH SIZE INFLIGHT STREAMS REP
# gapfree" (--smoke: single trials); none outside the coherent plan
make_gap_plan() {
	[ "$plan" = coherent ] && [ $gap = 1 ] || return 0
	if [ $smoke = 1 ]; then
		for p in copy pair bridge stream; do
			emit sg $p $((64 * K)) 4 1 gapfree
		done
		return 0
	fi
	rep=1
	while [ $rep -le "$gap_reps" ]; do
		for p in copy pair bridge stream; do
			emit sg $p $M 8 1 gapfree
		done
		for p in copy bridge stream; do
			emit dummy $p $M 8 1 gapfree
		done
		rep=$((rep + 1))
	done
}

# selected SPEC: whether --only selects the plan line SPEC (its first five
# words, and the buffer, when not udmabuf)
selected() {
	[ -z "$only" ] && return 0
	# shellcheck disable=SC2086 # split into its words
	set -- $1
	s_spec="$1 $2 $3 $4 $5"
	[ -n "${7:-}" ] && [ "$7" != udmabuf ] && s_spec="$s_spec $7"
	echo "$s_spec" | grep -Eq "$only"
}

if [ $list = 1 ]; then
	{ make_plan; make_gap_plan; } | while read -r line; do
		if selected "$line"; then
			echo "$line"
		fi
	done
	exit 0
fi

mkdir -p "$out"
results=$out/results.jsonl log=$out/bench.log
: > "$results"
: > "$log"
echo "$plan" > "$out/plan.txt"
echo "reps=$nreps seconds=$secs quick=$quick gap_hold=$gap_hold gap_reps=$gap_reps" >> "$out/plan.txt"
gapres=$out/gapfree.jsonl
: > "$gapres"
rep=1 seq=0

# ---- the guest ------------------------------------------------------------------

# host programs (the receiver, perf) run with `chroot /host`
if ! grep -q ' /host/proc ' /proc/mounts; then
	for d in dev proc sys; do
		mount --bind "/$d" "/host/$d"
	done
	grep -q ' /host/run ' /proc/mounts || mount -t tmpfs tmpfs /host/run
fi
grep -q ' /sys/kernel/config ' /proc/mounts || {
	modprobe configfs
	mount -t configfs none /sys/kernel/config
}

loaded() { grep -q "^$1 " /proc/modules; }
mods_before=" $(awk '{ print $1 }' /proc/modules | tr '\n' ' ') "
usbfs_before='' hugepages_before=''

ss_remove() {
	[ -d "$SSG" ] || return 0
	[ -n "$(cat "$SSG/UDC")" ] && echo > "$SSG/UDC"
	for l in "$SSG"/configs/c.1/SourceSink.*; do
		[ -L "$l" ] && rm "$l"
	done
	rmdir "$SSG"/configs/c.1 "$SSG"/functions/* "$SSG"
}

# Leave the guest without our modules: the harness loads its own again.
# shellcheck disable=SC2317 # the EXIT trap calls it
restore() {
	[ "$plan" = libiio ] && libiio_cleanup > /dev/null 2>&1
	$GADGET remove > /dev/null 2>&1
	ss_remove
	[ -n "$usbfs_before" ] && echo "$usbfs_before" > "$USBFS_MB"
	[ -n "$hugepages_before" ] && echo "$hugepages_before" > /proc/sys/vm/nr_hugepages
	# a cache_time() that died half-way leaves the tracer on
	if [ -w /sys/kernel/tracing/current_tracer ]; then
		echo nop > /sys/kernel/tracing/current_tracer
		echo > /sys/kernel/tracing/set_ftrace_filter
		echo 1 > /sys/kernel/tracing/tracing_on
	fi
	for m in iub_sim_udc dummy_hcd usb_f_iio_usb_bridge iio_usb_bridge \
		 usb_f_ss_lb usb_f_fs; do
		if loaded "$m"; then
			rmmod "$m" || echo "bench: cannot unload $m"
		fi
	done
	# the libiio plan's last run can leave the upstream IIO DMA buffer of
	# iub-sim-adc-dmabuf.1 with a freed block (libiio-guest.sh): unloading
	# it would free that block again
	if [ -n "${libiio_poisoned:-}" ]; then
		echo "bench: the board stays loaded: $libiio_poisoned"
	else
		sh "$SRC/sim/iub-sim-load.sh" --unload || echo "bench: cannot unload the board"
	fi
	case $mods_before in
	*" libcomposite "*) ;;
	*) rmmod libcomposite 2> /dev/null ;;
	esac
}
trap restore EXIT

# our configuration of the board and the bridge, whatever was there
for m in usb_f_iio_usb_bridge iio_usb_bridge dummy_hcd iub_sim_udc; do
	if loaded $m; then
		rmmod $m || { echo "bench: cannot unload $m"; exit 1; }
	fi
done
sh "$SRC/sim/iub-sim-load.sh" --unload || exit 1
IUB_SIM_DMA_ARGS="map=$MAP" IUB_SIM_DMABUF_ARGS="count=2" \
	sh "$SRC/sim/iub-sim-load.sh" || { echo "bench: cannot load the board"; exit 1; }
insmod "$KMOD/driver/iio_usb_bridge.ko" converters=iub-sim-adc.0:rx,iub-sim-adc.1:rx || exit 1
modprobe libcomposite && insmod "$KMOD/driver/usb_f_iio_usb_bridge.ko" || exit 1
modprobe usb_f_fs && modprobe usb_f_ss_lb || exit 1
modprobe dummy_hcd is_super_speed=1 || exit 1
insmod "$KMOD/sim/udc/iub_sim_udc.ko" speed=super || exit 1
# Debian's arm64 kernel has no system dma-heap: the one built from
# linux-source (tests/vm/modules.list does the same; a dma-heap cannot be
# unloaded, it stays)
if [ ! -e /dev/dma_heap/system ] && [ -f "$KMOD/sim/.upstream-dma-heap" ]; then
	heap=/host$(cat "$KMOD/sim/.upstream-dma-heap")
	insmod "$heap/iub_dma_heap.ko" && insmod "$heap/iub_system_heap.ko" ||
		echo "bench: no system dma-heap"
fi
# hugetlb-backed udmabufs (--buffer hugetlb): 2 MiB pages for the largest
# run (iub-bench allocates twice the buffers in flight: 8 of 64 MiB, 256
# pages), with some to spare
hugepages_before=$(cat /proc/sys/vm/nr_hugepages)
if [ "$plan" = arm64 ]; then
	echo 288 > /proc/sys/vm/nr_hugepages
	echo "hugepages=$(cat /proc/sys/vm/nr_hugepages)" >> "$out/plan.txt"
fi
# usbfs allows 16 MiB in flight on the whole machine by default
usbfs_before=$(cat $USBFS_MB)
echo 0 > $USBFS_MB

# ---- one run ----------------------------------------------------------------------

# ss_gadget STREAMS BUFLEN QLEN: f_sourcesink, one function per stream
ss_gadget() {
	mkdir -p "$SSG/configs/c.1" || return 1
	echo 0x1d6b > "$SSG/idVendor"
	echo 0x0104 > "$SSG/idProduct"
	i=0
	while [ $i -lt "$1" ]; do
		f=$SSG/functions/SourceSink.$i
		mkdir "$f" || return 1
		echo 2 > "$f/pattern"		# no pattern: nothing to fill
		echo "$2" > "$f/bulk_buflen"
		echo "$3" > "$f/bulk_qlen"
		ln -s "$f" "$SSG/configs/c.1/" || return 1
		i=$((i + 1))
	done
}

# json_fail UDC PATH SIZE INFLIGHT STREAMS BUFFER STATUS MESSAGE
json_fail() {
	printf '{"rep":%s,"seq":%s,"udc":"%s","path":"%s","size":%s,"inflight":%s,"streams":%s,"buffer":"%s","status":"%s","lane":"%s","error":"%s"}\n' \
		"$rep" "$seq" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$lane" "$8" >> "$results"
}

# run UDC PATH SIZE INFLIGHT STREAMS [BUFFER]: BUFFER is where the DMABUFs
# come from (iub-bench --buffer: udmabuf, the default; hugetlb; heap)
run() {
	udc=$1 path=$2 size=$3 n=$4 k=$5 udc0=$1 buf=${6:-udmabuf}
	set -- "$udc" "$path" "$size" "$n" "$k" "$buf"
	spec="$1 $2 $3 $4 $5"
	[ "$buf" = udmabuf ] || spec="$spec $buf"
	if [ -n "$only" ] && ! echo "$spec" | grep -Eq "$only"; then
		return 0
	fi
	udcname=dummy_udc.0
	[ "$udc" = sg ] && udcname=iub-sim-udc.0
	[ "$path" = capture ] && udc=sg		# no USB: no receiver
	case $path in
	bridge|stream)
		if ! { $GADGET create usb0 "$k" 0 && $GADGET bind $udcname; } >> "$log" 2>&1; then
			json_fail "$@" failed "gadget setup"
			$GADGET remove > /dev/null 2>&1
			return 0
		fi
		;;
	sourcesink)
		# f_sourcesink kmalloc()s its requests: at most 4 MiB
		if [ "$size" -gt $((4 * M)) ]; then
			json_fail "$@" skipped "f_sourcesink requests are kmalloc()ed: 4 MiB at most"
			return 0
		fi
		if ! { ss_gadget "$k" "$size" "$n" && echo $udcname > "$SSG/UDC"; } >> "$log" 2>&1; then
			json_fail "$@" failed "gadget setup"
			ss_remove
			return 0
		fi
		;;
	esac
	echo "# $spec" >> "$log"
	set -- --path "$path" --udc "$udc" --size "$size" --inflight "$n" \
		--streams "$k" --seconds "$secs" --min-buffers $minb --recv "$RECV"
	[ "$buf" = udmabuf ] || set -- "$@" --buffer "$buf"
	[ -n "$rate" ] && set -- "$@" --rate "$rate"
	if [ -n "$strace_to" ]; then
		"$BENCH" "$@" --wait-tracer 30 > /tmp/bench.out 2>> "$log" &
		bpid=$!
		TMPDIR=/run chroot /host strace -c -f -p $bpid -o /run/strace.txt 2>> "$log" &
		spid=$!
		wait $bpid
		rc=$?
		wait $spid
		cp /host/run/strace.txt "$strace_to"
	else
		"$BENCH" "$@" ${perfctl:+--perf-ctl "$perfctl"} > /tmp/bench.out 2>> "$log"
		rc=$?
	fi
	set -- "$udc0" "$path" "$size" "$n" "$k" "$buf"
	if grep -q '^{' /tmp/bench.out; then
		grep '^{' /tmp/bench.out |
			sed "s/^{/{\"rep\":$rep,\"seq\":$seq,/" >> "$results"
	else
		json_fail "$@" failed "iub-bench exit $rc: $(tail -n 1 "$log" | sed 's/["\\]//g')"
	fi
	tail -n 1 "$results" | sed -e 's/^{/bench: {/' | cut -c1-300
	case $path in
	bridge|stream) $GADGET remove >> "$log" 2>&1 ;;
	sourcesink) ss_remove >> "$log" 2>&1 ;;
	esac
	# a failed run may leave the hardware busy: let it settle
	[ $rc = 0 ] || sleep 1
	return 0
}

# ---- the libiio plan (--libiio) ---------------------------------------------------

if [ "$plan" = libiio ]; then
	# shellcheck source=tools/bench/libiio-guest.sh
	. "$SRC/tools/bench/libiio-guest.sh"
	t0=$(date +%s)
	libiio_plan
	say "$(grep -c . "$results") runs in $(( $(date +%s) - t0 )) s; results in $results"
	dmesg > "$out/dmesg.txt"
	if grep -Eq 'WARNING:|BUG:|Oops|refcount_t:|DMA-API' "$out/dmesg.txt"; then
		say "the kernel log has warnings: $out/dmesg.txt"
	fi
	[ $smoke = 1 ] || exit 0
	libiio_verdict
	exit $?
fi

# ---- running the plan ---------------------------------------------------------------

t0=$(date +%s)
make_plan > "$out/plan-runs.txt"
nruns=$(while read -r line; do
		if selected "$line"; then
			echo "$line"
		fi
	done < "$out/plan-runs.txt" | grep -c .)
say "the $plan plan$([ $smoke = 1 ] && echo "'s smoke version")$([ $quick = 1 ] && echo ", quick"): $nruns runs${only:+ (those matching $only)}, $nreps repetition(s), ${secs} s each"
while read -r l_udc l_path l_size l_n l_k l_rep l_buf; do
	seq=$((seq + 1)) rep=$l_rep
	run "$l_udc" "$l_path" "$l_size" "$l_n" "$l_k" "$l_buf" < /dev/null
done < "$out/plan-runs.txt"
rep=1 seq=0
say "$(grep -c . "$results") runs in $(( $(date +%s) - t0 )) s; results in $results"

# ---- the highest gap-free rate ------------------------------------------------------

GAP_FLOOR=$((256 * K))		# bytes per second: below it, no search
GAP_CAP=$((16384 * M))		# above it neither (16 GiB/s, far below IUB_SIM_MAX_RATE)

# field KEY JSON_LINE: the value of KEY in the line (strings quoted), or nothing
field() {
	echo "$2" | sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"
}

SIM_DBG=/sys/kernel/debug/iub-sim-dma

# sim_default: every simulated channel in its default mode at full speed
# (iub-bench does that on its exit; this is for an iub-bench that was
# killed). The plan sets no rate anywhere else.
sim_default() {
	for c in "$SIM_DBG"/chan*; do
		[ -d "$c" ] || continue
		echo 0 > "$c/realtime"
		echo 0 > "$c/rate"
	done
}

# sim_is_default: whether no channel was left in real-time mode or paced
sim_is_default() {
	for c in "$SIM_DBG"/chan*; do
		[ -d "$c" ] || continue
		[ "$(cat "$c/realtime")" = 0 ] && [ "$(cat "$c/rate")" = 0 ] || return 1
	done
	return 0
}

# gap_trial RATE: one trial of the search's point at RATE bytes per second,
# held $gap_hold s; sets g_held (true, false, or the run's status)
gap_trial() {
	secs_keep=$secs
	secs=$gap_hold rate=$1
	run "$g_udc" "$g_path" "$g_size" "$g_n" "$g_k"
	secs=$secs_keep rate=''
	if ! sim_is_default; then
		echo "# a channel was left in real-time mode or paced" >> "$log"
		g_left=1
		sim_default
	fi
	g_line=$(tail -n 1 "$results")
	g_held=$(field held "$g_line")
	[ -n "$g_held" ] || g_held=$(field status "$g_line" | tr -d '"')
	seq=$((seq + 1))
}

# gap_search UDC PATH SIZE INFLIGHT STREAMS: the highest rate held
gap_search() {
	g_udc=$1 g_path=$2 g_size=$3 g_n=$4 g_k=$5
	# the probe: the path's throughput without a rate, the first guess
	run "$g_udc" "$g_path" "$g_size" "$g_n" "$g_k"
	seq=$((seq + 1))
	g_mibps=$(field mibps "$(tail -n 1 "$results")")
	g_mibps=${g_mibps%.*}
	case $g_mibps in
	''|*[!0-9]*) g_r=0 ;;		# the probe failed
	*) g_r=$((g_mibps * M)) ;;
	esac
	[ "$g_r" -ge $GAP_FLOOR ] || g_r=$((64 * M))
	[ "$g_r" -le $GAP_CAP ] || g_r=$GAP_CAP
	g_lo=0 g_hi=0
	gap_trial $g_r
	if [ "$g_held" = true ]; then
		g_lo=$g_r
		while [ $g_hi = 0 ] && [ $((2 * g_r)) -le $GAP_CAP ]; do
			g_r=$((2 * g_r))
			gap_trial $g_r
			if [ "$g_held" = true ]; then g_lo=$g_r; else g_hi=$g_r; fi
		done
	else
		g_hi=$g_r
		while [ $g_lo = 0 ] && [ $((g_r / 2)) -ge $GAP_FLOOR ]; do
			g_r=$((g_r / 2))
			gap_trial $g_r
			if [ "$g_held" = true ]; then g_lo=$g_r; else g_hi=$g_r; fi
		done
	fi
	# bisect to within 1/8, in steps of 64 KiB/s
	while [ $g_lo != 0 ] && [ $g_hi != 0 ] && [ $((8 * g_hi)) -gt $((9 * g_lo)) ]; do
		g_r=$(( (g_lo + g_hi) / 2 / (64 * K) * (64 * K) ))
		if [ $g_r -le $g_lo ] || [ $g_r -ge $g_hi ]; then
			break
		fi
		gap_trial $g_r
		if [ "$g_held" = true ]; then g_lo=$g_r; else g_hi=$g_r; fi
	done
	say "gap-free $g_udc $g_path $g_size x $g_n: $((g_lo / K)) KiB/s held for $gap_hold s$([ $g_hi = 0 ] && echo " (the cap)" || echo ", not $((g_hi / K)) KiB/s")"
}

if [ "$plan" = coherent ] && [ $gap = 1 ]; then
	make_gap_plan > "$out/gap-plan.txt"
	results_keep=$results only_keep=$only g_left=0
	results=$gapres
	t1=$(date +%s) seq=0
	if [ $smoke = 1 ]; then
		say "gap-free trials (smoke): one per path at 4 MiB/s, held $gap_hold s (a short hold)"
	else
		say "gap-free searches: held $gap_hold s per trial$([ "$gap_hold" != 30 ] && echo " (a short hold: the full plan holds 30 s)")"
	fi
	while read -r l_udc l_path l_size l_n l_k l_rep _; do
		only=$only_keep
		selected "$l_udc $l_path $l_size $l_n $l_k $l_rep gapfree" || continue
		only='' rep=$l_rep
		if [ $smoke = 1 ]; then
			g_udc=$l_udc g_path=$l_path g_size=$l_size g_n=$l_n g_k=$l_k
			gap_trial $((4 * M))
		else
			gap_search "$l_udc" "$l_path" "$l_size" "$l_n" "$l_k"
		fi
	done < "$out/gap-plan.txt"
	results=$results_keep only=$only_keep rep=1 seq=0
	say "$(grep -c . "$gapres") gap-free runs in $(( $(date +%s) - t1 )) s; results in $gapres"
fi

# ---- the bridge's sync calls --------------------------------------------------------

# One run of the bridge on the SG UDC (both stages map the buffer), 64 KiB x 4,
# with the function tracer on the DMA API's sync calls: how many the bridge
# made (their caller is one of its functions) per route, how many others
# made. In the coherent lane dma_need_sync() is false for every mapping and
# the bridge calls none; bounced, each DMA segment of each stage is synced
# for the device before it starts and for the CPU after it ends.
sync_count() {
	T=/sys/kernel/tracing
	[ -d $T/events ] || mount -t tracefs nodev $T 2> /dev/null
	if ! grep -qx '__dma_sync_single_for_cpu' $T/available_filter_functions 2> /dev/null; then
		echo "lane=$lane no function tracer for __dma_sync_single_for_*" > "$out/sync-count.txt"
		return 0
	fi
	echo nop > $T/current_tracer
	echo > $T/trace
	echo 8192 > $T/buffer_size_kb
	printf '%s\n' __dma_sync_single_for_device __dma_sync_single_for_cpu \
		__dma_sync_sg_for_device __dma_sync_sg_for_cpu > $T/set_ftrace_filter
	echo function > $T/current_tracer
	results_keep=$results
	results=$out/sync-runs.jsonl
	: > "$results"
	run sg bridge $((64 * K)) 4 1
	results=$results_keep
	# the trace before the tracer changes: that clears it
	echo 0 > $T/tracing_on
	grep -v '^#' $T/trace > /tmp/sync-trace.txt
	echo nop > $T/current_tracer
	echo > $T/set_ftrace_filter
	echo 1 > $T/tracing_on
	r=$(grep '"status":"ok"' "$out/sync-runs.jsonl" | head -n 1)
	if [ -z "$r" ]; then
		echo "lane=$lane the run failed" > "$out/sync-count.txt"
		return 0
	fi
	bytes=$(echo "$r" | sed -n 's/.*"bytes":\([0-9]*\).*/\1/p')
	dev=$(grep -c '__dma_sync_single_for_device <-iub_' /tmp/sync-trace.txt)
	cpu=$(grep -c '__dma_sync_single_for_cpu <-iub_' /tmp/sync-trace.txt)
	other=$(grep -vc ' <-iub_' /tmp/sync-trace.txt)
	lost=$(grep -c 'LOST' /tmp/sync-trace.txt)
	echo "lane=$lane udc=sg path=bridge size=$((64 * K)) inflight=4 routes=$((bytes / (64 * K))) bridge_for_device=$dev bridge_for_cpu=$cpu others=$other lost_events=$lost" \
		> "$out/sync-count.txt"
	say "sync calls: $(cat "$out/sync-count.txt")"
}
if [ -z "$only" ] || echo "sg bridge $((64 * K)) 4 1" | grep -Eq "$only"; then
	sync_count
fi

# ---- the cost of cache maintenance (the arm64 plan) ---------------------------------

# What dominates at 64 MiB on a non-coherent machine: the time spent in the
# architecture's cache maintenance for DMA (arch_sync_dma_for_device/_cpu:
# clean or invalidate every cache line of the range), measured with the
# function-graph tracer during one run of a path, against that run's
# device-side CPU time. DIR/cache-time.txt, one line per run.
cache_time() {
	T=/sys/kernel/tracing
	[ -d $T/events ] || mount -t tracefs nodev $T 2> /dev/null
	for f in arch_sync_dma_for_device arch_sync_dma_for_cpu; do
		if ! grep -qx "$f" $T/available_filter_functions 2> /dev/null; then
			echo "no function-graph tracer for $f" > "$out/cache-time.txt"
			return 0
		fi
	done
	: > "$out/cache-time.txt"
	for spec in "pair udmabuf" "bridge udmabuf" "pair hugetlb" "bridge hugetlb"; do
		# shellcheck disable=SC2086 # split into its words
		set -- $spec
		echo nop > $T/current_tracer
		echo 65536 > $T/buffer_size_kb
		printf '%s\n' arch_sync_dma_for_device arch_sync_dma_for_cpu > $T/set_ftrace_filter
		echo function_graph > $T/current_tracer
		echo > $T/trace
		results_keep=$results
		results=$out/cache-runs.jsonl
		run sg "$1" $((64 * M)) 4 1 "$2"
		results=$results_keep
		echo 0 > $T/tracing_on
		# "  3.125 us    |  arch_sync_dma_for_cpu();", "+ 1234.5 us" etc.
		us=$(awk '/arch_sync_dma_for_(device|cpu)\(\);/ {
				for (i = 1; i <= NF; i++)
					if ($(i + 1) == "us") { t += $i; n++; break }
			} END { printf "%.0f %d", t, n }' $T/trace)
		lost=$(grep -c LOST $T/trace)
		echo nop > $T/current_tracer
		echo > $T/set_ftrace_filter
		echo 1 > $T/tracing_on
		r=$(tail -n 1 "$out/cache-runs.jsonl")
		echo "path=$1 buffer=$2 size=$((64 * M)) inflight=4 sync_us=${us% *} sync_calls=${us#* } lost_events=$lost run=$r" \
			>> "$out/cache-time.txt"
		say "cache maintenance: $1 $2: ${us% *} us in ${us#* } calls"
	done
}
if [ "$plan" = arm64 ] && [ -z "$only" ]; then
	cache_time
fi
dmesg > "$out/dmesg.txt"
if grep -Eq 'WARNING:|BUG:|Oops|refcount_t:|DMA-API' "$out/dmesg.txt"; then
	say "the kernel log has warnings: $out/dmesg.txt"
fi

# ---- profiles (--profile) ----------------------------------------------------------

if [ $profile = 1 ]; then
	only=''
	echo 0 > /proc/sys/kernel/kptr_restrict
	echo -1 > /proc/sys/kernel/perf_event_paranoid
	for spec in "dummy copy 1 $M" "dummy mixed 8 $M" "dummy bridge 8 $M" \
		    "dummy sourcesink 8 $M" "sg pair 8 $M" "sg bridge 8 $M" \
		    "dummy bridge 4 4096" "sg bridge 4 4096" "sg pair 4 4096" \
		    "sg stream 8 $M" "sg pair 8 65536" "sg bridge 8 65536" \
		    "sg stream 8 65536"; do
		# shellcheck disable=SC2086 # split into its words
		set -- $spec
		tag=$1-$2-$4
		# perf starts disabled; iub-bench enables it for the measurement
		# window only (--perf-ctl), then it is stopped
		rm -f /host/run/perf.ctl /host/run/perf.ack
		mkfifo /host/run/perf.ctl /host/run/perf.ack
		TMPDIR=/run chroot /host perf record -a -g -F 499 -D -1 \
			--control fifo:/run/perf.ctl,/run/perf.ack -o /run/perf.data \
			> /dev/null 2> "$out/perf-$tag.log" &
		ppid=$!
		results_keep=$results
		results=$out/profile-runs.jsonl
		perfctl=/host/run/perf.ctl,/host/run/perf.ack
		run "$1" "$2" "$4" "$3" 1
		perfctl=''
		results=$results_keep
		kill -INT $ppid
		wait $ppid
		TMPDIR=/run chroot /host perf report -i /run/perf.data --no-children \
			--sort sym --stdio -g none --percent-limit 1 2>/dev/null |
			grep -v '^$' | head -n 60 > "$out/profile-$tag.txt"
		TMPDIR=/run chroot /host perf report -i /run/perf.data --no-children \
			--sort comm,dso --stdio -g none --percent-limit 1 2>/dev/null |
			grep -v '^$' | head -n 30 > "$out/profile-$tag-by-thread.txt"
		# every sample with its call chain, for report.py's breakdown
		TMPDIR=/run chroot /host perf script -i /run/perf.data -F comm,ip,sym 2>/dev/null |
			gzip -1 > "$out/profile-$tag.script.gz"
		rm -f /host/run/perf.data
	done
	# cross-check of iub-bench's own syscall count: strace -c -f attached
	# to it between its setup and its measurement (--wait-tracer), on the
	# SG UDC (on dummy_hcd it would follow the receiver too); strace slows
	# it down, so only the calls per GiB compare
	results_keep=$results
	results=$out/strace-runs.jsonl
	for p in pair mixed bridge; do
		strace_to=$out/strace-$p.txt
		run sg $p $M 8 1
	done
	strace_to=''
	results=$results_keep
	# the bridge's stages at 4 KiB and 1 MiB, from its tracepoints: how
	# long each stage takes, how soon the USB stage starts after the ADC
	# stage, how soon userspace resubmits a buffer
	T=/sys/kernel/tracing
	[ -d $T/events ] || mount -t tracefs nodev $T
	echo 8192 > $T/buffer_size_kb
	for size in 4096 $M; do
		echo > $T/trace
		echo 1 > $T/events/iio_usb_bridge/enable
		results_keep=$results
		results=$out/profile-runs.jsonl
		secs_keep=$secs
		secs=1
		run dummy bridge "$size" 4 1
		secs=$secs_keep
		results=$results_keep
		echo 0 > $T/events/iio_usb_bridge/enable
		cat $T/trace > "$out/trace-bridge-$size.txt"
	done
fi

# ---- the smoke test's verdict -------------------------------------------------------

if [ $smoke = 1 ]; then
	bad=0
	# wanted UDC PATH STREAMS: whether --only selected that run
	wanted() {
		[ -z "$only" ] || echo "$1 $2 - - $3" | grep -Eq "$only"
	}
	# expect UDC PATH STREAMS STATUS [VERIFIED]
	expect() {
		wanted "$1" "$2" "$3" || return 0
		line=$(grep "\"udc\":\"$1\",\"path\":\"$2\",.*\"streams\":$3," "$results" | head -n 1)
		if [ -z "$line" ]; then
			echo "not ok - $1 $2 x$3: did not run"
			bad=1
			return
		fi
		if ! echo "$line" | grep -q "\"status\":\"$4\""; then
			echo "not ok - $1 $2 x$3: not $4: $line"
			bad=1
			return
		fi
		if [ -n "${5:-}" ] && ! echo "$line" | grep -q "\"verified\":$5"; then
			echo "not ok - $1 $2 x$3: verified is not $5: $line"
			bad=1
			return
		fi
		echo "ok - $1 $2 x$3: $4${5:+, verified $5}"
	}
	# fact UDC PATH: an upstream path in the bounced lane ran; its data
	# may be wrong (expected: it does not sync its mappings), not a failure
	fact() {
		wanted "$1" "$2" 1 || return 0
		line=$(grep "\"udc\":\"$1\",\"path\":\"$2\",.*\"streams\":1," "$results" | head -n 1)
		if [ -z "$line" ]; then
			echo "not ok - $1 $2 x1 (bounced): did not run"
			bad=1
			return
		fi
		v=$(echo "$line" | sed -n 's/.*"verified":\([a-z]*\).*/\1/p')
		m=$(echo "$line" | sed -n 's/.*"mismatches":\([0-9]*\).*/\1/p')
		b=$(echo "$line" | sed -n 's/.*"bytes":\([0-9]*\).*/\1/p')
		echo "ok - $1 $2 x1 (bounced): ran, verified ${v:-?}, ${m:-?} of $(( ${b:-0} / 4 )) words wrong (upstream maps without syncing: a fact, not a failure)"
	}
	[ -s "$results" ] || [ -s "$gapres" ] || { echo "not ok - --only '$only' selected no run"; bad=1; }
	if [ $lane = bounced ]; then
		expect dummy bridge 1 ok true
		expect sg bridge 1 ok true
		expect dummy stream 1 ok true
		expect sg stream 1 ok true
		expect none capture 1 ok
		fact dummy mixed
		fact sg pair
	else
		for udc in dummy sg; do
			for p in copy mixed bridge stream; do
				expect $udc $p 1 ok true
			done
			expect $udc sourcesink 1 ok
		done
		expect sg pair 1 ok true
		expect dummy pair 1 refused
		if wanted dummy pair 1; then
			grep '"path":"pair".*"refused"' "$results" | grep -q EPERM ||
				{ echo "not ok - dummy_hcd refused the DMABUF pair, but not with EPERM"; bad=1; }
		fi
		for p in copy mixed bridge stream; do
			expect dummy $p 2 ok true
		done
		expect dummy sourcesink 2 ok
		expect sg pair 2 ok true
		expect none capture 1 ok
	fi
	# the bridge's sync calls (sync_count): none where nothing needs them
	if [ -f "$out/sync-count.txt" ]; then
		sc=$(cat "$out/sync-count.txt")
		d=$(echo "$sc" | sed -n 's/.*bridge_for_device=\([0-9]*\).*/\1/p')
		c=$(echo "$sc" | sed -n 's/.*bridge_for_cpu=\([0-9]*\).*/\1/p')
		if [ -z "$d" ]; then
			echo "ok - the bridge's sync calls not counted: $sc"
		elif [ $lane = coherent ] && [ $((d + c)) != 0 ]; then
			echo "not ok - coherent lane, yet the bridge made $d + $c sync calls: $sc"
			bad=1
		elif [ $lane = bounced ] && { [ "$d" = 0 ] || [ "$c" = 0 ]; }; then
			echo "not ok - bounced lane, yet the bridge made $d + $c sync calls: $sc"
			bad=1
		else
			echo "ok - the bridge's sync calls ($lane): $sc"
		fi
	fi
	# the gap-free trials: each ran in real-time mode and said what it
	# dropped (whether it held is a measurement, not a verdict)
	if [ "$plan" = coherent ] && [ $gap = 1 ]; then
		while read -r l_udc l_path l_size l_n l_k l_rep _; do
			selected "$l_udc $l_path $l_size $l_n $l_k $l_rep gapfree" || continue
			line=$(grep "\"udc\":\"$l_udc\",\"path\":\"$l_path\",.*\"rate\":" "$gapres" | head -n 1)
			d=$(field dropped "$line")
			if [ -z "$line" ]; then
				echo "not ok - gap-free trial $l_udc $l_path: did not run"
				bad=1
			elif ! echo "$line" | grep -q '"status":"ok"' || [ -z "$d" ]; then
				echo "not ok - gap-free trial $l_udc $l_path: $line"
				bad=1
			else
				echo "ok - gap-free trial $l_udc $l_path at $(field rate "$line") B/s for $gap_hold s: dropped $d, gaps $(field gaps "$line"), held $(field held "$line")"
			fi
		done < "$out/gap-plan.txt"
		if [ "$g_left" = 1 ]; then
			echo "not ok - an iub-bench --rate left a simulated channel in real-time mode or paced"
			bad=1
		fi
	fi
	# every path moved data
	if grep '"status":"ok"' "$results" | grep -q '"bytes":0,'; then
		echo "not ok - a run moved no data"
		bad=1
	fi
	exit $bad
fi
exit 0
