#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Does the bridge build against kernels newer than Debian's 6.12?
#
# Searches the configured Debian archive (apt-cache, after tools/setup.sh's
# apt-get update) for the newest linux-headers-*-amd64 package. If it is
# newer than the 6.12 series, downloads it with its -common and kbuild
# packages into the cache (nothing is installed), and builds driver/
# against it W=1. Otherwise it says so: "no newer headers available".
#
# Usage: tools/compat-check.sh [--kdir DIR]
#   --kdir DIR  build against this Kbuild tree instead of searching the
#               archive (e.g. a kernel built from newer sources)
#
# Exit status: 0 the module builds against the newest headers, or there are
# none newer than 6.12; 1 the build failed or the headers could not be used.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
IUB_CACHE=${IUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge}
target=6.12			# the series the module targets

log() { printf '[compat] %s\n' "$*"; }

# Build driver/ (a private copy: never race the real build) against $1.
build_against() {
	local kdir=$1 what=$2 tmp st
	tmp=$(mktemp -d)
	cp -r "$repo/driver" "$tmp/driver"
	cp -r "$repo/uapi" "$tmp/uapi"
	find "$tmp/driver" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
		-o -name Module.symvers -o -name modules.order \) -delete
	set +e
	make -s -C "$kdir" M="$tmp/driver" W=1 modules > "$tmp/build.log" 2>&1
	st=$?
	set -e
	if [ $st != 0 ] || grep -qE 'warning:|error:' "$tmp/build.log"; then
		cat "$tmp/build.log"
		log "FAIL: driver/ does not build cleanly against $what (status $st)"
		rm -rf "$tmp"
		return 1
	fi
	log "ok: driver/ builds W=1 clean against $what: $(modinfo -F vermagic "$tmp/driver/iio_usb_bridge.ko")"
	rm -rf "$tmp"
}

if [ "${1:-}" = "--kdir" ]; then
	if [ -z "${2:-}" ] || [ ! -f "$2/Makefile" ]; then
		log "--kdir needs a Kbuild tree"
		exit 1
	fi
	build_against "$2" "$2"
	exit $?
fi

log "archive sources searched:"
apt-cache policy | awk '/^ *[0-9]+ [a-z]+:\/\// {print "[compat]   " $2, $3}' | sort -u

# Generic amd64 flavour only (not -cloud-, -rt-): e.g. 6.1.0-28-amd64,
# 6.12.117+deb12-amd64, and whatever backports or a newer suite adds.
mapfile -t all < <(apt-cache search --names-only '^linux-headers-[0-9]+\.[0-9]+.*-amd64$' |
	awk '{print $1}' | sed 's/^linux-headers-//' | grep -vE -- '-(cloud|rt)-amd64$' | sort -V)
[ ${#all[@]} -gt 0 ] || { log "FAIL: no linux-headers-*-amd64 in the archive at all"; exit 1; }
newest=${all[-1]}
series=$(echo "$newest" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
log "${#all[@]} amd64 header packages; newest: linux-headers-$newest (series $series)"

if [ "$(printf '%s\n%s\n' "$series" "$target" | sort -V | tail -n 1)" = "$target" ]; then
	log "no newer headers available: nothing newer than the $target series in the archive"
	log "(Debian 12 ships newer kernels only in bookworm-backports, which is not configured)"
	exit 0
fi

# Newer headers: fetch them the way tools/setup.sh fetches 6.12.
root=$IUB_CACHE/compat/$newest
kdir=$root/root/usr/src/linux-headers-$newest
if [ ! -e "$root/.done" ]; then
	rm -rf "$root"
	mkdir -p "$root/debs" "$root/root"
	mapfile -t deps < <(apt-cache depends "linux-headers-$newest" |
		awk '/Depends: linux-(headers|kbuild)-/ {print $2}')
	gcc_dep=$(apt-cache depends "linux-headers-$newest" | awk '/Depends: gcc-[0-9]+$/ {print $2}' | head -n 1)
	if [ -n "$gcc_dep" ] && ! command -v "$gcc_dep" > /dev/null; then
		log "FAIL: linux-headers-$newest needs $gcc_dep, which is not installed"
		exit 1
	fi
	log "downloading linux-headers-$newest ${deps[*]}"
	(cd "$root/debs" && apt-get download -qq "linux-headers-$newest" "${deps[@]}")
	for d in "$root"/debs/*.deb; do
		dpkg-deb -x "$d" "$root/root"
	done
	rm -rf "$root/debs"
	sed -i "s|^include /usr/src/|include $root/root/usr/src/|" "$kdir/Makefile"
	touch "$root/.done"
fi
build_against "$kdir" "linux-headers-$newest"
