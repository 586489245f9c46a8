#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole in-VM suite on the debug kernel (KASAN, lockdep, kmemleak,
# DMA-API debugging, failslab, ...), ending with a kmemleak scan.
#
#   tools/debug-kernel/test.sh [options] [TEST...]
#
# 1. makes sure the debug kernel is built (tools/debug-kernel/build.sh;
#    about 25 minutes when it is not cached);
# 2. copies the working tree (tracked and new files, no build outputs) to
#    a stage directory and builds everything there against that kernel:
#    the modules in the copy, never in the repository;
# 3. boots it with tools/vm/iub-vm (IUB_CACHE pointing at the kernel's
#    cache directory, whose env names the kernel, its modules and Kbuild
#    tree) and runs the suite, with every test's time limit multiplied,
#    in several boots (see SEPARATE below); each boot starts with a kmemleak
#    baseline and ends with a kmemleak scan, and every test is checked for
#    KASAN, lockdep, DMA-API, might_sleep... reports by the harness.
#
# Options:
#   --cached-only   skip (exit 4) instead of building a kernel that is not
#                   cached
#   --stage DIR     where the copy and its build go (default /tmp/iub-debug)
#   --out DIR       results (default <stage>/out): <out>/<boot>/...
#   --slow N        multiply the tests' time limits by N (default 4)
#   --fuzz S        also run the fuzzer for S seconds in its own boot
#                   (the 30-minute run: --fuzz 1800)
#   --fuzz-only     only that boot (with --fuzz)
#   --patch FILE    apply FILE (patch -p1) to the copy first, e.g. a fix
#                   under review; may be repeated
#   --mem SIZE      guest memory (default 3G: KASAN's shadow)
# TEST... selects tests (default: all of them, and the KUnit tests of
# tests/kunit/, which are also selected by the name "kunit").
#
# Exit status: 0 all passed or skipped, 1 a failure, 2 the VM did not
# finish, 4 skipped (no cached kernel with --cached-only).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
IUB_CACHE=${IUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge}
export IUB_CACHE

# Tests that cannot share a boot with the others: the upstream IIO DMA
# buffer holds its queue lock while read() copies to the user, and takes
# it under the DMABUF reservation lock on attach; lockdep reports that
# (an upstream bug, Documentation/hardening.rst) once both have run in one
# boot, and then turns itself off for the rest of it. Each test that uses
# both (the IIO DMABUF test, the benchmark's smoke run) gets a boot of its
# own.
SEPARATE="sim-adc-dmabuf bench-smoke"
# bench-smoke runs both itself: the copy path (read()) and the DMABUF paths
# each get a boot (--only of tools/bench/bench-guest.sh)
BENCH_SPLIT=(
	"copy	' copy '"
	"dmabuf	' (pair|mixed|bridge|sourcesink|capture) '"
)

log() { printf '[debug-kernel] %s\n' "$*" >&2; }

cached_only=0
stage=/tmp/iub-debug
out=
slow=4
fuzz=0
fuzz_only=0
mem=3G
patches=()
tests=()
while [ $# -gt 0 ]; do
	case $1 in
	--cached-only) cached_only=1; shift ;;
	--stage) stage=$(realpath -m "$2"); shift 2 ;;
	--out) out=$(realpath -m "$2"); shift 2 ;;
	--slow) slow=$2; shift 2 ;;
	--fuzz) fuzz=$2; shift 2 ;;
	--fuzz-only) fuzz_only=1; shift ;;
	--patch) patches+=("$(realpath "$2")"); shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) log "unknown option $1"; exit 2 ;;
	*) tests+=("$1"); shift ;;
	esac
done
out=${out:-$stage/out}
start=$(date +%s)

# --- 1. the kernel ------------------------------------------------------------
if ! "$here/build.sh" --check; then
	if [ $cached_only = 1 ]; then
		log "no debug kernel in the cache ($("$here/build.sh" --print-dir)): skipped"
		exit 4
	fi
	"$here/build.sh" >&2
fi
kdir=$("$here/build.sh" --print-dir)
# shellcheck source=/dev/null
. "$kdir/env"
log "kernel $KVER ($kdir)"

# --- 2. the copy, built against it --------------------------------------------
log "copying the working tree to $stage/src"
rm -rf "$stage/src"
mkdir -p "$stage/src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"	# not deleted meanwhile
	done | tar --null -T - -cf -) | tar -C "$stage/src" -xf -
for p in "${patches[@]}"; do
	log "applying $p"
	patch -s -p1 -d "$stage/src" < "$p" || { log "$p does not apply"; exit 1; }
done
log "building against the debug kernel into $stage/build"
# IUB_CACHE=<kernel dir>: CMake, Kbuild and the upstream IIO DMA buffer
# build (sim/) all take KVER, KDIR and KSRC from its env file
: "${KVER:?}" "${KDIR:?}"
if ! { IUB_CACHE=$kdir cmake -S "$stage/src" -B "$stage/build" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DKDIR="$KDIR" &&
       IUB_CACHE=$kdir cmake --build "$stage/build" -j "$(nproc)"; } > "$stage/build.log" 2>&1; then
	tail -n 30 "$stage/build.log"
	log "build failed: $stage/build.log"
	exit 1
