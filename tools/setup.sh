#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the project needs on a Debian 12 machine, idempotently:
# Debian packages, and (in a cache outside the tree) the newest Debian 6.12
# kernel image, its headers and modules, and the linux-source-6.12 tree.
#
# arm64 (Documentation/testing.rst, "The arm64 lane"): the cross compiler,
# the static arm64 libraries the in-VM programs link (dpkg multiarch),
# qemu-system-aarch64, and in the cache Debian's arm64 kernel of the same
# version (image, headers), busybox-static and lsusb for arm64.
#
# The system user iub-build, for the packaging test that builds a fresh
# clone without root (tests/packaging/nonroot-install.sh).
#
# Usage: tools/setup.sh [--print-env]
#   --print-env  only print the resulting environment (KVER, KDIR, ...)
#
# The cache lives in $IUB_CACHE (default: ${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge).
# The environment file $IUB_CACHE/env is what the other scripts source.
set -euo pipefail

IUB_CACHE=${IUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge}
export DEBIAN_FRONTEND=noninteractive
# Other runs on the machine may hold the dpkg lock: wait for it.
APT=(apt-get -o DPkg::Lock::Timeout=600)

log() { printf '[setup] %s\n' "$*" >&2; }

if [ "${1:-}" = "--print-env" ]; then
	cat "$IUB_CACHE/env"
	exit 0
fi

[ "$(id -u)" = 0 ] || { log "run as root (apt-get and the VM need it)"; exit 1; }

PKGS=(
	build-essential gcc-12 g++ cmake make
	# arm64: the cross compiler, and its UAPI headers (only a Recommends
	# away from it, so never installed with --no-install-recommends)
	gcc-aarch64-linux-gnu linux-libc-dev-arm64-cross
	pkg-config git ca-certificates
	qemu-system-x86 busybox-static cpio kmod xz-utils
	liburing-dev libusb-1.0-0-dev
	dwarves sparse libelf1 libssl3 zlib1g bc flex bison
	shellcheck perl python3 usbutils libiio-utils
	# iub-iiod: libiio's local backend (the host side of its tests is
	# libiio-utils)
	libiio-dev
	# the benchmark's libiio rows: stock iiod over FunctionFS in the guest
	iiod
	dkms python3-sphinx gnuplot-nox
	libelf-dev libssl-dev
	# arm64: the VM, and the libraries of the in-VM programs (static
	# liburing; libusb for the host-side receiver, which runs in the
	# guest through `chroot /host` with the arm64 libc, libusb and
	# libudev that multiarch installs next to the host's)
	qemu-system-arm liburing-dev:arm64 libusb-1.0-0-dev:arm64 libiio0:arm64
	# iub-iiod and iiod-client of the arm64 lane (libiio through chroot)
	libiio-dev:arm64
	# packaging/nonroot: a packager's arm64 build runs its unit tests
	# through qemu-user; packaging/install checks programs with file
	qemu-user file
	# vm/perms-group: the guest runs the host's udevd with our udev rules
	udev
)

# On Debian 12 these conflict with every cross compiler package, so a setup
# cannot have both: removed, in the same apt-get run that installs the cross
# compiler, where a machine has them. Nothing needs them: the 32-bit layout
# check is compile-only (tests/unit/uapi-layout-abi.sh) and runs without.
CONFLICTS=(gcc-multilib g++-multilib)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}
missing=() remove=()
for p in "${PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done
for p in "${CONFLICTS[@]}"; do
	! installed "$p" || remove+=("$p")
done
lists_stamp=$IUB_CACHE/apt-updated
mkdir -p "$IUB_CACHE"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "dpkg --add-architecture arm64"
	dpkg --add-architecture arm64
	rm -f "$lists_stamp"
