# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for ctr-demo.  Commands and flags come from ctr-demo's own
# --help (so they never drift from the binary); container ids from `list -q`,
# images from `image ls -q` and networks from `network ls -q`, on the --root,
# --store and --net-dir given on the command line.

# _ctr_demo_help_flags CMD...: the long and short flags of `ctr-demo CMD... --help`
_ctr_demo_help_flags()
{
	"${_ctr_demo_bin}" "$@" --help 2>/dev/null |
		sed -n '/^OPTIONS:/,$ s/^ \{3\}\(--[a-z0-9-]*\)\( value\)\{0,1\}\(, \(-[a-zA-Z]\)\)\{0,1\}.*/\1 \4/p'
}

_ctr_demo()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local _ctr_demo_bin=${words[0]}
	local -a global=()
	local i cmd="" sub="" cmd_at=0
	# global flags (kept to ask ctr-demo about the same state root and store), then the command
	for ((i = 1; i < cword; i++)); do
		case "${words[i]}" in
		--root | --log | --log-format | --rootless | --criu | --host-root | --cdi-spec-dir | --net-dir | --store)
			global+=("${words[i]}" "${words[i + 1]}")
			i=$((i + 1))
			;;
		-*) global+=("${words[i]}") ;;
		*)
			cmd=${words[i]}
			cmd_at=$i
			break
			;;
		esac
	done
	if [ -z "$cmd" ]; then
		case "$prev" in
		--root | --log | --host-root | --cdi-spec-dir | --net-dir | --store | --criu)
			COMPREPLY=($(compgen -f -- "$cur"))
			return
			;;
		--log-format)
			COMPREPLY=($(compgen -W "text json" -- "$cur"))
			return
			;;
		--rootless)
			COMPREPLY=($(compgen -W "true false auto" -- "$cur"))
			return
			;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$("$_ctr_demo_bin" --help 2>/dev/null |
				sed -n '/^GLOBAL OPTIONS:/,$ s/^ \{3\}\(--[a-z0-9-]*\).*/\1/p')" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$_ctr_demo_bin" --help 2>/dev/null |
				sed -n '/^COMMANDS:/,/^$/ s/^ \{3\}\([a-z]*\).*/\1/p') help" -- "$cur"))
		fi
		return
	fi
	local -a path=("$cmd")
	case "$cmd" in
	image | network | cdi)
		if ((cword == cmd_at + 1)); then
			local subs
			case "$cmd" in
			image) subs="import ls rm inspect prune unpack" ;;
			network) subs="create ls inspect rm reload connect disconnect" ;;
			cdi) subs="list validate generate" ;;
			esac
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
			return
		fi
		sub=${words[cmd_at + 1]}
		path+=("$sub")
		;;
	esac
	case "$prev" in
	-b | --bundle | --console-socket | --pid-file | -p | --process | --log | -r | --resources | --seccomp | \
		--cdi-spec-dir | --tmpfs)
		[ "$cmd" = network ] || {
			COMPREPLY=($(compgen -f -- "$cur"))
			return
		}
		;;
	-v | --volume)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--image)
		COMPREPLY=($(compgen -W "$("$_ctr_demo_bin" "${global[@]}" image ls -q 2>/dev/null) oci: oci-archive: docker-archive:" -- "$cur"))
		return
		;;
	--network)
		COMPREPLY=($(compgen -W "$("$_ctr_demo_bin" "${global[@]}" network ls -q 2>/dev/null) none host container:" -- "$cur"))
		return
		;;
	--format | -f)
		COMPREPLY=($(compgen -W "table json" -- "$cur"))
		return
		;;
	--progress)
		COMPREPLY=($(compgen -W "auto plain none" -- "$cur"))
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_ctr_demo_help_flags "${path[@]}") --help" -- "$cur"))
		return
	fi
	case "$cmd${sub:+ $sub}" in
	start | state | kill | delete | exec | pause | resume | ps | update | events)
		COMPREPLY=($(compgen -W "$("$_ctr_demo_bin" "${global[@]}" list -q 2>/dev/null)" -- "$cur"))
		;;
	"image rm" | "image inspect" | "image unpack")
		COMPREPLY=($(compgen -W "$("$_ctr_demo_bin" "${global[@]}" image ls -q 2>/dev/null)" -- "$cur"))
		;;
	"image import")
		COMPREPLY=($(compgen -W "oci: oci-archive: docker-archive:" -- "$cur"))
		;;
	"network inspect" | "network rm" | "network connect" | "network disconnect")
		COMPREPLY=($(compgen -W "$("$_ctr_demo_bin" "${global[@]}" network ls -q 2>/dev/null)" -- "$cur"))
		;;
	help)
		COMPREPLY=($(compgen -W "$("$_ctr_demo_bin" --help 2>/dev/null |
			sed -n '/^COMMANDS:/,/^$/ s/^ \{3\}\([a-z]*\).*/\1/p')" -- "$cur"))
		;;
	"cdi validate" | spec)
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	esac
}
complete -F _ctr_demo ctr-demo
