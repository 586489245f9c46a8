# SPDX-License-Identifier: GPL-2.0
# bash completion for iub (Documentation/iub.rst); installed as
# share/bash-completion/completions/iub.

# The port names, from `iub ports` (nothing without access to the device).
_iub_ports()
{
	iub ports 2>/dev/null | awk 'NR > 1 { print $2 }'
}

_iub()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	case $cmd in
	'')
		mapfile -t COMPREPLY < <(compgen -W 'features ports stream help --help --version' -- "$cur")
		;;
	features | ports)
		mapfile -t COMPREPLY < <(compgen -W '--json --help --version' -- "$cur")
		;;
	help)
		mapfile -t COMPREPLY < <(compgen -W 'features ports stream help' -- "$cur")
		;;
	stream)
		case $prev in
		-b | --buffer-size | -B | --bytes | -n | --buffers | -t | --seconds)
			return 0
			;;
		esac
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W '--buffer-size --buffers --bytes
				--seconds --cyclic --heap --zlp --verify --recycle --quiet --help
				--version' -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_iub_ports) -" -- "$cur")
			mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
		fi
		;;
	esac
	return 0
}
complete -F _iub iub
