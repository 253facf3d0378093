#!/bin/bash
# Binaries built against each earlier release (abi/releases) run on this
# tree's library.  For each release: its headers and lib/libctr.sym come out
# of git at the release's commit; a stub libctr.so.0 with that symbol file's
# version nodes stands in for the old library at link time (the way SDKs link
# against stub libraries), so the program references the symbols exactly as
# a binary built then does (name@LIBCTR_x.y); tests/embed/old-abi.c is
# compiled with the old headers, linked against the stub and run with the
# library of this build (TAP of its own, folded into this script's).
#
# Usage: old-abi.sh CC   (environment: CTR_SOURCE_ROOT, CTR_BUILD_ROOT, CTR_BUNDLE)
. "$(dirname "$0")/../integration/lib.sh"
CC=${1:-cc}
SRC=$CTR_SOURCE_ROOT
BUILD=$CTR_BUILD_ROOT

# must_skip NAME WHY: skip the rest (a failure with CTR_TESTS_MUST_RUN=1)
must_skip() { skip "$1" "$2"; finish; }

command -v git >/dev/null || must_skip "old releases' headers" "git is not installed"
git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 || must_skip "old releases' headers" "$SRC is not a git checkout"

# fold OUTPUT PREFIX: a TAP stream's results as results of this script
fold() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "$2: ${line#ok * - }" ;;
		"not ok "*) notok "$2: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <<<"$1"
}

b=$(mkb bundle)
while read -r node commit; do
	case "$node" in "" | "#"*) continue ;; esac
	rel=${node#LIBCTR_}
	d=$TMP/$rel
	mkdir -p "$d/include/ctr" "$d/stub"
	if ! git -C "$SRC" cat-file -e "$commit^{commit}" 2>/dev/null; then
		must_skip "$node headers" "commit $commit of abi/releases is not in this checkout (a shallow clone?)"
	fi
	for h in $(git -C "$SRC" ls-tree --name-only "$commit" include/ctr/); do
		git -C "$SRC" show "$commit:$h" >"$d/$h"
	done
	git -C "$SRC" show "$commit:lib/libctr.sym" >"$d/libctr.sym"
	check "$node: the headers of $commit" test -f "$d/include/ctr/ctr.h"

	# every symbol of the release's nodes, as a function that is never called
	syms=$(sed 's,/\*.*\*/,,; /\/\*/,/\*\//d' "$d/libctr.sym" | grep -oE '^\s*ctr_\w+;' | tr -d ' \t;')
	for s in $syms; do echo "void $s(void); void $s(void) {}"; done >"$d/stub.c"
	out=$($CC -shared -fPIC -o "$d/stub/libctr.so" "$d/stub.c" -Wl,--version-script="$d/libctr.sym" \
		-Wl,-soname,libctr.so.0 2>&1)
	check "$node: a stub library of its $(echo "$syms" | wc -w) symbols links" test -z "$out" -a -f "$d/stub/libctr.so"
	[ -n "$out" ] && printf '%s\n' "$out" | head -20 | sed 's/^/#   /'

	out=$($CC -D_GNU_SOURCE -std=c99 -Wall -Wextra -Werror -I"$d/include" -o "$d/old-abi" \
		"$SRC/tests/embed/old-abi.c" -L"$d/stub" -lctr 2>&1)
	check "$node: old-abi.c builds with the $rel headers" test -z "$out" -a -x "$d/old-abi"
	[ -n "$out" ] && printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
	[ -x "$d/old-abi" ] || continue
	refs=$(readelf --dyn-syms -W "$d/old-abi" | grep -oE 'ctr_create_options_init@\S+')
	expect_eq "$node: the program references ctr_create_options_init as a $rel binary does" \
		"ctr_create_options_init@$node" "${refs% (*}"

	# a sanitizer build's library needs its runtime loaded first (see test-examples.sh)
	asan=$(ldd "$BUILD/libctr.so" 2>/dev/null | sed -n 's/.*libasan[^ ]* => \([^ ]*\).*/\1/p')
	out=$(LD_LIBRARY_PATH=$BUILD LD_PRELOAD=$asan ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 \
		timeout 120 "$d/old-abi" "$ROOT" "$b" </dev/null 2>&1)
	rc=$?
	fold "$out" "$node binary"
	expect_eq "$node binary: exit 0 on this library" 0 "$rc"
	[ $rc = 0 ] || printf '%s\n' "$out" | grep -v '^ok' | tail -20 | sed 's/^/#   /'
	expect_eq "$node binary: nothing left in the state root" "" "$(state_left)"
done <"$SRC/abi/releases"
finish
