#!/bin/bash
# build.sh: dependencies, then build (reusing the build directory when it
# exists).  CTR_BUILD_DIR: another build directory than ./build (developers'
# own ones).  CTR_WERROR=true|false: whether warnings stop the build (meson's
# werror; default false, true when CI=true); an existing build directory is
# reconfigured when it is given.  Used by demo.sh and test.sh.
set -eu
cd "$(dirname "$0")/.."

build=${CTR_BUILD_DIR:-build}
werror=${CTR_WERROR:-}
if [ -z "$werror" ] && [ "${CI:-}" = true ]; then
	werror=true
fi
case "$werror" in
"" | true | false) ;;
*) echo "build.sh: CTR_WERROR must be true or false, not '$werror'" >&2; exit 1 ;;
esac
scripts/deps.sh
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" ${werror:+-Dwerror=$werror}
elif [ -n "$werror" ]; then
	meson configure "$build" -Dwerror="$werror"
fi
ninja -C "$build"
