#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# unit/uapi-layout-m32, unit/uapi-layout-arm64: the compile-time checks of
# tests/unit/uapi_layout.h for an ABI other than the build machine's,
# compiled and never run (-fsyntax-only: nothing is linked or executed).
# Some machines of this kind cannot execute 32-bit x86 programs at all (no
# IA32 emulation in their kernel), and none executes arm64 ones; a layout
# that differs fails the compile, and so the test.
#
# Only <stddef.h> (freestanding, from the compiler) and the kernel UAPI
# headers are needed, no C library of the target:
#   i386   gcc/g++ -m32, without gcc-multilib (which conflicts with every
#          Debian cross compiler): the x86 <asm/...> UAPI headers in the
#          build machine's multiarch directory serve 32 and 64 bit alike
#          (the kernel has one arch/x86/include/uapi for both), so that
#          directory is searched after the i386 one, if there is any.
#   arm64  aarch64-linux-gnu-gcc with its own UAPI headers in
#          /usr/aarch64-linux-gnu/include (linux-libc-dev-arm64-cross).
# tools/setup.sh installs what both need; a missing compiler is a failure.
#
#   tests/unit/uapi-layout-abi.sh i386 CC CXX
#   tests/unit/uapi-layout-abi.sh arm64
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
hdr=$repo/tests/unit/uapi_layout.h
abi=${1:-}

fail() { echo "FAIL: $*"; exit 1; }

# check LANG DESCRIPTION COMPILER FLAGS...: compile uapi_layout.h only;
# sets asm to the directory <asm/types.h> came from.
asm=
check() {
	local lang=$1 what=$2 cc=$3 std out
	shift 3
	case $lang in c) std=-std=c11 ;; c++) std=-std=c++17 ;; esac
	command -v "$cc" > /dev/null ||
		fail "$what: $cc is not installed (tools/setup.sh installs it)"
	# -H lists every header used, for the record of which asm/ it was.
	if ! out=$("$cc" "$@" "$std" -ffreestanding -fsyntax-only -H \
		-Wall -Wextra -Werror -I"$repo/uapi" -x "$lang" "$hdr" 2>&1); then
		# the compiler's messages, without -H's list of headers
		echo "$out" | awk '/^Multiple include guards/ { exit } !/^\.+ /'
		fail "$what: UAPI layout differs, or the header does not compile"
	fi
	asm=$(echo "$out" | sed -n 's|^\.* \(.*\)/asm/types\.h$|\1/asm|p' | head -n 1)
	echo "ok - UAPI layout, $what: $("$cc" --version 2>/dev/null | head -n 1), $asm"
}

case $abi in
i386)
	[ $# = 3 ] || fail "usage: $0 i386 CC CXX"
	cc=$2 cxx=$3
	ma=$("$cc" -print-multiarch 2>/dev/null)
	[ -d "/usr/include/${ma:-x86_64-linux-gnu}/asm" ] ||
		fail "no x86 UAPI <asm/...> headers in /usr/include/${ma:-x86_64-linux-gnu} (linux-libc-dev)"
	flags=(-m32 -DIUB_LAYOUT_ABI_I386 -idirafter "/usr/include/${ma:-x86_64-linux-gnu}")
	check c "i386 C ($cc -m32, compile only)" "$cc" "${flags[@]}"
	check c++ "i386 C++ ($cxx -m32, compile only)" "$cxx" "${flags[@]}"
	;;
arm64)
	[ $# = 1 ] || fail "usage: $0 arm64"
	cc=aarch64-linux-gnu-gcc
	[ -f /usr/aarch64-linux-gnu/include/asm/types.h ] ||
		fail "no arm64 UAPI headers in /usr/aarch64-linux-gnu/include (linux-libc-dev-arm64-cross; tools/setup.sh installs it)"
	check c "arm64 C ($cc, compile only)" "$cc" -DIUB_LAYOUT_ABI_ARM64
	# never the build machine's x86 headers by accident
	[ "$asm" = /usr/aarch64-linux-gnu/include/asm ] ||
		fail "arm64: <asm/types.h> came from ${asm:-nowhere}, not /usr/aarch64-linux-gnu/include"
	;;
*)
	fail "usage: $0 i386 CC CXX | arm64"
	;;
esac
exit 0