fi
# the KUnit tests of the driver's range logic, against the copy's driver
rm -rf "$stage/kunit"
cp -r "$stage/src/tests/kunit" "$stage/kunit"
if ! make -C "$KDIR" M="$stage/kunit" IUB_DRIVER="$stage/src/driver" \
	KBUILD_EXTRA_SYMBOLS="$stage/src/driver/Module.symvers" W=1 modules \
	>> "$stage/build.log" 2>&1; then
	tail -n 20 "$stage/build.log"
	log "KUnit module build failed"
	exit 1
fi
for ko in driver/iio_usb_bridge.ko driver/usb_f_iio_usb_bridge.ko sim/iub_sim_dma.ko; do
	modinfo -F vermagic "$stage/src/$ko" | grep -q "^$KVER " ||
		{ log "$ko is not built for $KVER"; exit 1; }
done

# --- 3. the test lists: the boots, slower limits, kmemleak around them -------
list=$stage/build/tests/vm/tests.list
guest_kmemleak="sh /host$stage/src/tools/debug-kernel/kmemleak.sh"
# make_list OUT WANT...: the selected tests of the suite's list (WANT: a
# grep -E pattern of names, or a negated one with !)
make_list() {
	local dst=$1 sel=$2 kunit=${3:-0}
	{
		printf 'leak-baseline\t300\t%s baseline\n' "$guest_kmemleak"
		awk -F'\t' -v slow="$slow" -v sel="$sel" -v want="${tests[*]:-}" '
			BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) pick[w[i]] = 1
				neg = sub(/^!/, "", sel) }
			/^#/ || NF < 3 { next }
			n > 0 && !($1 in pick) { next }
			{ m = ($1 ~ ("^(" sel ")$")) }
			(neg && m) || (!neg && !m) { next }
			{ printf "%s\t%d\t%s\n", $1, $2 * slow, $3 }' "$list"
		# KUnit: with every test, or when "kunit" is named
		[ "$kunit" = 1 ] && { [ ${#tests[@]} = 0 ] ||
			[[ " ${tests[*]} " == *" kunit "* ]]; } &&
			printf 'kunit\t300\tsh /host%s/src/tests/kunit/run.sh /host%s/kunit/iub_kunit.ko\n' \
				"$stage" "$stage"
		printf 'leak-scan\t600\t%s scan\n' "$guest_kmemleak"
	} > "$dst"
	# nothing but the two kmemleak steps: nothing to run
	[ "$(wc -l < "$dst")" -gt 2 ]
}

boots=()
if [ $fuzz_only = 0 ]; then
	make_list "$stage/main.list" "!(${SEPARATE// /|})" 1 && boots+=(main)
	for t in $SEPARATE; do
		make_list "$stage/$t.list" "$t" || continue
		if [ "$t" != bench-smoke ]; then
			boots+=("$t")
			continue
		fi
		for split in "${BENCH_SPLIT[@]}"; do
			part=${split%%	*} sel=${split#*	}
			sed "s#^bench-smoke\t#bench-smoke-$part\t#; s#--smoke#--smoke --only $sel#" \
				"$stage/$t.list" > "$stage/$t-$part.list"
			boots+=("$t-$part")
		done
	done
fi
if [ "$fuzz" != 0 ]; then
	printf 'leak-baseline\t300\t%s baseline\n' "$guest_kmemleak" > "$stage/fuzz.list"
	printf 'fault-fuzz\t%d\tIUB_FUZZ_SECONDS=%d sh /host%s/src/tests/vm/fault-fuzz.sh\n' \
		$((fuzz * 2 + 600)) "$fuzz" "$stage" >> "$stage/fuzz.list"
	printf 'leak-scan\t600\t%s scan\n' "$guest_kmemleak" >> "$stage/fuzz.list"
	boots+=(fuzz)
fi

# --- 4. the boots ---------------------------------------------------------------
rc=0
for b in "${boots[@]}"; do
	t0=$(date +%s)
	log "boot '$b': $(($(wc -l < "$stage/$b.list") - 2)) tests"
	set +e
	# --no-memdebug: KASAN finds what slub_debug and KFENCE would, and more
	IUB_CACHE=$kdir "$stage/src/tools/vm/iub-vm" --build "$stage/build" \
		--list "$stage/$b.list" --out "$out/$b" --mem "$mem" --quiet \
		--no-memdebug > "$out.$b.log" 2>&1
	brc=$?
	set -e
	mkdir -p "$out/$b"
	mv "$out.$b.log" "$out/$b/iub-vm.log"
	cat "$out/$b/summary" 2>/dev/null || tail -n 20 "$out/$b/iub-vm.log"
	log "boot '$b': exit $brc in $(($(date +%s) - t0)) s"
	[ $brc -le $rc ] || rc=$brc
done
log "debug kernel $KVER: ${#boots[@]} boots, $(($(date +%s) - start)) s in all, exit $rc"
exit $rc
