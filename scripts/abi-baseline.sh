#!/bin/bash
# abi-baseline.sh [COMMIT]: write abi/libctr.so.abi, the ABI record that
# tests/abi/check-abi.sh compares every build with, from a release build
# (optimized, with debug information for abidw) of COMMIT (default: the
# newest release of abi/releases).  Run it when a release is made, after
# adding the release to abi/releases (see abi/README.md).
set -eu
cd "$(dirname "$0")/.."
commit=${1:-$(awk '!/^#/ && NF == 2 {c = $2} END {print c}' abi/releases)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctr-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git archive "$commit" | tar -x -C "$tmp"
# -Dwerror=false: GCC's -O3 -Wmaybe-uninitialized has false positives in a few files
meson setup -Dbuildtype=release -Ddebug=true -Dwerror=false -Ddefault_library=shared "$tmp/build" "$tmp" >/dev/null
target=$(ninja -C "$tmp/build" -t targets all | sed -n 's/^\(libctr\.so\.[0-9.]*\): .*LINKER.*/\1/p' | head -n 1)
ninja -C "$tmp/build" "$target" >/dev/null
abidw --headers-dir "$tmp/include/ctr" --drop-private-types --no-corpus-path --no-show-locs \
	--out-file abi/libctr.so.abi "$tmp/build/$target"
# the same file from the same commit wherever it is built
sed -i "s|comp-dir-path='[^']*'|comp-dir-path='build'|" abi/libctr.so.abi
echo "abi/libctr.so.abi: the ABI of $target at $(git rev-parse --short "$commit")"
