#!/bin/bash
# test.sh: dependencies, build (reusing ./build when it exists), and the whole
# test suite: unit, integration (root, real containers), fuzz corpora, abi.
# Exits with meson test's status.  With CI=true, skips count as failures
# (CTR_TESTS_MUST_RUN=1) and the threads test also runs under ThreadSanitizer
# (tests/security/tsan.sh, in <build>-tsan).
set -eu
cd "$(dirname "$0")/.."

# CTR_BUILD_DIR: another build directory than ./build (developers' own ones)
build=${CTR_BUILD_DIR:-build}
scripts/build.sh
if [ "${CI:-}" = true ]; then
	export CTR_TESTS_MUST_RUN=1
fi
set +e
meson test -C "$build" --print-errorlogs "$@"
status=$?
# CI: the 8-thread embedder (400 containers) under ThreadSanitizer too
if [ "${CI:-}" = true ] && [ $# -eq 0 ]; then
	tests/security/tsan.sh "${build}-tsan" || status=1
fi
set -e
exit $status
