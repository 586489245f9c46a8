#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# unit/uring-helpers-cxx: uapi/iio_usb_bridge_uring.h compiles as C++17 and
# C++20 without a single warning (-Wall -Wextra -Wpedantic -Werror), for
# applications written in C++. Compile only (-fsyntax-only).
#
#   tests/unit/uring-helpers-cxx.sh CXX
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cxx=${1:-g++}
src=$repo/tests/unit/uring_helpers_cxx.cc
rc=0

command -v "$cxx" > /dev/null || { echo "FAIL: $cxx is not installed"; exit 1; }
for std in c++17 c++20; do
	if out=$("$cxx" -std=$std -Wall -Wextra -Wpedantic -Werror -fsyntax-only \
		-I"$repo/uapi" "$src" 2>&1); then
		echo "ok - iio_usb_bridge_uring.h as $std: $("$cxx" --version | head -n 1)"
	else
		echo "$out"
		echo "not ok - iio_usb_bridge_uring.h as $std"
		rc=1
	fi
done
exit $rc
