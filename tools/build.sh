#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build everything the test suite needs: the kernel modules (Kbuild) and
# all userspace (CMake, preset dev), after making sure the machine has
# what it needs (tools/setup.sh).
#   tools/build.sh [BUILD_DIR]      default: <repo>/build
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
"$repo/tools/setup.sh"
# The preset "dev" (CMakePresets.json): the modules, the in-VM tests and
# the arm64 lane, -Werror; in BUILD_DIR, whatever the preset's own.
cmake -S "$repo" -B "$build" --preset dev > /dev/null
cmake --build "$build" -j "$(nproc)"
