#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole benchmark in one command (Documentation/benchmark.rst): build,
# boot the test VM once, stream from the simulated ADCs to the USB host side
# through every path (tools/bench/bench-guest.sh), boot it a second time
# with every DMA mapping bounced (the bounced lane), then write the tables,
# CSV/JSON and PNG plots.
#
#   tools/bench/run.sh [--build DIR] [--out DIR] [--no-build] [--profile]
#                      [--update-docs] [--reps N] [--seconds S] [--quick]
#                      [--only REGEX] [--smoke] [--list]
#                      [--bounce | --no-bounce | --bounce-only] [--report-only]
#                      [--arch arm64] [--libiio]
#                      [--gap-hold S] [--gap-reps N] [--no-gap]
#
# The plan: points (UDC, buffer size, buffers in flight, streams), each with
# the paths it compares; --reps repetitions, each running every point with
# the paths of a point back to back, in an order rotated per repetition.
# The default: the table (1 MiB x 8, both UDCs, one and two streams), the
# targets' points (the SG UDC at 4 and 64 KiB x 8), a size sweep 4 KiB to
# 64 MiB at 8 in flight, an in-flight sweep 1 to 32 at 1 MiB; five
# repetitions of 2 s runs; then the bounced lane's boot. About 70 minutes
# on these machines, estimated (--list prints the estimate for any options;
# Documentation/benchmark.rst); --quick: about 8 minutes. Then the
# gap-free searches (--gap-hold): about 14 minutes more, 4 with --quick.
#
#   --libiio        the libiio clients instead: one boot running the libiio
#                   plan (bench-guest.sh --libiio, libiio-guest.sh):
#                   Debian's iio_readdev over USB (dummy_hcd) through stock
#                   iiod 0.24 on FunctionFS and through the bridge's
#                   iub-iiod, 256 to 1 Mi samples a buffer, three times;
#                   results in <build>/bench-out-libiio, --update-docs
#                   writes Documentation/benchmark/table-libiio.inc;
#                   --smoke: the test suite's version (bench-libiio-smoke)
#   --arch arm64    the arm64 lane instead: one boot of the arm64 VM
#                   (Debian's arm64 kernel, cortex-a53, non-coherent
#                   simulated devices) running the arm64 plan
#                   (bench-guest.sh): 4 KiB, 1 MiB and 64 MiB buffers from
#                   udmabuf, hugetlb-backed udmabuf and the system
#                   dma-heap, the cost of cache maintenance; results in
#                   <build>/bench-out-arm64, --update-docs writes
#                   Documentation/benchmark/table-arm64.inc
#   --build DIR     CMake build directory (default: <repo>/build)
#   --out DIR       results (default: <build>/bench-out); the VM's files too
#   --no-build      use the build as it is
#   --profile       also perf profiles and a trace of the bridge's stages
#   --update-docs   copy the table, the profile summary and the plots into
#                   Documentation/benchmark/ (table.inc, profile.txt, *.png)
#   --reps N        repetitions of the plan (default 5; --smoke: 1)
#   --seconds S     length of each run (default 2)
#   --quick         only the table's and the targets' points, no sweeps (and
#                   no bounced lane unless asked for)
#   --only REGEX    only the plan lines matching REGEX ("UDC PATH SIZE
#                   INFLIGHT STREAMS", bench-guest.sh; the gap-free
#                   searches: "UDC PATH SIZE INFLIGHT STREAMS gapfree",
#                   so "gapfree" selects them alone)
#   --gap-hold S    the hold of each gap-free trial (default 30 s; --quick:
#                   2 s; --smoke: 0.3 s): after the coherent plan, per path
#                   and UDC, the highest rate of the simulated ADC in
#                   real-time mode held that long with nothing dropped
#                   (bench-guest.sh); --update-docs writes their table into
#                   Documentation/benchmark/table-gapfree.inc
#   --gap-reps N    searches per path and UDC (default 1)
#   --no-gap        no gap-free searches
#   --list          print the plan (after --only), its number of runs and an
#                   estimate of its length, and exit
#   --smoke         the test suite's smoke version instead of the full plan
#   --bounce        also the bounced lane: a second boot with
#                   swiotlb=131072,force (every DMA mapping bounced) running
#                   the reduced bounced plan (bench-guest.sh; --smoke: its
#                   smoke version). On by default in the full plan, off with
#                   --smoke and --only unless asked for
#   --no-bounce     not the bounced lane
#   --bounce-only   only the bounced lane's boot; the coherent results of an
#                   earlier run in <out>/bench stay and are reported with it
#   --report-only   no build, no VM: tables and plots again from <out>/bench
#
# Results: <out>/bench/results.{jsonl,csv,json}, summary.csv, table.txt,
# table.rst, profile.txt, throughput-size.png, cpu-size.png,
# throughput-inflight.png, cpu-inflight.png (plots.gp); the bounced
# lane's raw results in <out>/bench/results-bounced.jsonl (its VM's files in
# <out>/bounce), its rows in the same tables and CSV/JSON ("lane").
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$repo/build
out=
do_build=1 docs=0 vm=1 smoke=0 arch=amd64 libiio=0 list=0 secs='' reps='' gap_hold=''
bounce=''	# '': the default (the full plan: yes; --smoke, --only: no)
guest_args=() bounce_args=()
cmdline="tools/bench/run.sh $*"
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$(realpath -m "$2"); shift 2 ;;
	--out) out=$(realpath -m "$2"); shift 2 ;;
	--no-build) do_build=0; shift ;;
	--update-docs) docs=1; shift ;;
	--report-only) do_build=0; vm=0; shift ;;
	--arch) arch=$2; shift 2 ;;
	--libiio) libiio=1; guest_args+=("$1"); bounce=0; shift ;;
	--bounce) bounce=1; shift ;;
	--no-bounce) bounce=0; shift ;;
	--bounce-only) bounce=only; shift ;;
	--profile) guest_args+=("$1"); shift ;;
	--smoke) guest_args+=("$1"); bounce_args+=("$1"); bounce=${bounce:-0}; smoke=1; shift ;;
	--seconds) guest_args+=("$1" "$2"); bounce_args+=("$1" "$2"); secs=$2; shift 2 ;;
	--reps) guest_args+=("$1" "$2"); bounce_args+=("$1" "$2"); reps=$2; shift 2 ;;
	--quick) guest_args+=("$1"); bounce_args+=("$1"); bounce=${bounce:-0}; shift ;;
	--list) list=1; shift ;;
	--gap-hold) guest_args+=("$1" "$2"); gap_hold=$2; shift 2 ;;
	--gap-reps) guest_args+=("$1" "$2"); shift 2 ;;
	--no-gap) guest_args+=("$1"); shift ;;
	--only) guest_args+=("$1" "$2"); bounce_args+=("$1" "$2"); bounce=${bounce:-0}; shift 2 ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ $libiio = 1 ]; then
	[ "$arch" = amd64 ] || { echo "run.sh: --libiio runs on amd64 only" >&2; exit 2; }
	out=${out:-$build/bench-out-libiio}
