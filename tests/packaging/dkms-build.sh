#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# packaging/dkms: the DKMS source tree that `cmake --install --component
# dkms` produces goes through `dkms add`, `build`, `install` and `remove`
# against the Debian headers in the cache. All of it happens in a scratch
# tree under the build directory (--dkmstree, --sourcetree, --installtree,
# --no-depmod): the host's /var/lib/dkms, /usr/src and /lib/modules are
# never touched.
#   tests/packaging/dkms-build.sh BUILD_DIR KVER KDIR
set -uo pipefail
build=$1 kver=$2 kdir=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/tests/packaging/dkms
name=iio-usb-bridge

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }

[ "$(id -u)" = 0 ] || { echo "SKIP: dkms refuses to run without root"; exit 4; }
command -v dkms > /dev/null || fail "dkms is not installed (tools/setup.sh installs it)"
[ -f "$kdir/Makefile" ] || fail "no kernel build tree at $kdir (run tools/setup.sh)"

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$repo/dkms.conf")
[ -n "$version" ] || fail "dkms.conf has no PACKAGE_VERSION"
# The modules dkms.conf lists, one "dir/name" per line of its array.
mapfile -t modules < <(sed -n 's|^\t[A-Za-z0-9_-]*/\([A-Za-z0-9_-]*\)$|\1|p' "$repo/dkms.conf")
[ ${#modules[@]} -gt 0 ] || fail "dkms.conf lists no module"

host_had_tree=0
[ -e "/var/lib/dkms/$name" ] && host_had_tree=1

rm -rf "$work"
mkdir -p "$work/var/lib/dkms" "$work/lib/modules/$kver"

# The source tree exactly as a user installs it under /usr/src.
cmake --install "$build" --component dkms --prefix "$work/usr" > "$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "cmake --install --component dkms"; }
src=$work/usr/src/$name-$version
[ -f "$src/dkms.conf" ] || fail "no dkms.conf in $src"
if find "$src" -name '*.o' -o -name '*.ko' -o -name '*.mod.c' | grep -q .; then
	fail "build products in the DKMS source tree"
fi
ok "DKMS source tree: $(find "$src" -type f | wc -l) files in usr/src/$name-$version"

dk=(dkms --dkmstree "$work/var/lib/dkms" --sourcetree "$work/usr/src"
    --installtree "$work/lib/modules" -k "$kver" --kernelsourcedir "$kdir"
    --no-depmod --verbose)

run() {
	local what=$1; shift
	if ! "${dk[@]}" "$@" -m "$name" -v "$version" > "$work/$what.log" 2>&1; then
		cat "$work/$what.log"
		[ -f "$work/var/lib/dkms/$name/$version/build/make.log" ] &&
			tail -n 40 "$work/var/lib/dkms/$name/$version/build/make.log"
		fail "dkms $what"
	fi
}

run add add
ok "dkms add"
start=$(date +%s)
run build build
ok "dkms build for $kver ($(( $(date +%s) - start ))s)"
run install install
ok "dkms install"

for m in "${modules[@]}"; do
	ko=$(find "$work/lib/modules/$kver/updates/dkms" -name "$m.ko*" | head -n 1)
	[ -n "$ko" ] || fail "$m.ko not installed under updates/dkms"
	vermagic=$(modinfo -F vermagic "$ko" | awk '{print $1}')
	[ "$vermagic" = "$kver" ] || fail "$m: vermagic $vermagic, expected $kver"
	ok "$m installed as ${ko#"$work"/}, vermagic $vermagic"
done

status=$("${dk[@]}" status -m "$name" -v "$version" 2>/dev/null)
echo "$status" | grep -q ": installed" || fail "dkms status: $status"
ok "dkms status: $status"

run remove remove
for m in "${modules[@]}"; do
	if find "$work/lib/modules/$kver" -name "$m.ko*" | grep -q .; then
		fail "$m still installed after dkms remove"
	fi
done
ok "dkms remove"

if [ $host_had_tree = 0 ] && [ -e "/var/lib/dkms/$name" ]; then
	fail "the host's /var/lib/dkms/$name appeared"
fi
rm -rf "$work"
exit 0