fi
if [ ${#missing[@]} -gt 0 ] || [ ! -e "$lists_stamp" ] ||
   [ -n "$(find "$lists_stamp" -mmin +1440 2>/dev/null)" ]; then
	log "apt-get update"
	"${APT[@]}" update -qq
	touch "$lists_stamp"
fi
if [ ${#missing[@]} -gt 0 ] || [ ${#remove[@]} -gt 0 ]; then
	log "installing: ${missing[*]:-nothing}; removing: ${remove[*]:-nothing}"
	# "PKG-" removes PKG in the same transaction (apt-get(8))
	"${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" \
		"${remove[@]/%/-}" >/dev/null
fi

# The newest 6.12 flavour for which both the headers and the unsigned image
# exist in the archive right now.
newest_kver() {
	local h i
	h=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V)
	i=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
		awk '{print $1}' | sed 's/^linux-image-//; s/-unsigned$//' | sort -V)
	comm -12 <(echo "$h" | sort) <(echo "$i" | sort) | sort -V | tail -n 1
}

KVER=${IUB_KVER:-$(newest_kver)}
[ -n "$KVER" ] || { log "no linux-headers/linux-image 6.12 pair found in the archive"; exit 1; }
KBASE=${KVER%-amd64}			# 6.12.N+deb12
KROOT=$IUB_CACHE/kernel/$KVER
KDIR=$KROOT/root/usr/src/linux-headers-$KVER

if [ ! -e "$KROOT/.done" ]; then
	log "fetching Debian kernel $KVER (headers, kbuild, unsigned image)"
	rm -rf "$KROOT"
	mkdir -p "$KROOT/debs" "$KROOT/root"
	(cd "$KROOT/debs" && "${APT[@]}" download -qq \
		"linux-headers-$KVER" "linux-headers-$KBASE-common" \
		"linux-kbuild-$KBASE" "linux-image-$KVER-unsigned" 2>/dev/null)
	for d in "$KROOT"/debs/*.deb; do
		dpkg-deb -x "$d" "$KROOT/root"
	done
	rm -rf "$KROOT/debs"
	# The headers' Makefile includes the common tree by absolute path.
	sed -i "s|^include /usr/src/|include $KROOT/root/usr/src/|" "$KDIR/Makefile"
	log "decompressing modules and running depmod"
	find "$KROOT/root/lib/modules/$KVER" -name '*.ko.xz' -print0 |
		xargs -0 -r -P "$(nproc)" -n 64 xz -d
	depmod -b "$KROOT/root" "$KVER"
	touch "$KROOT/.done"
fi

# The same kernel for arm64 (the arm64 lane): image and headers, next to the
# amd64 ones. The headers share the common tree and the kbuild scripts
# (host programs, Multi-Arch: foreign) with the amd64 kernel above: linked
# to them rather than fetched again.
KVER_ARM64=$KBASE-arm64
KROOT_ARM64=$IUB_CACHE/kernel/$KVER_ARM64
KDIR_ARM64=$KROOT_ARM64/root/usr/src/linux-headers-$KVER_ARM64
if [ ! -e "$KROOT_ARM64/.done" ]; then
	log "fetching Debian kernel $KVER_ARM64 (headers, unsigned image)"
	rm -rf "$KROOT_ARM64/debs" "$KROOT_ARM64/root"
	mkdir -p "$KROOT_ARM64/debs" "$KROOT_ARM64/root/usr/src" \
		"$KROOT_ARM64/root/usr/lib"
	(cd "$KROOT_ARM64/debs" && "${APT[@]}" download -qq \
		"linux-headers-$KVER_ARM64:arm64" \
		"linux-image-$KVER_ARM64-unsigned:arm64" 2>/dev/null)
	for d in "$KROOT_ARM64"/debs/*.deb; do
		dpkg-deb -x "$d" "$KROOT_ARM64/root"
	done
	rm -rf "$KROOT_ARM64/debs"
	ln -sfn "$KROOT/root/usr/src/linux-headers-$KBASE-common" \
		"$KROOT_ARM64/root/usr/src/linux-headers-$KBASE-common"
	ln -sfn "$KROOT/root/usr/lib/linux-kbuild-$KBASE" \
		"$KROOT_ARM64/root/usr/lib/linux-kbuild-$KBASE"
	sed -i "s|^include /usr/src/|include $KROOT_ARM64/root/usr/src/|" \
		"$KDIR_ARM64/Makefile"
	log "decompressing arm64 modules and running depmod"
	find "$KROOT_ARM64/root/lib/modules/$KVER_ARM64" -name '*.ko.xz' -print0 |
		xargs -0 -r -P "$(nproc)" -n 64 xz -d
	depmod -b "$KROOT_ARM64/root" "$KVER_ARM64"
	touch "$KROOT_ARM64/.done"
fi

# Programs of the arm64 guest: busybox-static (its initramfs) and the tools
# the tests run in the host's root through chroot (lsusb, iio_info,
# iio_readdev): they cannot be installed next to the host's amd64 ones
# (not Multi-Arch: same), so their packages are unpacked into the cache;
# their libraries are the multiarch ones installed above.
ARM64_TOOL_PKGS=(busybox-static:arm64 usbutils:arm64 libiio-utils:arm64)
ARM64_TOOLS=$KROOT_ARM64/tools
if [ "$(cat "$ARM64_TOOLS/.done" 2>/dev/null)" != "${ARM64_TOOL_PKGS[*]}" ]; then
	log "fetching ${ARM64_TOOL_PKGS[*]}"
	rm -rf "$ARM64_TOOLS"
	mkdir -p "$ARM64_TOOLS/debs"
	(cd "$ARM64_TOOLS/debs" && "${APT[@]}" download -qq \
		"${ARM64_TOOL_PKGS[@]}" 2>/dev/null)
	for d in "$ARM64_TOOLS"/debs/*.deb; do
		dpkg-deb -x "$d" "$ARM64_TOOLS"
	done
	rm -rf "$ARM64_TOOLS/debs"
	echo "${ARM64_TOOL_PKGS[*]}" > "$ARM64_TOOLS/.done"
fi

# linux-source-6.12: checkpatch, the kselftest harness, the IIO DMA buffer
# sources. Matched to the newest source package in the archive.
SRCVER=$(apt-cache policy linux-source-6.12 | awk '/Candidate:/ {print $2}')
if [ -z "$SRCVER" ] || [ "$SRCVER" = "(none)" ]; then
	log "linux-source-6.12 not in the archive"
	exit 1
fi
SROOT=$IUB_CACHE/linux-source/$SRCVER
KSRC=$SROOT/linux-source-6.12
if [ ! -e "$SROOT/.done" ]; then
	log "fetching linux-source-6.12 $SRCVER"
	rm -rf "$SROOT"
	mkdir -p "$SROOT/deb"
	(cd "$SROOT/deb" && "${APT[@]}" download -qq "linux-source-6.12=$SRCVER" 2>/dev/null)
	dpkg-deb -x "$SROOT"/deb/*.deb "$SROOT/deb/x"
	tar -C "$SROOT" -xaf "$SROOT"/deb/x/usr/src/linux-source-6.12.tar.*
	rm -rf "$SROOT/deb"
	touch "$SROOT/.done"
fi

# packaging/nonroot builds a fresh clone as this unprivileged user.
IUB_BUILD_USER=iub-build
if ! id "$IUB_BUILD_USER" > /dev/null 2>&1; then
	log "creating the unprivileged build user $IUB_BUILD_USER"
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$IUB_BUILD_USER"
fi

cat > "$IUB_CACHE/env.new" <<ENV
IUB_CACHE=$IUB_CACHE
KVER=$KVER
KROOT=$KROOT/root
KDIR=$KDIR
KSRC=$KSRC
KVER_ARM64=$KVER_ARM64
KROOT_ARM64=$KROOT_ARM64/root
KDIR_ARM64=$KDIR_ARM64
ARM64_TOOLS=$ARM64_TOOLS
ENV
mv "$IUB_CACHE/env.new" "$IUB_CACHE/env"
log "ready: kernel $KVER, source $SRCVER (cache $IUB_CACHE)"
