#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole benchmark in one command (Documentation/benchmark.rst): build,
# boot the test VM once, stream from the simulated ADCs to the USB host side
# through every path (tools/bench/bench-guest.sh), then write the tables,
# CSV/JSON and PNG plots.
#
#   tools/bench/run.sh [--build DIR] [--out DIR] [--no-build] [--profile]
#                      [--update-docs] [--seconds S] [--only REGEX] [--smoke]
#                      [--report-only]
#
#   --build DIR     CMake build directory (default: <repo>/build)
#   --out DIR       results (default: <build>/bench-out); the VM's files too
#   --no-build      use the build as it is
#   --profile       also perf profiles and a trace of the bridge's stages
#   --update-docs   copy the table, the profile summary and the plots into
#                   Documentation/benchmark/ (table.inc, profile.txt, *.png)
#   --seconds S     length of each run (default 3)
#   --only REGEX    only the plan lines matching REGEX (bench-guest.sh)
#   --smoke         the test suite's smoke version instead of the full plan
#   --report-only   no build, no VM: tables and plots again from <out>/bench
#
# Results: <out>/bench/results.{jsonl,csv,json}, table.txt, table.rst,
# profile.txt, throughput-size.png, cpu-size.png, inflight.png.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$repo/build
out=
do_build=1 docs=0 vm=1
guest_args=()
cmdline="tools/bench/run.sh $*"
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$(realpath -m "$2"); shift 2 ;;
	--out) out=$(realpath -m "$2"); shift 2 ;;
	--no-build) do_build=0; shift ;;
	--update-docs) docs=1; shift ;;
	--report-only) do_build=0; vm=0; shift ;;
	--profile|--smoke) guest_args+=("$1"); shift ;;
	--seconds|--only) guest_args+=("$1" "$2"); shift 2 ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
out=${out:-$build/bench-out}
start=$(date +%s)
mkdir -p "$out"

if [ $do_build = 1 ]; then
	echo "bench: building into $build"
	"$repo/tools/build.sh" "$build" > "$out/build.log" 2>&1 ||
		{ tail -30 "$out/build.log"; echo "bench: build failed"; exit 1; }
fi
command -v gnuplot > /dev/null || { echo "bench: no gnuplot (tools/setup.sh installs gnuplot-nox)"; exit 1; }

rc=0
if [ $vm = 1 ]; then
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "bench: booting the VM (load average before: $load)"
	qargs=$(printf ' %q' "${guest_args[@]}")
	[ ${#guest_args[@]} = 0 ] && qargs=
	set +e
	"$repo/tools/vm/iub-vm" --build "$build" --out "$out" --bare --mem 3G \
		--timeout 1700 --quiet --run \
		"sh \$IUB_GUEST_SRC/tools/bench/bench-guest.sh --out /out/bench$qargs"
	rc=$?
	set -e
	[ -s "$out/bench/results.jsonl" ] || { echo "bench: no results (VM exit $rc; see $out/console.log)"; exit 1; }
	# shellcheck source=/dev/null
	. "${IUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge}/env"
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), guest kernel $KVER under QEMU TCG (2 vCPUs, 3 GiB), host load average before the run: $load, $(( $(date +%s) - start )) s in all" > "$out/bench/note.txt"
	echo "$cmdline" > "$out/bench/command.txt"
fi
[ -s "$out/bench/results.jsonl" ] || { echo "bench: no results in $out/bench"; exit 1; }
note=$(cat "$out/bench/note.txt" 2>/dev/null || true)
cmdline=$(cat "$out/bench/command.txt" 2>/dev/null || echo "$cmdline")
echo
python3 "$repo/tools/bench/report.py" "$out/bench" --command "$cmdline" --note "$note"
gnuplot -e "dir='$out/bench'" "$repo/tools/bench/plots.gp" 2> "$out/bench/gnuplot.log" ||
	{ cat "$out/bench/gnuplot.log"; echo "bench: gnuplot failed"; exit 1; }
echo
echo "bench: results, table and plots in $out/bench"
if [ $docs = 1 ]; then
	d=$repo/Documentation/benchmark
	mkdir -p "$d"
	{
		cat "$out/bench/table.rst"
		printf '\nMeasured %s with::\n\n   %s\n' "$note" "$cmdline"
	} > "$d/table.inc"
	[ -f "$out/bench/profile.txt" ] && cp "$out/bench/profile.txt" "$d/profile.txt"
	cp "$out/bench"/{throughput-size,cpu-size,inflight}.png "$d/"
	echo "bench: Documentation/benchmark/ updated"
fi
echo "bench: $(( $(date +%s) - start )) s in all"
exit $rc
