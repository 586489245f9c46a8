#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# packaging/install: each install component of a build, `cmake --install
# --component device|host|docs` into a DESTDIR of its own, installs exactly
# its files (device: the header, the SQE helpers, the pkg-config file, the
# udev rule, the sysusers.d entry, the DKMS sources, iub; host: the host's
# udev rule, iub-usb-recv; docs: a man page per tool; dkms, on request:
# the DKMS sources alone), the programs are
# for the build's architecture, and all of it together is what a plain
# `cmake --install` installs. Then an application builds against the staged
# header with nothing but `pkg-config --cflags --libs`, for the build
# machine and, in a cross build, for the target too.
#   tests/packaging/install-check.sh BUILD_DIR CC [EMULATOR...]
# CC: the build's C compiler; EMULATOR: what runs its programs in a cross
# build (CMAKE_CROSSCOMPILING_EMULATOR).
set -uo pipefail
build=$1 cc=$2
shift 2
emu=("$@")
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/tests/packaging/install
prefix=/usr

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }

cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
arch=$("$cc" -dumpmachine) || fail "cannot run the build's compiler $cc"
arch=${arch%%-*}
case $arch in
x86_64) file_arch=x86-64 ;;
aarch64) file_arch="ARM aarch64" ;;
*) fail "unknown architecture $arch" ;;
esac
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$repo/dkms.conf")
tools_list=$build/packaging/installed-tools.txt
[ -f "$tools_list" ] || fail "$tools_list missing (packaging/CMakeLists.txt writes it)"

rm -rf "$work"
mkdir -p "$work"

# install COMPONENT|all: into $work/COMPONENT
install() {
	local comp=$1 args=()
	[ "$comp" = all ] || args=(--component "$comp")
	DESTDIR=$work/$comp cmake --install "$build" --prefix "$prefix" "${args[@]}" \
		> "$work/$comp.log" 2>&1 || { cat "$work/$comp.log"; fail "cmake --install ${args[*]}"; }
}

# The files each component must install, relative to the DESTDIR.
declare -A expected
expected[device]="$prefix/include/linux/iio_usb_bridge.h
$prefix/include/iio_usb_bridge_uring.h
$prefix/share/pkgconfig/iio-usb-bridge.pc
$prefix/lib/udev/rules.d/60-iio-usb-bridge.rules
$prefix/lib/sysusers.d/iio-usb-bridge.conf"
expected[host]="$prefix/lib/udev/rules.d/60-iio-usb-bridge-host.rules"
expected[docs]=""
# The DKMS sources: dkms.conf, and the Kbuild files and sources of the
# directories packaging/CMakeLists.txt reads from dkms.conf.
dkms_src=$prefix/src/iio-usb-bridge-$version
expected[device]+=$'\n'"$dkms_src/dkms.conf"
dkms_dirs=$(sed -n 's|^\t\([A-Za-z0-9_-]*\)/[A-Za-z0-9_-]*$|\1|p' "$repo/dkms.conf" | sort -u)
for d in uapi $dkms_dirs; do
	while IFS= read -r f; do
		expected[device]+=$'\n'"$dkms_src/$f"
	done < <(cd "$repo" && git ls-files -- "$d" 2>/dev/null |
		grep -E '(\.[ch]|/Kbuild|/Makefile)$' | grep -v '\.mod\.c$')
done
# --component dkms: the DKMS sources alone.
expected[dkms]=$(grep "^$dkms_src/" <<< "${expected[device]}")
# The tools: bin/NAME in their component, NAME.1 in docs.
ntools=0
while read -r comp t; do
	[ -n "$t" ] || continue
	expected[$comp]+=$'\n'"$prefix/bin/$t"
	ntools=$((ntools + 1))
	[ "$(cache IUB_MAN)" = OFF ] || expected[docs]+=$'\n'"$prefix/share/man/man1/$t.1"
	# iub-iiod comes with its systemd unit
	[ "$t" != iub-iiod ] || expected[$comp]+=$'\n'"$prefix/lib/systemd/system/iub-iiod.service"
done < "$tools_list"
[ "$ntools" -ge 2 ] || fail "$tools_list names $ntools tools, expected iub and iub-usb-recv"
# Every page the man build wrote (conf.py's man_pages), not only the tools'.
for p in "$build"/Documentation/man/*.[1-8]; do
	[ -f "$p" ] || continue
	page=$prefix/share/man/man${p##*.}/${p##*/}
	grep -qxF "$page" <<< "${expected[docs]}" || expected[docs]+=$'\n'"$page"
done