fi
case $arch in
amd64) vmbuild=$build; out=${out:-$build/bench-out} ;;
arm64) vmbuild=$build/arm64; out=${out:-$build/bench-out-arm64}; bounce=0 ;;
*) echo "run.sh: --arch amd64 or arm64" >&2; exit 2 ;;
esac
bounce=${bounce:-1}
# bench-guest.sh's defaults
if [ $smoke = 1 ]; then
	secs=${secs:-0.3} reps=${reps:-1} gap_hold=${gap_hold:-0.3}
else
	secs=${secs:-2} reps=${reps:-5}
	case " ${guest_args[*]} " in
	*" --quick "*) gap_hold=${gap_hold:-2} ;;
	*) gap_hold=${gap_hold:-30} ;;
	esac
fi

# The plan's runs (bench-guest.sh --list) and their length: each run takes
# its seconds plus about 3.5 s of set-up and teardown under TCG (the
# receiver's start through chroot, the gadget, the DMABUFs: measured in the
# smoke plan on a shared host), longer where its minimum of buffers takes
# longer (the mixed path on dummy_hcd moves about 15 MiB/s from 16 MiB up);
# a boot takes about a minute. A gap-free search: its probe, about three
# trials that hold (the hold each) and three that fail early (about 5 s);
# in the smoke plan one trial.
# plan_list PLAN: the plan's lines with this command's options
plan_list() {
	local a=() x
	for x in "${guest_args[@]}"; do
		case $x in --profile|--libiio) ;; *) a+=("$x") ;; esac
	done
	sh "$repo/tools/bench/bench-guest.sh" --list --plan "$1" "${a[@]}"
}
# plan_time: the seconds the plan lines on stdin take, estimated
plan_time() {
	awk -v s="$secs" -v h="$gap_hold" -v smoke=$smoke '$7 == "gapfree" {
		t += smoke ? h + 3.5 : s + 3.5 + 3 * (h + 3.5) + 3 * 5
		next
	}
	{
		t += s + 3.5
		if ($1 == "dummy" && $2 == "mixed" && $3 >= 16777216) {
			m = 2 * $4 * $3 / 1048576 / 15	# its minimum of buffers
			if (m > s)
				t += m - s
		}
	} END { printf "%d", t }'
}
runs1=0 runs2=0 est=0 list1=''
plan1=coherent
[ "$arch" = arm64 ] && plan1=arm64
if [ $libiio = 0 ]; then
	if [ "$bounce" != only ]; then
		list1=$(plan_list $plan1)
		runs1=$(grep -c . <<< "$list1" || true)
		est=$(( est + 60 + $(plan_time <<< "$list1") ))
	fi
	if [ "$bounce" != 0 ]; then
		list2=$(plan_list bounced)
		runs2=$(grep -c . <<< "$list2" || true)
		est=$(( est + 60 + $(plan_time <<< "$list2") ))
	fi
