#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/uapi-names: the book and the code name the same UAPI.
#
#  1. Every IUB_* name in Documentation/*.rst exists: defined in
#     uapi/linux/iio_usb_bridge.h, or named in the driver (driver/, sim/).
#     A name in one of the header's namespaces (IUB_IOC_*, IUB_FEAT_*,
#     IUB_PORT_*, ...: IUB_ and the first word of every name the header
#     defines) must be one of those; any other (an environment variable
#     such as IUB_GUEST_SRC, a CMake option) must be named somewhere in the
#     code outside Documentation/. Wildcards (IUB_FEAT_*, IUB_IOC_...) are
#     not names.
#  2. Every name the header defines (#define IUB_...) is in the book.
#  3. Every errno name in the book (a name <asm-generic/errno*.h> defines)
#     is returned somewhere in the code (-ENAME in driver/ or uapi/),
#     except the few below that come from elsewhere.
#  4. No page names an internal issue number ("issue 14"): the book
#     describes the code, not the project's tracker.
#
# Prints every stale or missing name and fails if there is any.
#
#   tests/unit/uapi-docs.sh [REPO]
set -uo pipefail
repo=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$repo" || exit 1
hdr=uapi/linux/iio_usb_bridge.h
book=(Documentation/*.rst)
errno_hdrs=(/usr/include/asm-generic/errno-base.h /usr/include/asm-generic/errno.h)
rc=0

# errno names the book documents that the bridge never returns itself
declare -A errno_elsewhere=(
	[EACCES]="open() of the device node: the VFS checks its mode"
	[EPROTO]="a UDC's own request status, passed on as it is"
	[EOVERFLOW]="a UDC's own request status, passed on as it is"
)

bad() { echo "not ok - $*"; rc=1; }

[ -f "$hdr" ] || { echo "FAIL: no $hdr"; exit 1; }
for f in "${errno_hdrs[@]}"; do
	[ -f "$f" ] || { echo "FAIL: no $f (linux-libc-dev)"; exit 1; }
done

mapfile -t defined < <(sed -n 's/^#define[[:space:]]\{1,\}\(IUB_[A-Z0-9_]*\).*/\1/p' "$hdr" | sort -u)
[ ${#defined[@]} -gt 10 ] || { echo "FAIL: found only ${#defined[@]} names in $hdr"; exit 1; }
declare -A is_defined=() uapi_ns=()
for d in "${defined[@]}"; do
	is_defined[$d]=1
	ns=${d#IUB_}
	uapi_ns[IUB_${ns%%_*}]=1
done

# 1. the book's IUB_* names (a trailing * or _ makes a wildcard)
mapfile -t named < <(grep -ohE 'IUB_[A-Z0-9_]*[A-Z0-9_*]' "${book[@]}" | sort -u)
n_named=0
for t in "${named[@]}"; do
	case $t in *'*'|*_) continue ;; esac
	n_named=$((n_named + 1))
	[ -n "${is_defined[$t]:-}" ] && continue
	if git grep -qw -- "$t" -- driver sim; then
		continue
	fi
	ns=${t#IUB_}
	where=$(grep -lw -- "$t" "${book[@]}" | tr '\n' ' ')
	if [ -n "${uapi_ns[IUB_${ns%%_*}]:-}" ]; then
		bad "$t (${where% }) is not defined in $hdr nor named in the driver"
	elif ! git grep -qw -- "$t" -- ':!Documentation'; then
		bad "$t (${where% }) is named nowhere in the code"
	fi
done

# 2. the header's names in the book
for d in "${defined[@]}"; do
	grep -qw -- "$d" "${book[@]}" ||
		bad "$d ($hdr) is not documented in Documentation/*.rst"
done

# 3. errno names
mapfile -t errnos < <(sed -n 's/^#define[[:space:]]\{1,\}\(E[A-Z0-9]*\)[[:space:]].*/\1/p' "${errno_hdrs[@]}" | sort -u)
declare -A is_errno=()
for e in "${errnos[@]}"; do is_errno[$e]=1; done
mapfile -t doc_errnos < <(grep -ohE '\bE[A-Z0-9]{2,}\b' "${book[@]}" | sort -u)
n_errnos=0
for e in "${doc_errnos[@]}"; do
	[ -n "${is_errno[$e]:-}" ] || continue
	n_errnos=$((n_errnos + 1))
	[ -n "${errno_elsewhere[$e]:-}" ] && continue
	git grep -qE -- "-$e\\b" -- driver uapi sim ||
		bad "$e ($(grep -lw -- "$e" "${book[@]}" | tr '\n' ' ' | sed 's/ $//')) is returned nowhere in driver/, sim/ or uapi/"
done
for e in "${!errno_elsewhere[@]}"; do
	grep -qw -- "$e" "${book[@]}" ||
		bad "$e is listed as documented in $0 but the book no longer names it"
done

# 4. internal issue numbers
while IFS= read -r hit; do
	bad "${hit%%:*}: names an internal issue: ${hit#*:}"
done < <(grep -HinE '\bissues?[[:space:]]*#?[0-9]+' "${book[@]}")

if [ $rc = 0 ]; then
	echo "ok - $n_named IUB_* names in the book exist, ${#defined[@]} names of $hdr documented, $n_errnos errno names in the book are returned by the code (${#errno_elsewhere[@]} from elsewhere)"
fi
exit $rc
