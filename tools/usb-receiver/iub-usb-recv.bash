# SPDX-License-Identifier: GPL-2.0
# bash completion for iub-usb-recv (Documentation/usb-receiver.rst);
# installed as share/bash-completion/completions/iub-usb-recv.

_iub_usb_recv()
{
	local cur prev
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	case $prev in
	--output | --input)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		[[ - == "$cur"* ]] && COMPREPLY+=(-)
		return 0
		;;
	--device)
		mapfile -t COMPREPLY < <(compgen -f -- "${cur:-/dev/bus/usb/}")
		return 0
		;;
	--vid | --pid | --interface | --name | --in-ep | --out-ep | --queue | \
	--size | --bytes | --seconds | --seed | --wait)
		return 0
		;;
	esac
	mapfile -t COMPREPLY < <(compgen -W '--vid --pid --device --interface
		--name --any-bulk --in-ep --out-ep --send --queue --size --bytes
		--seconds --no-verify --seed --zlp --zero-copy --output --input
		--wait --quiet --json --verbose --help --version' -- "$cur")
	return 0
}
complete -F _iub_usb_recv iub-usb-recv
