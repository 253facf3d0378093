#!/bin/bash
# inprocess.sh [-n N] [--spec runc|podman] [--cgroups v1|hybrid|v2] [--check] [--ctr-demo PATH]
#
# What an embedding daemon pays per container: one process (tests/bench/
# inprocess) runs N containers (default 200) of /bin/true through the API
# (create, start, wait, delete), N more started by their create
# (CTR_CREATE_START, "api-start"), and execs `crun run` and `ctr-demo run` N
# times on the same bundle, in 10 interleaved rounds.  Prints mean, stddev,
# median and p90 per container and api/crun (issue 16's target: <= 0.35;
# --check exits 1 above it), api-start/crun, api-start/api, api/ctr-demo.  The bundle is runc's default spec
# (default) or podman's capabilities and seccomp profile (--spec podman).
# Runs in a private mount namespace, the state roots on tmpfs, in the cgroup
# layout of --cgroups as lifecycle.sh has them (v1, the default on a hybrid
# host: /sys/fs/cgroup/unified unmounted, as crun 1.8 needs; hybrid: the
# host's as it is; v2: cgroup2 mounted at /sys/fs/cgroup, the default on a
# pure v2 host); crun is left out, with its error, where it fails a first
# run (and --check then fails).  Needs root and a build.  Not part of the
# test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
N=200
SPEC=runc
CHECK=
CTR_DEMO=${CTR_DEMO:-}
LAYOUT=
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	--spec) SPEC=$2; shift ;;
	--check) CHECK="--check 0.35" ;;
	--ctr-demo) CTR_DEMO=$2; shift ;;
	--cgroups) LAYOUT=$2; shift ;;
	-h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
bench_layout inprocess.sh
CRUN_ARGS=(--crun "$CRUN" --crun-root "$work/crun")
if ! why=$(bench_try_run "$CRUN" "$work/crun" "$work/bundle"); then
	echo "# crun left out: it fails in the $LAYOUT layout: $why"
	CRUN_ARGS=()
	[ -n "$CHECK" ] && { echo "inprocess.sh: --check: crun cannot run in the $LAYOUT layout" >&2; exit 1; }
fi
echo "# in-process: $N containers of /bin/true ($SPEC bundle) through the API in one process vs exec'ing crun / ctr-demo run; $(nproc) cpus, kernel $(uname -r), cgroups $LAYOUT"
# shellcheck disable=SC2086 # CHECK is two words or none
unshare -m sh -c "$SETUP"'
	for d in "$1/api" "$1/crun" "$1/demo"; do mount -t tmpfs -o mode=0700 ctr-bench "$d" || exit 1; done
	shift
	exec "$@"' sh "$work" "$BIN" -n "$N" $CHECK --bundle "$work/bundle" --root "$work/api" \
	"${CRUN_ARGS[@]}" --ctr-demo "$CTR_DEMO" --ctr-demo-root "$work/demo"
