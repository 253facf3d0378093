#!/bin/bash
# demo.sh: dependencies, build, then run one container from the bundled
# busybox bundle with ctr-demo: a hello, uname -a, hostname, the network
# interfaces and the device nodes it sees.
set -eu
cd "$(dirname "$0")/.."

# CTR_BUILD_DIR: another build directory than ./build (developers' own ones)
build=${CTR_BUILD_DIR:-build}
scripts/build.sh

ctr=$build/tools/ctr-demo
bundle=$(mktemp -d /tmp/ctr-demo.XXXXXX)
root=$bundle.state
trap '"$ctr" --root "$root" delete --force demo >/dev/null 2>&1 || true; rm -rf "$bundle" "$root"' EXIT
rm -rf "$bundle"
cp -a "$build/tests/integration/busybox-bundle" "$bundle"
python3 - "$bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["hostname"] = "libctr-demo"
c["process"]["args"] = ["/bin/sh", "-c", """
echo "hello from a libctr container (pid $$ in its own pid namespace)"
echo; echo '$ uname -a'; uname -a
echo; echo '$ hostname'; hostname
echo; echo '$ ip addr'; ip addr 2>/dev/null || cat /proc/net/dev
echo; echo '$ ls -l /dev'; ls -l /dev
"""]
json.dump(c, open(p, "w"), indent=1)
PY
echo "+ $ctr --root $root run -b $bundle demo"
"$ctr" --root "$root" run -b "$bundle" demo
echo
echo "+ $ctr devices    # accelerators on this host, from every backend"
"$ctr" devices
