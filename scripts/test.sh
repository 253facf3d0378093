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
rm -f "$build/meson-logs/failures.txt"
if [ "${CI:-}" = true ]; then
	export CTR_TESTS_MUST_RUN=1
fi
set +e
meson test -C "$build" --print-errorlogs "$@"
status=$?
# the failed tests again, short, in a file .ci/run prints last (CI shows the
# end of the log, and meson's error logs come long before it)
scripts/test-failures.py "$build" 60 >"$build/meson-logs/failures.txt" 2>&1
# CI: the 8-thread embedder (400 containers) under ThreadSanitizer too
if [ "${CI:-}" = true ] && [ $# -eq 0 ]; then
	if ! tests/security/tsan.sh "${build}-tsan"; then
		status=1
		echo "=== tests/security/tsan.sh ${build}-tsan failed (its output is above)" \
			>>"$build/meson-logs/failures.txt"
	fi
fi
set -e
exit $status
