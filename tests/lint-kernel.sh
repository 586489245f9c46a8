#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint/kernel: the kernel code builds W=1 and sparse (C=2) clean, and
# checkpatch --strict has nothing to say beyond the justified exceptions.
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

# checkpatch on our sources. The compat header compares LINUX_VERSION_CODE
# by design: that is its job.
cd "$repo" || exit 1
mapfile -t files < <(find driver sim uapi -name '*.[ch]' ! -name '*.mod.c' 2>/dev/null | sort)
out=$(perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse \
	--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f "${files[@]}" 2>&1 |
	grep -E 'ERROR|WARNING|CHECK')
if [ -n "$out" ]; then
	echo "FAIL: checkpatch --strict:"
	echo "$out"
	rc=1
else
	echo "ok - checkpatch --strict clean (${#files[@]} files)"
fi
exit $rc
