#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build everything: the kernel modules (Kbuild) and all userspace (CMake),
# after making sure the machine has what it needs (tools/setup.sh).
#   tools/build.sh [BUILD_DIR]      default: <repo>/build
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
"$repo/tools/setup.sh"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build "$build" -j "$(nproc)"
