#!/bin/bash
# tsan.sh [BUILD_DIR [THREADS [PER_THREAD]]]: the threads test (issue 12,
# found item 1) under ThreadSanitizer, for CI.  Sets up BUILD_DIR (default
# build-tsan, next to ./build) with -Db_sanitize=thread, builds only what the
# test needs (libctr, ctr-demo for the cleanup, the busybox bundle and the
# threads program), runs tests/security/threads.sh with that build and fails
# on any ThreadSanitizer report (halt_on_error).  Then test-import, whose
# imports extract several layers at once on the library's threads (when
# cmocka is there to build it).  Root, like the other security tests.  Exit
# status: the first failure's (66 for a TSan report).
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build-tsan}
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized
fi
ninja -C "$build" tools/ctr-demo tests/security/sec-threads tests/integration/busybox-bundle
export CTR_DEMO=$PWD/$build/tools/ctr-demo
export CTR_BUNDLE=$PWD/$build/tests/integration/busybox-bundle
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
tests/security/threads.sh "$PWD/$build/tests/security/sec-threads" "${2:-8}" "${3:-50}" 120 || exit
if ninja -C "$build" -t targets all | grep -q '^tests/image/test-import:'; then
	ninja -C "$build" tests/image/test-import
	"$build/tests/image/test-import" tests/image/mkimage.py
fi
