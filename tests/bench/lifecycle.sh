#!/bin/bash
# lifecycle.sh [-n N] [--spec runc|podman|both] [--cgroups v1|hybrid|v2] [--check] [--ctr-demo PATH]
#              [--baseline PATH] [--profile FILE]
#
# create+start+wait+delete of /bin/true (`<runtime> --root X run -b bundle id`)
# through ctr-demo, crun and runc, and the floor `unshare --fork -mpnui
# /bin/true` (the namespaces and the two execs every runtime needs, nothing
# else), interleaved round after round in a new random order each round
# (tests/bench/timeit) N times each (default 100) after 5 warm-up rounds,
# for two bundles (default both):
#   runc    runc's default spec (`runc spec`), no seccomp: the plainest
#   podman  podman's default capabilities and seccomp profile (--profile FILE,
#           default /usr/share/containers/seccomp.json)
# Prints per runtime mean, stddev, median, p10 and p90 in ms and the peak
# RSS (KiB, wait4's ru_maxrss of the runtime and what it waited for, as GNU
# time's %M), then the ratios ctr-demo/crun, ctr-demo/runc, ctr-demo/floor.
# With --check it exits 1 unless issue 16's targets hold: runc spec
# ctr-demo/crun <= 0.5 and ctr-demo/floor <= 1.6, podman ctr-demo/crun <= 0.4.
# --baseline PATH times another ctr-demo (an older build: copy its build
# directory, the binary finds its libctr.so beside it) in the same rounds,
# as "baseline", and prints ctr-demo/baseline.
#
# Everything runs inside `unshare -m`, each runtime's state root on its own
# tmpfs, as their defaults (/run/crun, /run/runc, /run/ctr) are, and the
# cgroup layout one of (--cgroups):
#   v1      (default on a v1/v2 hybrid host) the hybrid's cgroup2 mount,
#           /sys/fs/cgroup/unified, unmounted, so that crun 1.8 accepts it
#   hybrid  the host's layout as it is (crun 1.8 refuses a hybrid one)
#   v2      (default on a pure v2 host) /sys/fs/cgroup a cgroup2 mount: on a
#           hybrid host the v1 hierarchies are unmounted in the private mount
#           namespace and cgroup2 mounted there, the layout of a pure v2 host
#           (the controllers the v1 hierarchies hold stay there: none is
#           enabled in it)
# A peer that fails a first run in the layout is left out, with its error.
# Needs root and a build (timeit).  Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
N=100
CHECK=0
CTR_DEMO=${CTR_DEMO:-}
SPECS="runc podman"
BASELINE=
LAYOUT=
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	--check) CHECK=1 ;;
	--ctr-demo) CTR_DEMO=$2; shift ;;
	--spec)
		case $2 in
		runc | podman) SPECS=$2 ;;
		both) SPECS="runc podman" ;;
		*) echo "lifecycle.sh: --spec $2: runc, podman or both" >&2; exit 2 ;;
		esac
		shift ;;
	--no-seccomp) SPECS=runc ;;
	--baseline) BASELINE=$2; shift ;;
	--cgroups) LAYOUT=$2; shift ;;
	--profile) export PODMAN_SECCOMP=$2; shift ;;
	-h | --help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "lifecycle.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
build=
if [ -z "$CTR_DEMO" ]; then
	d=$(bench_build tools/ctr-demo) && CTR_DEMO=$d/tools/ctr-demo
