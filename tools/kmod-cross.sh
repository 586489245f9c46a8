#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cross-build the kernel modules for arm64 (Debian's arm64 kernel of the
# same version as the amd64 one, from tools/setup.sh) in OUT, never in the
# tree: the Kbuild builds of driver/ and sim/ are in-tree for amd64, and an
# arm64 build there would overwrite their objects.
#
#   tools/kmod-cross.sh OUT [MAKE ARGS...]    e.g. W=1 C=2
#
# OUT gets a copy of the module sources (driver/, sim/, uapi/: sources,
# Kbuild and Makefiles and the sim's shell scripts, copied only when they
# changed, so that Kbuild rebuilds only what changed) and the objects:
#   OUT/driver/iio_usb_bridge.ko, OUT/driver/usb_f_iio_usb_bridge.ko,
#   OUT/sim/*.ko, OUT/sim/tests/*.ko, OUT/sim/udc/*.ko
# The upstream IIO DMA buffer modules and the system DMA heap (which
# Debian's arm64 kernel does not build) are built from linux-source into
# the cache (sim/build-upstream-iio-dma.sh, sim/build-upstream-dma-heap.sh)
# and recorded in OUT/sim/.upstream-*, where the guest finds them.
# In the test VM, IUB_GUEST_KMOD points at OUT (tools/vm/iub-vm --arch arm64).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: tools/kmod-cross.sh OUT [MAKE ARGS...]}
shift
IUB_CACHE=${IUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge}
[ -f "$IUB_CACHE/env" ] || { echo "kmod-cross: run tools/setup.sh first" >&2; exit 1; }
# shellcheck source=/dev/null
. "$IUB_CACHE/env"
# (derived from KVER when the env file was written by an older setup.sh)
export KVER_ARM64=${KVER_ARM64:-${KVER%-amd64}-arm64}
export KDIR_ARM64=${KDIR_ARM64:-$IUB_CACHE/kernel/$KVER_ARM64/root/usr/src/linux-headers-$KVER_ARM64}
[ -f "$KDIR_ARM64/Makefile" ] ||
	{ echo "kmod-cross: $KDIR_ARM64 missing: run tools/setup.sh" >&2; exit 1; }
export IUB_KARCH=arm64
kmake=(make -s -C "$KDIR_ARM64" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)

# sync_tree DIR: the module sources of DIR, copied into OUT where they differ
sync_tree() {
	local f
	(cd "$repo" && find "$1" -type f \( -name '*.[ch]' -o -name Kbuild \
		-o -name Makefile -o -name '*.sh' \) ! -name '*.mod.c') |
	while read -r f; do
		if ! cmp -s "$repo/$f" "$out/$f"; then
			mkdir -p "$(dirname "$out/$f")"
			cp -p "$repo/$f" "$out/$f"
		fi
	done
}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for d in driver sim uapi; do
	sync_tree "$d"
done

bash "$out/sim/build-upstream-iio-dma.sh"
bash "$out/sim/build-upstream-dma-heap.sh"
"${kmake[@]}" M="$out/driver" W=1 "$@" modules
"${kmake[@]}" M="$out/sim" W=1 "$@" modules