for comp in device host docs dkms; do
	install "$comp"
	want=$(grep . <<< "${expected[$comp]}" | sort -u)
	got=$(cd "$work/$comp" && find . -type f | sed 's|^\.||' | sort)
	missing=$(comm -23 <(echo "$want") <(echo "$got"))
	[ -z "$missing" ] || fail "$comp: not installed: $missing"
	# bash completion of a tool of the component may come with it
	extra=$(comm -13 <(echo "$want") <(echo "$got") |
		grep -v -E "^$prefix/share/bash-completion/completions/[a-z-]+$")
	[ -z "$extra" ] || fail "$comp: installed but not expected: $extra"
	n=$(echo "$got" | grep -c .)
	ok "component $comp: $n files, as expected"
	while IFS= read -r f; do
		[ -x "$work/$comp$f" ] || fail "$f is not executable"
		desc=$(file -b "$work/$comp$f")
		[[ $desc == *"$file_arch"* ]] || fail "$f is not an $arch program: $desc"
		ok "$f: ${desc%%, BuildID*}"
	done < <(grep "^$prefix/bin/" <<< "$want")
done
[ -n "$(ls "$work/docs$prefix/share/man/man1" 2>/dev/null)" ] ||
	[ "$(cache IUB_MAN)" = OFF ] || fail "docs: no man page installed"
for p in "$work/docs$prefix"/share/man/man*/*; do
	[ -f "$p" ] || continue
	head -c 4096 "$p" | grep -q '^\.TH ' || fail "${p#"$work"/docs} is not a man page"
done

# All components together are what `cmake --install` installs.
install all
all=$(cd "$work/all" && find . -type f | sed 's|^\.||' | sort)
parts=$(for c in device host docs; do (cd "$work/$c" && find . -type f | sed 's|^\.||'); done | sort)
[ "$all" = "$parts" ] || fail "cmake --install differs from its components: $(diff <(echo "$parts") <(echo "$all"))"
ok "cmake --install installs device + host + docs, nothing else"

stage=$work/device
for h in linux/iio_usb_bridge.h iio_usb_bridge_uring.h; do
	cmp -s "$repo/uapi/$h" "$stage$prefix/include/$h" || fail "installed $h differs from uapi/$h"
done
while IFS= read -r f; do
	cmp -s "$repo/${f#"$dkms_src"/}" "$stage$f" || fail "$f differs from the tree's"
done < <(grep "^$dkms_src/" <<< "${expected[device]}")
for r in 60-iio-usb-bridge.rules:device 60-iio-usb-bridge-host.rules:host; do
	cmp -s "$repo/packaging/${r%:*}" "$work/${r#*:}$prefix/lib/udev/rules.d/${r%:*}" ||
		fail "the installed ${r%:*} differs from packaging/${r%:*}"
done
ok "headers, DKMS sources and udev rules are the tree's"

# The udev rules: well-formed keys; the device side gives the node the
# header names and the DMABUF allocators to the group the sysusers entry
# creates; the host side gives the gadget's USB device to plugdev.
check_rules() {
	local rule=$1 line rest n=0
	while IFS= read -r line; do
		case $line in ''|'#'*) continue ;; esac
		n=$((n + 1))
		rest=$line
		while [ -n "$rest" ]; do
			[[ $rest =~ ^[[:space:]]*([A-Z_]+(\{[^}]*\})?)(==|!=|\+=|-=|:=|=)\"([^\"]*)\"[[:space:]]*(,|$)(.*)$ ]] ||
				fail "${rule##*/}: cannot parse '$rest'"
			rest=${BASH_REMATCH[6]}
		done
	done < "$rule"
	echo "$n"
}
rule=$stage$prefix/lib/udev/rules.d/60-iio-usb-bridge.rules
node=$(sed -n 's|^#define IUB_DEVICE_PATH[[:space:]]*"/dev/\(.*\)"|\1|p' "$repo/uapi/linux/iio_usb_bridge.h")
group=$(awk '$1 == "g" {print $2}' "$stage$prefix/lib/sysusers.d/iio-usb-bridge.conf")
if [ -z "$node" ] || [ -z "$group" ]; then
	fail "cannot read the node name or the group"
fi
n=$(check_rules "$rule") || { echo "$n"; exit 1; }
for want in "KERNEL==\"$node\", SUBSYSTEM==\"misc\"" \
	    'KERNEL=="system", SUBSYSTEM=="dma_heap"' \
	    'KERNEL=="udmabuf", SUBSYSTEM=="misc"'; do
	grep -F "$want" "$rule" | grep -F "GROUP=\"$group\"" | grep -qF 'MODE="0660"' ||
		fail "udev rule: no '$want, GROUP=\"$group\", MODE=\"0660\"'"
