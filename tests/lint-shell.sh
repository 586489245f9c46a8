#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint/shell: every shell script of the project passes shellcheck.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
mapfile -t files < <(git ls-files --cached --others --exclude-standard | while read -r f; do
	case $f in *.sh|tools/vm/iub-vm|tools/vm/check-result|.ci/run) [ -f "$f" ] && echo "$f" ;; esac
done)
shellcheck -x "${files[@]}" && echo "ok - shellcheck clean (${#files[@]} scripts)"
