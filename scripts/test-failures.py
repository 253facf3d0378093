#!/usr/bin/env python3
"""test-failures.py: the tests of a meson test run that did not pass, each
with the end of its output, from <build>/meson-logs/testlog.json.

CI shows only the end of a long log; scripts/test.sh writes this summary to
<build>/meson-logs/failures.txt and .ci/run prints it last, so that the
reason for a red run is on the page that is read.

usage: test-failures.py BUILD_DIR [LINES]   (exits 0; prints nothing when
every test passed or was skipped)"""
import json
import sys

build = sys.argv[1]
lines = int(sys.argv[2]) if len(sys.argv) > 2 else 40
try:
    log = open(f"{build}/meson-logs/testlog.json", encoding="utf-8", errors="replace")
except OSError as e:
    print(f"test-failures: {e}")
    sys.exit(0)
with log:
    for raw in log:
        t = json.loads(raw)
        if t.get("result") in ("OK", "SKIP", "EXPECTEDFAIL"):
            continue
        print(f"=== {t['name']}: {t.get('result')} (exit {t.get('returncode')}, "
              f"{t.get('duration', 0):.1f} s); the last {lines} lines of its output:")
        out = (t.get("stdout") or "").rstrip("\n").split("\n")
        for line in out[-lines:]:
            print(f"  {line}")
