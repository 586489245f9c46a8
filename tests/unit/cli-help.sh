#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# unit/cli-help: --help and --version of every command and subcommand of
# the tools, as their neighbours (coreutils, libiio's tools) behave: on
# standard output, nothing on standard error, exit status 0; a usage error
# on standard error with exit status 2 and nothing on standard output.
#   cli-help.sh IUB IUB_USB_RECV VERSION [IUB_IIOD]
set -u
iub=$1 recv=$2 version=$3 iiod=${4:-}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0

# expect STATUS STDOUT-PATTERN DESCRIPTION -- COMMAND...
expect() {
	want=$1 pat=$2 what=$3
	shift 4
	n=$((n + 1))
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ "$want" = 0 ]; then
		if [ $rc = 0 ] && [ ! -s "$tmp/err" ] &&
		   grep -q -- "$pat" "$tmp/out"; then
			echo "ok $n - $what"
			return
		fi
	elif [ $rc = "$want" ] && [ ! -s "$tmp/out" ] && [ -s "$tmp/err" ]; then
		echo "ok $n - $what"
		return
	fi
	bad=$((bad + 1))
	echo "not ok $n - $what: exit $rc"
	sed 's/^/# stdout: /' "$tmp/out"
	sed 's/^/# stderr: /' "$tmp/err"
}

# the commands, as "iub --help" lists them
cmds=$("$iub" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || { echo "not ok - iub --help lists no command"; exit 1; }

expect 0 '^Usage: iub COMMAND' "iub --help" -- "$iub" --help
expect 0 '^Usage: iub COMMAND' "iub -h" -- "$iub" -h
expect 0 "^iub (iio-usb-bridge) $version\$" "iub --version" -- "$iub" --version
expect 0 '^Usage: iub COMMAND' "iub help" -- "$iub" help
expect 2 '' "iub without a command" -- "$iub"
expect 2 '' "iub with an unknown command" -- "$iub" no-such-command
expect 2 '' "iub with an unknown option" -- "$iub" --no-such-option
expect 2 '' "iub help of an unknown command" -- "$iub" help no-such-command
for c in $cmds; do
	expect 0 "^Usage: iub $c" "iub $c --help" -- "$iub" "$c" --help
	expect 0 "^Usage: iub $c" "iub $c -h" -- "$iub" "$c" -h
	expect 0 "^Usage: iub $c" "iub help $c" -- "$iub" help "$c"
	expect 0 "^iub (iio-usb-bridge) $version\$" "iub $c --version" -- \
		"$iub" "$c" --version
	expect 2 '' "iub $c with an unknown option" -- "$iub" "$c" --no-such-option
done
expect 2 '' "iub stream with one argument" -- "$iub" stream a:b
expect 2 '' "iub stream without a port" -- "$iub" stream a b
expect 2 '' "iub stream with a bad size" -- "$iub" stream -b 12Q a:b -
expect 2 '' "iub stream with a zero size" -- "$iub" stream -B 0 a:b -
expect 2 '' "iub stream -n out of range" -- "$iub" stream -n 65 a:b -
expect 2 '' "iub stream --cyclic to a file" -- "$iub" stream -c a:b f

expect 0 '^Usage: iub-usb-recv' "iub-usb-recv --help" -- "$recv" --help
expect 0 '^Usage: iub-usb-recv' "iub-usb-recv -h" -- "$recv" -h
expect 0 "$version" "iub-usb-recv --version" -- "$recv" --version
expect 2 '' "iub-usb-recv with an unknown option" -- "$recv" --no-such-option
expect 2 '' "iub-usb-recv with a bad size" -- "$recv" --size 1.5M

if [ -n "$iiod" ]; then
	expect 0 '^Usage: iub-iiod' "iub-iiod --help" -- "$iiod" --help
	expect 0 '^Usage: iub-iiod' "iub-iiod -h" -- "$iiod" -h
	expect 0 "^iub-iiod (iio-usb-bridge) $version\$" "iub-iiod --version" -- "$iiod" --version
	expect 2 '' "iub-iiod with an unknown option" -- "$iiod" --no-such-option
	expect 2 '' "iub-iiod with an argument" -- "$iiod" extra
	expect 2 '' "iub-iiod --buffers 0" -- "$iiod" --buffers 0
	expect 2 '' "iub-iiod --buffers 17" -- "$iiod" --buffers 17
fi

echo "1..$n"
[ $bad = 0 ]
