#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: set up the machine, build, boot the test VM and stream
# 256 MiB from the simulated ADC through bridge routes (ADC -> DMABUF ->
# USB bulk IN, in the kernel) to the USB host side in the same VM, which
# verifies every byte; print the throughput and a verdict.
#   tools/demo.sh [--arch amd64|arm64] [MEBIBYTES]
#   tools/demo.sh --libiio [MEBIBYTES]
# --arch arm64: the same in the arm64 VM (Debian's arm64 kernel under
# qemu-system-aarch64, the modules and programs of the arm64 lane's build).
# --libiio: the device side is iub-iiod, the host side Debian's unmodified
# iio_readdev -u usb: (libiio 0.24); 64 MiB by default, verified.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$repo/build
arch=amd64
guest=demo-guest.sh
default_mib=256
if [ "${1:-}" = --libiio ]; then
	guest=demo-libiio-guest.sh
	default_mib=64
	shift
fi
if [ "${1:-}" = --arch ]; then
	arch=${2:?tools/demo.sh: --arch amd64|arm64}
	shift 2
fi
case $arch in
amd64) vmbuild=$build out=$build/demo-out ;;
arm64) vmbuild=$build/arm64 out=$build/demo-out-arm64 ;;
*) echo "tools/demo.sh: unknown architecture $arch (amd64 or arm64)" >&2; exit 2 ;;
esac
[ "$guest" = demo-guest.sh ] || [ "$arch" = amd64 ] ||
	{ echo "tools/demo.sh: --libiio runs the host's amd64 libiio: amd64 only" >&2; exit 2; }
mib=${1:-$default_mib}
start=$(date +%s)
echo "demo: setting up and building (first run: packages, Debian kernel, sources)"
"$repo/tools/build.sh" "$build" > "$build.demo-build.log" 2>&1 ||
	{ tail -30 "$build.demo-build.log"; echo "demo: build failed"; exit 1; }
rm -f "$build.demo-build.log"
kver=$(sed -n 's/^KVER=//p' "${IUB_CACHE:-$HOME/.cache/iio-usb-bridge}/env")
[ "$arch" = amd64 ] || kver="${kver%-amd64}-$arch"
echo "demo: booting the $arch VM (QEMU TCG, Debian $kver)"
set +e
"$repo/tools/vm/iub-vm" --arch "$arch" --build "$vmbuild" --out "$out" --timeout 900 --bare --run \
	"IUB_DEMO_BYTES=$((mib * 1048576)) sh \$IUB_GUEST_SRC/tools/$guest" |
	grep -v -E '^\[ *[0-9]+\.[0-9]+\]|SeaBIOS|Booting from|Probing EDD|^c?.\[' 
rc=${PIPESTATUS[0]}
set -e
echo "demo: $(( $(date +%s) - start )) s in all; the VM's console is in $out/console.log"
exit "$rc"
