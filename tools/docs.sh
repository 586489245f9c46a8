#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the book (Documentation/) as HTML with Debian's Sphinx, warnings
# as errors, the way the kernel's `make htmldocs` does it. Also runs
# kernel-doc over the UAPI headers, whose comments the book includes.
#   tools/docs.sh [OUTDIR]         default: <repo>/build/Documentation
# Open OUTDIR/html/index.html. The test suite runs this as docs/build.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build/Documentation}
IUB_CACHE=${IUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge}

if [ -z "${KSRC:-}" ] && [ -f "$IUB_CACHE/env" ]; then
	KSRC=$(sed -n 's/^KSRC=//p' "$IUB_CACHE/env")
fi
if [ -z "${KSRC:-}" ] || [ ! -x "$KSRC/scripts/kernel-doc" ]; then
	echo "docs: no linux-source tree (run tools/setup.sh)" >&2
	exit 1
fi
export KSRC
# Debian's Sphinx runs on Debian's python3; never on another one in PATH.
sphinx=/usr/bin/sphinx-build
[ -x "$sphinx" ] || { echo "docs: $sphinx missing (python3-sphinx; tools/setup.sh)" >&2; exit 1; }

# 1. The kernel-doc comments the book pulls in are complete and well formed.
cd "$repo"
headers=(uapi/linux/iio_usb_bridge.h uapi/iio_usb_bridge_uring.h)
kd=$("$KSRC/scripts/kernel-doc" -none -Wall "${headers[@]}" 2>&1 || true)
if [ -n "$kd" ]; then
	echo "$kd"
	echo "docs: FAIL: kernel-doc warnings in ${headers[*]}"
	exit 1
fi
echo "ok - kernel-doc -Wall clean: ${headers[*]}"

# 2. The book. -W: any warning fails (-E: read every page each time, or an
# unchanged page would not repeat its warning); -n would also flag unresolved C
# references, which kernel-doc output for __u32 and friends always has.
rm -rf "$out/html"
mkdir -p "$out"
if ! "$sphinx" -E -W --keep-going -q -b html -d "$out/doctrees" \
	"$repo/Documentation" "$out/html" > "$out/sphinx.log" 2>&1; then
	cat "$out/sphinx.log"
	echo "docs: FAIL: sphinx-build -W reported warnings or errors"
	exit 1
fi
cat "$out/sphinx.log"

# 3. The pages the book promises.
required=(index overview install uapi uapi-reference comparison
	  simulated-board testing troubleshooting real-hardware)
for p in "${required[@]}"; do
	[ -f "$out/html/$p.html" ] || { echo "docs: FAIL: page $p missing"; exit 1; }
done
pages=$(find "$out/html" -maxdepth 1 -name '*.html' ! -name genindex.html ! -name search.html | wc -l)
echo "ok - Sphinx $("$sphinx" --version | awk '{print $2}'), -W clean: $pages pages in $out/html"