done
[ "$n" = 3 ] || fail "${rule##*/} has $n rules, expected 3"
ok "udev rule: /dev/$node, /dev/dma_heap/system, /dev/udmabuf -> group $group, mode 0660"
hrule=$work/host$prefix/lib/udev/rules.d/60-iio-usb-bridge-host.rules
n=$(check_rules "$hrule") || { echo "$n"; exit 1; }
# shellcheck disable=SC2016 # $G is iub-gadget.sh's, matched literally
ids=$(sed -n 's/^[[:space:]]*echo 0x\([0-9a-f]*\) > "$G\/id\(Vendor\|Product\)"$/\1/p' \
	"$repo/tools/iub-gadget.sh" | tr '\n' :)
grep -qF "ATTR{idVendor}==\"${ids%%:*}\", ATTR{idProduct}==\"$(echo "$ids" | cut -d: -f2)\"" "$hrule" ||
	fail "host rule does not match the gadget of tools/iub-gadget.sh ($ids)"
[ "$n" = 1 ] || fail "${hrule##*/} has $n rules, expected 1"
ok "host udev rule: the gadget ${ids%:} -> plugdev, uaccess"

if command -v systemd-sysusers > /dev/null; then
	mkdir -p "$stage/etc"
	out=$(systemd-sysusers --root="$stage" --dry-run \
		"$stage$prefix/lib/sysusers.d/iio-usb-bridge.conf" 2>&1) ||
		fail "systemd-sysusers rejects the entry: $out"
	rm -rf "${stage:?}/etc"
	ok "sysusers.d entry accepted ($(echo "$out" | head -n 1))"
else
	ok "sysusers.d entry not checked: systemd-sysusers is not installed"
fi

# Nothing on the host may satisfy the include by accident.
for d in /usr/include /usr/local/include /usr/aarch64-linux-gnu/include; do
	[ ! -e "$d/linux/iio_usb_bridge.h" ] ||
		fail "$d/linux/iio_usb_bridge.h exists on the host; the build check would prove nothing"
done

# probe WHAT CC PKG_CONFIG_LIBDIR [RUNNER...]: build pkgconfig-probe.c with
# CC and the staged .pc (next to the target's own .pc files), run it.
probe() {
	local what=$1 cc=$2 libdir=$3 cflags libs out
	shift 3
	local pc=(env PKG_CONFIG_PATH="$stage$prefix/share/pkgconfig"
		  PKG_CONFIG_SYSROOT_DIR="$stage" pkg-config)
	[ -z "$libdir" ] || pc=(env PKG_CONFIG_LIBDIR="$libdir" "${pc[@]:1}")
	"${pc[@]}" --exists --print-errors iio-usb-bridge || fail "pkg-config cannot use iio-usb-bridge.pc"
	cflags=$("${pc[@]}" --cflags iio-usb-bridge)
	libs=$("${pc[@]}" --libs iio-usb-bridge)
	[[ " $cflags " == *" -I$stage$prefix/include "* ]] || fail "pkg-config --cflags: $cflags"
	[[ " $libs " == *" -luring "* ]] || fail "pkg-config --libs lacks liburing: $libs"
	ok "$what: pkg-config: version $("${pc[@]}" --modversion iio-usb-bridge), cflags '$cflags', libs '$libs'"
	command -v "$cc" > /dev/null || fail "$cc is not installed (tools/setup.sh installs it)"
	# shellcheck disable=SC2086 # pkg-config output is a list of flags
	"$cc" -Wall -Wextra -Werror -o "$work/probe-$what" \
		"$repo/tests/packaging/pkgconfig-probe.c" $cflags $libs > "$work/cc.log" 2>&1 ||
		{ cat "$work/cc.log"; fail "$what: the application does not build"; }
	out=$("$@" "$work/probe-$what") || fail "$what: the application failed: $out"
	ok "$what: an application builds with pkg-config against the installed files and runs: $out"
}
probe "$(uname -m)" cc ""
if [ "$arch" != "$(uname -m)" ]; then
	[ ${#emu[@]} -gt 0 ] ||
		fail "no emulator to run the $arch application (qemu-user; tools/setup.sh)"
	probe "$arch" "$cc" "/usr/lib/$arch-linux-gnu/pkgconfig:/usr/share/pkgconfig" \
		"${emu[@]}"
	file -b "$work/probe-$arch" | grep -qF "$file_arch" || fail "the $arch application is not $arch"
fi
rm -rf "$work"
exit 0
