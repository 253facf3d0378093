#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ctr-demo's manual page and bash completion: installed by meson, rendered
# without warnings, naming every command and global flag --help lists, and the
# completion completing commands, subcommands, flags, values and ids.  TAP.
# Usage: test-docs.sh <ctr-demo> <build dir> <ctr-demo.1> <ctr-demo.bash>
set -u
X=${1:?usage}
BUILD=${2:?usage}
MAN=${3:?usage}
COMP=${4:?usage}
T=0
FAILED=0
TMP=$(mktemp -d /tmp/ctr-docs-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
ok() { T=$((T + 1)); echo "ok $T - $1"; }
nok() { T=$((T + 1)); FAILED=1; echo "not ok $T - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "want: $2" "got:  $3"; fi; }

# installed where packagers and bash-completion look
out=$(meson install -C "$BUILD" --no-rebuild --destdir "$TMP/dest" 2>&1)
eq "meson install: exit 0" 0 "$?"
m=$(find "$TMP/dest" -path '*/man/man1/ctr-demo.1*' | head -1)
if [ -n "$m" ]; then ok "the manual page is installed (man1/ctr-demo.1)"; else nok "the manual page is installed" "$out"; fi
c=$(find "$TMP/dest" -path '*/bash-completion/completions/ctr-demo' | head -1)
if [ -n "$c" ]; then ok "the bash completion is installed (bash-completion/completions/ctr-demo)"; else nok "the bash completion is installed" "$out"; fi

# the manual renders without a warning and covers what --help lists
if command -v man >/dev/null; then
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null)
	eq "man --warnings: no warning" "" "$warn"
	text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$MAN" 2>/dev/null)
	missing=""
	for cmd in $("$X" --help | sed -n '/^COMMANDS:/,/^$/ s/^ \{3\}\([a-z]*\).*/\1/p'); do
		[ "$cmd" = help ] && continue
		printf '%s\n' "$text" | grep -Eq "(^| )$cmd( |,|$)" || missing="$missing $cmd"
	done
	eq "the manual names every command of --help" "" "$missing"
	missing=""
	for f in $("$X" --help | sed -n '/^GLOBAL OPTIONS:/,$ s/^ \{3\}\(--[a-z0-9-]*\).*/\1/p'); do
		printf '%s\n' "$text" | grep -q -- "$f" || missing="$missing $f"
	done
	eq "the manual names every global flag of --help" "" "$missing"
else
	echo "ok $((T += 1)) - the manual renders # SKIP man is not installed"
fi

# the completion, with bash's completion variables as readline sets them
# shellcheck source=/dev/null
. "$COMP"
complete_line() { # the words of a line ending in the word being completed (may be "")
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_ctr_demo ctr-demo "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
eq "completion: a command" "image" "$(complete_line "$X" im)"
eq "completion: every command of --help" \
	"$("$X" --help | sed -n '/^COMMANDS:/,/^$/ s/^ \{3\}\([a-z]*\).*/\1/p' | sort -u | tr '\n' ' ' | sed 's/ $//')" \
	"$(complete_line "$X" "" | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//')"
eq "completion: image subcommands" "import inspect ls prune rm unpack" "$(complete_line "$X" image "")"
eq "completion: a flag of run, from its --help" "--image" "$(complete_line "$X" run --ima)"
eq "completion: exec --ignore-paused" "--ignore-paused" "$(complete_line "$X" exec --ignore)"
eq "completion: a flag of a subcommand" "--format" "$(complete_line "$X" image ls --for)"
eq "completion: a global flag" "--log --log-format" "$(complete_line "$X" --lo)"
eq "completion: --log-format's values" "json text" "$(complete_line "$X" --log-format "")"
mkdir -p "$TMP/root/alpha" "$TMP/root/beta"
echo '{}' >"$TMP/root/alpha/state.json"
echo '{}' >"$TMP/root/beta/state.json"
eq "completion: container ids of the --root given" "alpha" "$(complete_line "$X" --root "$TMP/root" kill al)"
eq "completion: --network values" "container: host none" "$(complete_line "$X" --net-dir "$TMP/nets" run --network "")"

echo "1..$T"
exit $FAILED