fi
[ -x "${CTR_DEMO:-}" ] || { echo "lifecycle.sh: no ctr-demo; build first or pass --ctr-demo PATH" >&2; exit 2; }
build=$(cd "$(dirname "$CTR_DEMO")/.." && pwd)
TIMEIT=$build/tests/bench/timeit
[ -x "$TIMEIT" ] || { echo "lifecycle.sh: no $TIMEIT: build first (ninja -C $build)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "lifecycle.sh: needs root" >&2; exit 2; }

bench_layout lifecycle.sh

work=$(mktemp -d /tmp/ctr-bench.XXXXXX)
[ -n "${KEEP_BENCH:-}" ] && echo "# work dir $work (kept)"
[ -n "${KEEP_BENCH:-}" ] || trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
export CTR_DEMO

names=(floor)
for r in crun runc; do
	if command -v $r >/dev/null; then
		names+=("$r")
	else
		echo "# $r not installed: skipped (apt-get install $r)"
	fi
done
if [ -n "$BASELINE" ]; then
	[ -x "$BASELINE" ] || { echo "lifecycle.sh: --baseline $BASELINE is not an executable" >&2; exit 2; }
	names+=(baseline)
fi
names+=(ctr-demo)

status=0
for spec in $SPECS; do
	bundle=$work/bundle-$spec
	"$here/make-bench-bundle.sh" "$bundle" "$spec" /bin/true
	args=() roots=()
	for name in "${names[@]}"; do
		# a first run in the layout: a peer that cannot run there is left out
		if [ "$name" != floor ] && [ "$name" != ctr-demo ]; then
			bin=$(command -v "$name" || true)
			[ "$name" = baseline ] && bin=$BASELINE
			mkdir -p "$work/probe-$name"
			if ! why=$(bench_try_run "$bin" "$work/probe-$name" "$bundle"); then
				echo "# $name left out: it fails in the $LAYOUT layout: $why"
				continue
			fi
		fi
		case $name in
		floor) args+=("floor=$(command -v unshare) --fork -mpnui /bin/true") ;;
		ctr-demo) args+=("ctr-demo=$CTR_DEMO --root $work/state-$name run -b $bundle bench-$name") ;;
		baseline) args+=("baseline=$BASELINE --root $work/state-$name run -b $bundle bench-$name") ;;
		*) args+=("$name=$(command -v "$name") --root $work/state-$name run -b $bundle bench-$name") ;;
		esac
		[ "$name" = floor ] || { mkdir -p "$work/state-$name"; roots+=("$work/state-$name"); }
	done
	what="runc's default spec, no seccomp"
	[ "$spec" = podman ] && what="podman's capabilities and seccomp profile ${PODMAN_SECCOMP:-/usr/share/containers/seccomp.json}"
	echo "# lifecycle: create+start+wait+delete of /bin/true, $what; N=$N interleaved, $(nproc) cpus, kernel $(uname -r), cgroups $LAYOUT"
	if ! unshare -m sh -c "$SETUP"'
		timeit=$1 n=$2
		shift 2
		while [ "$1" != -- ]; do mount -t tmpfs -o mode=0700 ctr-bench "$1" || exit 1; shift; done
		shift
		exec "$timeit" -n "$n" -w 5 "$@"' sh "$TIMEIT" "$N" "${roots[@]}" -- "${args[@]}" >"$work/$spec.out" 2>"$work/$spec.err"; then
		cat "$work/$spec.err" >&2
		echo "lifecycle.sh: a runtime failed to run the $spec bundle ($bundle)" >&2
		exit 1
	fi
	python3 - "$work/$spec.out" "$spec" "$CHECK" "$LAYOUT" <<'PY' || status=1
import sys
rows = {}
print("%-10s %9s %9s %9s %9s %9s %11s" % ("runtime", "mean_ms", "stddev", "median", "p10", "p90", "maxrss_kib"))
for line in open(sys.argv[1]):
    name, mean, sd, med, p10, p90, rss = line.split()
    rows[name] = float(mean)
    print("%-10s %9.2f %9.2f %9.2f %9.2f %9.2f %11s" % (name, float(mean), float(sd), float(med), float(p10), float(p90), rss))
spec, check, layout = sys.argv[2], sys.argv[3] == "1", sys.argv[4]
ours = rows["ctr-demo"]
limits = {"runc": {"crun": 0.5, "floor": 1.6}, "podman": {"crun": 0.4}}[spec]
bad = []
for peer in ("crun", "runc", "floor", "baseline"):
    if peer in rows:
        ratio = ours / rows[peer]
        lim = limits.get(peer)
        print("ctr-demo/%s = %.3f%s" % (peer, ratio, " (target <= %.1f)" % lim if lim else ""))
        if lim and ratio > lim:
            bad.append("ctr-demo/%s = %.3f > %.1f" % (peer, ratio, lim))
if check and "crun" not in rows:
    bad.append("crun could not run in the %s layout: nothing to compare with" % layout)
if check and bad:
    print("lifecycle.sh: --check (%s bundle, cgroups %s): %s" % (spec, layout, "; ".join(bad)), file=sys.stderr)
    sys.exit(1)
PY
done
exit $status
