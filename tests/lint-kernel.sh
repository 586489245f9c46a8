#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint/kernel: the kernel code builds W=1 and sparse (C=2) clean, for amd64
# and arm64, and checkpatch --strict has nothing to say beyond the justified
# exceptions.
#   tests/lint-kernel.sh KDIR KSRC
set -uo pipefail
kdir=$1 ksrc=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
rc=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for dir in driver sim; do
	[ -f "$repo/$dir/Kbuild" ] || continue
	# a private copy, so that the check never races the real build
	cp -r "$repo/$dir" "$tmp/$dir"
	mkdir -p "$tmp/uapi" && cp -r "$repo/uapi/." "$tmp/uapi/"
	make -s -C "$kdir" M="$tmp/$dir" W=1 C=2 modules > "$tmp/$dir.log" 2>&1
	st=$?
	if [ $st != 0 ] || grep -E 'warning|error' "$tmp/$dir.log"; then
		echo "FAIL: $dir: W=1 C=2 build is not clean (status $st)"
		cat "$tmp/$dir.log"
		rc=1
	else
		echo "ok - $dir: W=1 + sparse clean"
	fi
done

# arm64 (the arm64 lane's target): the same W=1 + sparse build for Debian's
# arm64 kernel with the cross compiler, in a copy (tools/kmod-cross.sh)
if "$repo/tools/kmod-cross.sh" "$tmp/arm64" C=2 > "$tmp/arm64.log" 2>&1 &&
   ! grep -E 'warning|error' "$tmp/arm64.log"; then
	echo "ok - driver, sim: arm64 W=1 + sparse clean"
else
	echo "FAIL: arm64 W=1 C=2 build is not clean"
	cat "$tmp/arm64.log"
	rc=1
fi

# checkpatch on our sources, with these justified exceptions:
# - the compat header compares LINUX_VERSION_CODE by design: that is its job;
# - tracepoint headers (*_trace.h) are written in the TRACE_EVENT() macro
#   language, whose layout checkpatch's C rules do not fit (the kernel's own
#   trace headers draw the same messages);
# - USB gadget functions (f_*.c) fill descriptors whose field names come from
#   the USB specification through include/uapi/linux/usb/ch9.h: --no-tree
#   cannot see that they are not ours (CAMELCASE), and their configfs
#   attribute macros paste the attribute name into several identifiers
#   (MACRO_ARG_REUSE), as CONFIGFS_ATTR() itself does;
# - test fixture modules (*/tests/*.c) check with an assertion macro that
#   jumps to the test's cleanup label, as KUNIT_ASSERT_*() end a test
#   (MACRO_WITH_FLOW_CONTROL).
cd "$repo" || exit 1
checkpatch() {
	perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse "$@" 2>&1 |
		grep -E 'ERROR|WARNING|CHECK'
}
mapfile -t files < <(find driver sim uapi -name '*.[ch]' ! -name '*.mod.c' \
	! -name '*_trace.h' ! -name 'f_*.c' ! -path '*/tests/*' 2>/dev/null | sort)
mapfile -t usbfiles < <(find driver sim -name 'f_*.c' 2>/dev/null | sort)
mapfile -t testfiles < <(find driver sim -path '*/tests/*.[ch]' ! -name '*.mod.c' \
	2>/dev/null | sort)
out=$(checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f "${files[@]}"
      [ ${#usbfiles[@]} = 0 ] ||
	checkpatch --ignore CAMELCASE,MACRO_ARG_REUSE -f "${usbfiles[@]}"
      [ ${#testfiles[@]} = 0 ] ||
	checkpatch --ignore MACRO_WITH_FLOW_CONTROL -f "${testfiles[@]}")
files+=("${usbfiles[@]}" "${testfiles[@]}")
if [ -n "$out" ]; then
	echo "FAIL: checkpatch --strict:"
	echo "$out"
	rc=1
else
	echo "ok - checkpatch --strict clean (${#files[@]} files)"
fi
exit $rc
