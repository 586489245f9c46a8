#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite: set up the machine, build, run the unit tests and
# every in-VM test (one VM boot per lane: amd64, bounce, arm64), with
# ctest's summary as the last line.
#   tools/test.sh [--no-memdebug] [ctest options...]   e.g. -L unit, -R vm/nop,
#                                                      -L arm64
# The VM boots with memory debugging (slub_debug, KFENCE, page poisoning:
# tools/vm/iub-vm); --no-memdebug (or IUB_VM_MEMDEBUG=0) boots it without.
set -euo pipefail
if [ "${1:-}" = --no-memdebug ]; then
	export IUB_VM_MEMDEBUG=0
	shift
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$repo/build
start=$(date +%s)
"$repo/tools/build.sh" "$build"
set +e
(cd "$build" && ctest --output-on-failure "$@" > ctest.log 2>&1)
rc=$?
set -e
grep -v -E '^[0-9]+% tests passed|^Total Test time' "$build/ctest.log"
echo "tools/test.sh: $(( $(date +%s) - start ))s in all"
grep -E '^Total Test time|^[0-9]+% tests passed' "$build/ctest.log" | sort -r
exit $rc