fi
[ "$arch" = arm64 ] && est=$(( est * 6 / 5 ))	# arm64 under TCG: about 4.5 s a run
plan_says="$runs1 runs$([ "$runs2" = 0 ] || echo " and $runs2 in the bounced lane"), $reps repetition(s) of $secs s: about $(( (est + 59) / 60 )) minutes"
if [ $list = 1 ]; then
	[ -z "$list1" ] || echo "$list1"
	echo "bench: $plan_says"
	exit 0
fi
# the VM's time limit: twice the estimate, and some
vmtimeout=$(( 2 * est + 600 ))
[ $libiio = 1 ] && vmtimeout=1700
start=$(date +%s)
mkdir -p "$out"
[ $libiio = 1 ] || echo "bench: $plan_says, plus the build"

if [ $do_build = 1 ]; then
	echo "bench: building into $build"
	"$repo/tools/build.sh" "$build" > "$out/build.log" 2>&1 ||
		{ tail -30 "$out/build.log"; echo "bench: build failed"; exit 1; }
fi
command -v gnuplot > /dev/null || { echo "bench: no gnuplot (tools/setup.sh installs gnuplot-nox)"; exit 1; }

# args... as one string for the guest's shell
quote() { [ $# = 0 ] || printf ' %q' "$@"; }

rc=0
if [ $vm = 1 ]; then
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	boots="one boot"
	if [ "$bounce" != only ]; then
		echo "bench: booting the VM (load average before: $load)"
		# the bounced results of an earlier run do not belong to this one
		rm -f "$out/bench/results-bounced.jsonl" "$out/bench/sync-count-bounced.txt"
		set +e
		"$repo/tools/vm/iub-vm" --arch "$arch" --build "$vmbuild" --out "$out" --bare --mem 3G \
			--timeout "$vmtimeout" --quiet --run \
			"sh \$IUB_GUEST_SRC/tools/bench/bench-guest.sh --out /out/bench$(quote "${guest_args[@]}")"
		rc=$?
		set -e
		[ -s "$out/bench/results.jsonl" ] || [ -s "$out/bench/gapfree.jsonl" ] ||
			{ echo "bench: no results (VM exit $rc; see $out/console.log)"; exit 1; }
	fi
	if [ "$bounce" != 0 ]; then
		# every DMA mapping through 256 MiB of swiotlb: bench-guest.sh
		# sees swiotlb=force and runs the bounced plan
		echo "bench: booting the VM with swiotlb=131072,force (the bounced lane)"
		set +e
		"$repo/tools/vm/iub-vm" --build "$build" --out "$out/bounce" --bare --mem 3G \
			--timeout $(( 2 * runs2 * (${secs%.*} + 4) + 600 )) --quiet --append swiotlb=131072,force --run \
			"sh \$IUB_GUEST_SRC/tools/bench/bench-guest.sh --out /out/bench$(quote "${bounce_args[@]}")"
		brc=$?
		set -e
		[ $brc = 0 ] || rc=$brc
		[ -s "$out/bounce/bench/results.jsonl" ] ||
			{ echo "bench: no results from the bounced lane (VM exit $brc; see $out/bounce/console.log)"; exit 1; }
		mkdir -p "$out/bench"
		cp "$out/bounce/bench/results.jsonl" "$out/bench/results-bounced.jsonl"
		if [ -f "$out/bounce/bench/sync-count.txt" ]; then
			cp "$out/bounce/bench/sync-count.txt" "$out/bench/sync-count-bounced.txt"
		fi
		boots="two boots (the second with swiotlb=131072,force)"
	fi
	# shellcheck source=/dev/null
	. "${IUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge}/env"
	if [ "$bounce" = only ] && [ -s "$out/bench/note.txt" ]; then
		echo "$(cat "$out/bench/note.txt"); the bounced lane $(date -u '+%Y-%m-%d %H:%M UTC'), $(( $(date +%s) - start )) s" > "$out/bench/note.txt.new"
		mv "$out/bench/note.txt.new" "$out/bench/note.txt"
		echo "$(cat "$out/bench/command.txt" 2>/dev/null || true); $cmdline" > "$out/bench/command.txt"
	else
		gkver=$KVER gmachine="QEMU TCG (2 vCPUs, 3 GiB)"
		if [ "$arch" = arm64 ]; then
			gkver=${KVER_ARM64:-${KVER%-amd64}-arm64}
			gmachine="QEMU TCG aarch64 (cortex-a53, 2 vCPUs, 3 GiB)"
		fi
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'), guest kernel $gkver under $gmachine, $boots, host load average before the run: $load, $(( $(date +%s) - start )) s in all" > "$out/bench/note.txt"
		echo "$cmdline" > "$out/bench/command.txt"
	fi
fi
[ -s "$out/bench/results.jsonl" ] || [ -s "$out/bench/results-bounced.jsonl" ] ||
	[ -s "$out/bench/gapfree.jsonl" ] || { echo "bench: no results in $out/bench"; exit 1; }
note=$(cat "$out/bench/note.txt" 2>/dev/null || true)
cmdline=$(cat "$out/bench/command.txt" 2>/dev/null || echo "$cmdline")
case " $cmdline " in *" --smoke "*) smoke=1 ;; esac	# --report-only of a smoke run
echo
rm -f "$out/bench/plots.txt"	# report.py says which plots this run has
python3 "$repo/tools/bench/report.py" "$out/bench" --command "$cmdline" --note "$note"
rm -f "$out/bench"/{throughput,cpu}-{size,inflight}.png "$out/bench/inflight.png"
if [ -s "$out/bench/plots.txt" ]; then
	# report.py's plots.gp draws the sweeps that were measured
	(cd "$out/bench" && gnuplot plots.gp) 2> "$out/bench/gnuplot.log" ||
		{ cat "$out/bench/gnuplot.log"; echo "bench: gnuplot failed"; exit 1; }
	echo "bench: plots: $(tr '\n' ' ' < "$out/bench/plots.txt")"
else
	# no sweeps in the smoke, quick, arm64 and libiio plans
	echo "bench: no sweeps, no plots"
fi
echo
echo "bench: results, table and plots in $out/bench"
if [ $docs = 1 ]; then
	d=$repo/Documentation/benchmark
	mkdir -p "$d"
	if [ $libiio = 1 ]; then
		{
			cat "$out/bench/table-libiio.rst"
			printf '\nMeasured %s with::\n\n   %s\n' "$note" "$cmdline"
		} > "$d/table-libiio.inc"
	elif [ "$arch" = arm64 ]; then
		{
			cat "$out/bench/table-arm64.rst"
			printf '\nMeasured %s with::\n\n   %s\n' "$note" "$cmdline"
		} > "$d/table-arm64.inc"
	else
		# a run of the gap-free searches alone has no main table
		if [ -s "$out/bench/results.jsonl" ]; then
			{
				cat "$out/bench/table.rst"
				printf '\nMeasured %s with::\n\n   %s\n' "$note" "$cmdline"
			} > "$d/table.inc"
		fi
		[ -f "$out/bench/profile.txt" ] && cp "$out/bench/profile.txt" "$d/profile.txt"
		if [ -f "$out/bench/table-gapfree.rst" ]; then
			{
				cat "$out/bench/table-gapfree.rst"
				printf '\nMeasured %s with::\n\n   %s\n' "$note" "$cmdline"
			} > "$d/table-gapfree.inc"
		fi
		if [ -s "$out/bench/plots.txt" ]; then
			while read -r png; do
				cp "$out/bench/$png" "$d/"
			done < "$out/bench/plots.txt"
		fi
	fi
	echo "bench: Documentation/benchmark/ updated"
fi
echo "bench: $(( $(date +%s) - start )) s in all"
exit $rc
