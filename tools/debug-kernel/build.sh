#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel (KASAN, lockdep, kmemleak, DMA-API debugging,
# fault injection, KUnit, ...) from Debian's linux-source-6.12, into a cache
# outside the tree keyed by the source version and the configuration:
#
#   $IUB_CACHE/debug-kernel/<source version>-<key>/
#     build/     the O= build tree: .config, Module.symvers, modules_prepare
#                done, so that external modules build against it (KDIR)
#     root/      boot/vmlinuz-<release>, boot/config-<release> and
#                lib/modules/<release> (modules_install + depmod), the
#                layout tools/vm/iub-vm boots (KROOT)
#     env        an environment file like $IUB_CACHE/env, naming that
#                kernel: IUB_CACHE=<this dir> tools/vm/iub-vm boots it and
#                CMake builds the modules against it
#     build.log  the build's output; .done once complete
#
# Usage: tools/debug-kernel/build.sh [--print-dir | --check] [--jobs N]
#   --print-dir  print the cache directory for the current config and exit
#   --check      exit 0 if that kernel is cached, 1 if not; build nothing
#   --jobs N     parallel make jobs (default: CPUs + 1)
# A cold build takes about 25 minutes on 2 cores; a cached one, nothing.
# The configuration is x86_64 defconfig plus tools/debug-kernel/debug.config;
# every line of that fragment is checked after `make olddefconfig`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
frag=$here/debug.config
IUB_CACHE=${IUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge}

log() { printf '[debug-kernel] %s\n' "$*" >&2; }

mode=build
jobs=$(( $(nproc) + 1 ))
while [ $# -gt 0 ]; do
	case $1 in
	--print-dir) mode=print; shift ;;
	--check) mode=check; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) log "unknown argument $1"; exit 2 ;;
	esac
done

if [ $mode = build ]; then
	# packages (kernel build deps included) and linux-source-6.12
	"$repo/tools/setup.sh"
fi
[ -f "$IUB_CACHE/env" ] || { log "run tools/setup.sh first"; exit 2; }
# shellcheck source=/dev/null
. "$IUB_CACHE/env"
: "${KSRC:?}"

# The key: everything that decides what the kernel is. The recipe version
# changes when this script changes how it configures or builds.
recipe=1
srcver=$(basename "$(dirname "$KSRC")")
key=$( { echo "recipe $recipe"; echo "source $srcver"; gcc --version | head -n 1
	 cat "$frag"; } | sha256sum | cut -c1-12)
dir=$IUB_CACHE/debug-kernel/$srcver-$key

case $mode in
print) echo "$dir"; exit 0 ;;
check) [ -f "$dir/.done" ]; exit $? ;;
esac

if [ -f "$dir/.done" ]; then
	log "cached: $dir"
	echo "$dir"
	exit 0
fi

# check_config CONFIG FRAGMENT: every line of FRAGMENT holds in CONFIG
check_config() {
	local line sym val bad=0
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*}
		val=${line#*=}
		if [ "$val" = n ]; then
			if grep -q "^$sym=" "$1"; then
				log "config: wanted $sym off, got $(grep "^$sym=" "$1")"
				bad=1
			fi
		elif ! grep -qxF "$line" "$1"; then
			log "config: wanted $line, got $(grep -E "^(# )?${sym}[= ]" "$1" || echo nothing)"
			bad=1
		fi
	done < "$2"
	return $bad
}

log "building into $dir (about 25 minutes on 2 cores; log: $dir/build.log)"
start=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir/build" "$dir/root/boot"
b=$dir/build
mk() { nice -n 10 make -C "$KSRC" O="$b" "$@"; }
{
	mk defconfig
	KCONFIG_CONFIG=$b/.config "$KSRC/scripts/kconfig/merge_config.sh" -m \
		-O "$b" "$b/.config" "$frag"
	mk olddefconfig
} > "$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log"; exit 1; }
if ! check_config "$b/.config" "$frag"; then
	log "the configuration does not hold (see above): fix $frag"
	exit 1
fi

if ! mk -j"$jobs" bzImage modules >> "$dir/build.log" 2>&1; then
	grep -E 'error|Error' "$dir/build.log" | tail -n 20
	log "build failed: $dir/build.log"
	exit 1
fi
release=$(mk -s kernelrelease)
mk modules_install INSTALL_MOD_PATH="$dir/root" >> "$dir/build.log" 2>&1
[ -f "$dir/root/lib/modules/$release/modules.dep" ] ||
	depmod -b "$dir/root" "$release"
# the build and source links point to the build tree, as on a real install
cp "$b/arch/x86/boot/bzImage" "$dir/root/boot/vmlinuz-$release"
cp "$b/.config" "$dir/root/boot/config-$release"
[ -f "$b/Module.symvers" ] || { log "no Module.symvers"; exit 1; }

cat > "$dir/env" <<ENV
IUB_CACHE=$dir
KVER=$release
KROOT=$dir/root
KDIR=$b
KSRC=$KSRC
ENV
echo "$(( $(date +%s) - start ))" > "$dir/build-seconds"
touch "$dir/.done"
log "built $release in $(( $(date +%s) - start ))s: $dir"
echo "$dir"
