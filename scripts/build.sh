#!/bin/bash
# build.sh: dependencies, then build (reusing the build directory when it
# exists).  CTR_BUILD_DIR: another build directory than ./build (developers'
# own ones).  Used by demo.sh and test.sh.
set -eu
cd "$(dirname "$0")/.."

build=${CTR_BUILD_DIR:-build}
scripts/deps.sh
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build"
fi
ninja -C "$build"
