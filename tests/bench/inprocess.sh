#!/bin/bash
# inprocess.sh [-n N] [--spec runc|podman] [--check] [--ctr-demo PATH]
#
# What an embedding daemon pays per container: one process (tests/bench/
# inprocess) runs N containers (default 200) of /bin/true through the API
# (create, start, wait, delete), N more started by their create
# (CTR_CREATE_START, "api-start"), and execs `crun run` and `ctr-demo run` N
# times on the same bundle, in 10 interleaved rounds.  Prints mean, stddev,
# median and p90 per container and api/crun (issue 16's target: <= 0.35;
# --check exits 1 above it), api-start/crun, api-start/api, api/ctr-demo.  The bundle is runc's default spec
# (default) or podman's capabilities and seccomp profile (--spec podman).
# Runs in a private mount namespace with /sys/fs/cgroup/unified unmounted
# (crun 1.8 refuses the hybrid layout) and the state roots on tmpfs.  Needs
# root and a build.  Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
N=200
SPEC=runc
CHECK=
CTR_DEMO=${CTR_DEMO:-}
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	--spec) SPEC=$2; shift ;;
	--check) CHECK="--check 0.35" ;;
	--ctr-demo) CTR_DEMO=$2; shift ;;
	-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "inprocess.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$CTR_DEMO" ]; then
	d=$(bench_build tools/ctr-demo) && CTR_DEMO=$d/tools/ctr-demo
fi
[ -x "${CTR_DEMO:-}" ] || { echo "inprocess.sh: no ctr-demo; build first or pass --ctr-demo PATH" >&2; exit 2; }
BIN=$(cd "$(dirname "$CTR_DEMO")/.." && pwd)/tests/bench/inprocess
[ -x "$BIN" ] || { echo "inprocess.sh: no $BIN: build first" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "inprocess.sh: needs root" >&2; exit 2; }
CRUN=$(command -v crun) || { echo "inprocess.sh: crun is not installed (apt-get install crun)" >&2; exit 2; }

work=$(mktemp -d /tmp/ctr-inproc.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
export CTR_DEMO
"$here/make-bench-bundle.sh" "$work/bundle" "$SPEC" /bin/true
mkdir -p "$work/api" "$work/crun" "$work/demo"
echo "# in-process: $N containers of /bin/true ($SPEC bundle) through the API in one process vs exec'ing crun / ctr-demo run; $(nproc) cpus, kernel $(uname -r)"
# shellcheck disable=SC2086 # CHECK is two words or none
unshare -m sh -c '
	umount /sys/fs/cgroup/unified 2>/dev/null
	for d in "$1/api" "$1/crun" "$1/demo"; do mount -t tmpfs -o mode=0700 ctr-bench "$d" || exit 1; done
	shift
	exec "$@"' sh "$work" "$BIN" -n "$N" $CHECK --bundle "$work/bundle" --root "$work/api" \
	--crun "$CRUN" --crun-root "$work/crun" --ctr-demo "$CTR_DEMO" --ctr-demo-root "$work/demo"
