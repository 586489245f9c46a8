#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# packaging/nonroot: a packager's build from a fresh clone, as an
# unprivileged user, with nothing but Debian packages and without the
# developer's cache (an empty HOME): configure with the defaults (no
# modules, no in-VM tests, dynamic linking), build, run the unit tests
# (packaging/install among them: every install component's file list and an
# application built against the installed pkg-config file), and install
# each component into a DESTDIR; on amd64 and cross for arm64
# (cmake/aarch64-linux-gnu.cmake, unit tests through qemu-user).
#
# It clones HEAD of SRC_DIR: the committed tree, not the work tree's
# changes. As root it builds as the user iub-build (tools/setup.sh creates
# it); as any other user, as that user. Logs of a failed run stay in
# WORK_DIR.
#   tests/packaging/nonroot-install.sh SRC_DIR WORK_DIR
set -uo pipefail
src=$1 work=$2
user=iub-build

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }

if [ "$(id -u)" = 0 ]; then
	id "$user" > /dev/null 2>&1 || fail "no user $user (tools/setup.sh creates it)"
	as_user=(runuser -u "$user" --)
else
	user=$(id -un)
	as_user=()
fi
git -C "$src" rev-parse --verify -q HEAD > /dev/null || fail "$src is not a git work tree"

rm -rf "$work"
mkdir -p "$work"
tmp=$(mktemp -d /tmp/iub-nonroot.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A fresh clone of HEAD, owned by the user (cloned first, then handed over:
# git refuses to read a repository another user owns).
git clone -q --no-hardlinks "$src" "$tmp/src" || fail "git clone $src"
head=$(git -C "$tmp/src" log --oneline -1 | cut -c1-60)
mkdir -p "$tmp/home"
[ -z "${as_user[*]}" ] || chown -R "$user:" "$tmp"
ok "cloned $head into $tmp/src, owned by $user"

# run LOG COMMAND...: as the user, in a clean environment (empty HOME, no
# IUB_CACHE or XDG_CACHE_HOME, Debian's PATH), in $tmp.
run() {
	local log=$work/$1
	shift
	if ! (cd "$tmp" && "${as_user[@]}" env -i HOME="$tmp/home" \
		PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TMPDIR="$tmp" \
		"$@") > "$log" 2>&1; then
		tail -n 40 "$log"
		fail "$* (as $user; log: $log)"
	fi
}

run id.log sh -c 'id -u; id -un'
[ "$(head -n 1 "$work/id.log")" != 0 ] || fail "the build would run as root"

for lane in amd64 arm64; do
	b=$tmp/build-$lane
	args=()
	[ $lane = amd64 ] || args=(-DCMAKE_TOOLCHAIN_FILE="$tmp/src/cmake/aarch64-linux-gnu.cmake")
	start=$(date +%s)
	run "$lane-configure.log" cmake -S "$tmp/src" -B "$b" "${args[@]}"
	for v in IUB_BUILD_MODULES IUB_VM_TESTS IUB_WERROR IUB_STATIC; do
		grep -qx "$v:BOOL=OFF" "$b/CMakeCache.txt" || fail "$lane: $v is not OFF by default"
	done
	grep -qx "BUILD_TESTING:BOOL=ON" "$b/CMakeCache.txt" || fail "$lane: BUILD_TESTING is not ON"
	! grep -q "iio-usb-bridge/env\|\.cache/iio-usb-bridge" "$b/CMakeCache.txt" ||
		fail "$lane: the configuration read the developer's cache"
	run "$lane-build.log" cmake --build "$b" -j 2
	ok "$lane: configured and built as $user without the dev cache ($(( $(date +%s) - start ))s)"

	run "$lane-ctest.log" ctest --test-dir "$b" -L unit --output-on-failure
	ok "$lane: unit tests: $(grep -E '^[0-9]+% tests passed' "$work/$lane-ctest.log")"
	grep -q 'packaging/install .*Passed' "$work/$lane-ctest.log" ||
		fail "$lane: packaging/install did not run and pass"

	stage=$tmp/stage-$lane
	for comp in device host docs; do
		run "$lane-install-$comp.log" env DESTDIR="$stage/$comp" \
			cmake --install "$b" --prefix /usr --component "$comp"
		n=$(find "$stage/$comp" -type f | wc -l)
		[ "$n" -gt 0 ] || fail "$lane: component $comp installed nothing"
		ok "$lane: DESTDIR=... cmake --install --component $comp: $n files"
	done
	for f in device/usr/bin/iub host/usr/bin/iub-usb-recv; do
		desc=$(file -b "$stage/$f")
		case $lane in
		amd64) want=x86-64 ;;
		arm64) want="ARM aarch64" ;;
		esac
		[[ $desc == *"$want"* ]] || fail "$lane: ${f#*/}: $desc"
		[[ $desc == *"dynamically linked"* ]] || fail "$lane: ${f#*/} is not dynamically linked: $desc"
		ok "$lane: ${f#*/}: ${desc%%, BuildID*}"
	done
	for f in device/usr/share/pkgconfig/iio-usb-bridge.pc \
		 device/usr/lib/udev/rules.d/60-iio-usb-bridge.rules \
		 host/usr/lib/udev/rules.d/60-iio-usb-bridge-host.rules \
		 docs/usr/share/man/man1/iub.1 docs/usr/share/man/man1/iub-usb-recv.1; do
		[ -f "$stage/$f" ] || fail "$lane: ${f#*/} not installed by ${f%%/*}"
	done
done

[ -z "$(ls -A "$tmp/home")" ] || fail "the build wrote into HOME: $(ls -A "$tmp/home")"
ok "nothing written to HOME"
rm -rf "$work"
exit 0
