#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# packaging/install: `cmake --install` into a DESTDIR staging tree installs
# exactly the header, the SQE helpers, the pkg-config file, the udev rule,
# the sysusers.d entry and the user tools; a program then builds against
# the staged header with nothing but `pkg-config --cflags --libs`.
#   tests/packaging/install-check.sh BUILD_DIR
set -uo pipefail
build=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/tests/packaging/install
stage=$work/stage
prefix=/usr

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }

rm -rf "$work"
mkdir -p "$work"
DESTDIR=$stage cmake --install "$build" --prefix "$prefix" > "$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "cmake --install"; }

# What must be there, and nothing else.
expected=(
	"$prefix/include/linux/iio_usb_bridge.h"
	"$prefix/include/iio_usb_bridge_uring.h"
	"$prefix/share/pkgconfig/iio-usb-bridge.pc"
	"$prefix/lib/udev/rules.d/60-iio-usb-bridge.rules"
	"$prefix/lib/sysusers.d/iio-usb-bridge.conf"
	"$prefix/share/bash-completion/completions/iub"
	"$prefix/share/bash-completion/completions/iub-usb-recv"
)
tools_list=$build/packaging/installed-tools.txt
[ -f "$tools_list" ] || fail "$tools_list missing (packaging/CMakeLists.txt writes it)"
while read -r t; do
	[ -n "$t" ] || continue
	expected+=("$prefix/bin/$t")
done < "$tools_list"

for f in "${expected[@]}"; do
	[ -f "$stage$f" ] || fail "$f not installed"
done
for f in "${expected[@]}"; do
	case $f in */bin/*) [ -x "$stage$f" ] || fail "$f is not executable" ;; esac
done
unexpected=$(cd "$stage" && find . -type f | sed 's|^\.||' | sort |
	comm -23 - <(printf '%s\n' "${expected[@]}" | sort))
[ -z "$unexpected" ] || fail "installed but not expected: $unexpected"
ok "${#expected[@]} files installed, $(grep -c . "$tools_list") of them tools"

for h in linux/iio_usb_bridge.h iio_usb_bridge_uring.h; do
	cmp -s "$repo/uapi/$h" "$stage$prefix/include/$h" || fail "installed $h differs from uapi/$h"
done
ok "headers are the ones in uapi/"

# The udev rule: well-formed keys, the node the header names, the group
# the sysusers entry creates.
rule=$stage$prefix/lib/udev/rules.d/60-iio-usb-bridge.rules
node=$(sed -n 's|^#define IUB_DEVICE_PATH[[:space:]]*"/dev/\(.*\)"|\1|p' "$repo/uapi/linux/iio_usb_bridge.h")
group=$(awk '$1 == "g" {print $2}' "$stage$prefix/lib/sysusers.d/iio-usb-bridge.conf")
if [ -z "$node" ] || [ -z "$group" ]; then
	fail "cannot read the node name or the group"
fi
n=0
while IFS= read -r line; do
	case $line in ''|'#'*) continue ;; esac
	n=$((n + 1))
	rest=$line
	while [ -n "$rest" ]; do
		[[ $rest =~ ^[[:space:]]*([A-Z_]+(\{[^}]*\})?)(==|!=|\+=|-=|:=|=)\"([^\"]*)\"[[:space:]]*(,|$)(.*)$ ]] ||
			fail "udev rule: cannot parse '$rest'"
		rest=${BASH_REMATCH[6]}
	done
	[[ $line == *"KERNEL==\"$node\""* ]] || fail "udev rule does not match KERNEL==\"$node\""
	[[ $line == *"GROUP=\"$group\""* ]] || fail "udev rule does not give the node to group $group"
	[[ $line == *'MODE="0660"'* ]] || fail "udev rule does not set MODE=\"0660\""
done < "$rule"
[ $n = 1 ] || fail "udev rule file has $n rules, expected 1"
ok "udev rule: /dev/$node -> group $group, mode 0660"

if command -v systemd-sysusers > /dev/null; then
	mkdir -p "$stage/etc"
	out=$(systemd-sysusers --root="$stage" --dry-run \
		"$stage$prefix/lib/sysusers.d/iio-usb-bridge.conf" 2>&1) ||
		fail "systemd-sysusers rejects the entry: $out"
	rmdir "$stage/etc"
	ok "sysusers.d entry accepted ($(echo "$out" | head -n 1))"
else
	ok "sysusers.d entry not checked: systemd-sysusers is not installed"
fi

# Nothing on the host may satisfy the include by accident.
for d in /usr/include /usr/local/include; do
	[ ! -e "$d/linux/iio_usb_bridge.h" ] ||
		fail "$d/linux/iio_usb_bridge.h exists on the host; the build check would prove nothing"
done
pc=(env PKG_CONFIG_PATH="$stage$prefix/share/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
    pkg-config)
"${pc[@]}" --exists --print-errors iio-usb-bridge || fail "pkg-config cannot use iio-usb-bridge.pc"
ver=$("${pc[@]}" --modversion iio-usb-bridge)
cflags=$("${pc[@]}" --cflags iio-usb-bridge)
libs=$("${pc[@]}" --libs iio-usb-bridge)
[[ " $cflags " == *" -I$stage$prefix/include "* ]] || fail "pkg-config --cflags: $cflags"
[[ " $libs " == *" -luring "* ]] || fail "pkg-config --libs lacks liburing: $libs"
ok "pkg-config: version $ver, cflags '$cflags', libs '$libs'"

# shellcheck disable=SC2086 # pkg-config output is a list of flags
cc -Wall -Wextra -Werror -o "$work/probe" "$repo/tests/packaging/pkgconfig-probe.c" \
	$cflags $libs > "$work/cc.log" 2>&1 || { cat "$work/cc.log"; fail "probe does not build"; }
out=$("$work/probe") || fail "probe failed: $out"
ok "a program builds with pkg-config against the installed header: $out"
rm -rf "$work"
exit 0
