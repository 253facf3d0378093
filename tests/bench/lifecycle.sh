#!/bin/bash
# lifecycle.sh [-n N] [--check] [--ctr-demo PATH] [--bundle DIR]
#
# The same /bin/true bundle run N times (default 100, after a warm-up) as
# create+start+wait+delete (`<runtime> --root X run -b bundle id`) through
# crun, runc and ctr-demo, in the same run.  Prints mean and stddev in ms per
# runtime and the ratios ctr-demo/crun and ctr-demo/runc.  With --check it
# exits 1 when ctr-demo/crun > 0.8.
#
# Everything runs inside `unshare -m` with the cgroup v1/v2 hybrid's
# /sys/fs/cgroup/unified unmounted, so crun 1.8 accepts the cgroup layout.
# Uses hyperfine when it is installed, else a loop timed with date +%s%N.
# Needs root.  Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
N=100
CHECK=0
CTR_DEMO=${CTR_DEMO:-}
BUNDLE=
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	--check) CHECK=1 ;;
	--ctr-demo) CTR_DEMO=$2; shift ;;
	--bundle) BUNDLE=$2; shift ;;
	-h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "lifecycle.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$CTR_DEMO" ]; then
	for d in "$src/build" "$src"/build-*; do
		[ -x "$d/tools/ctr-demo" ] && CTR_DEMO=$d/tools/ctr-demo && break
	done
fi
[ -x "${CTR_DEMO:-}" ] || { echo "lifecycle.sh: no ctr-demo; build first or pass --ctr-demo PATH" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "lifecycle.sh: needs root" >&2; exit 2; }

work=$(mktemp -d /tmp/ctr-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
if [ -z "$BUNDLE" ]; then
	"$src/tests/make-bundle.sh" "$(command -v busybox || echo /bin/busybox)" "$work/bundle"
	BUNDLE=$work/bundle
fi
python3 - "$BUNDLE/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
# crun 1.8 knows runtime-spec versions up to 1.1 ("unknown version specified" for 1.2.0)
c["ociVersion"] = "1.0.2"
json.dump(c, open(p, "w"), indent=1)
PY

runtimes=()
for r in crun runc; do
	if command -v $r >/dev/null; then runtimes+=("$r=$(command -v $r)"); else echo "# $r not installed: skipped (apt-get install $r)"; fi
done
runtimes+=("ctr-demo=$CTR_DEMO")

# one runtime's N runs, inside a private mount namespace; prints "mean stddev" in ms
measure() {
	local name=$1 bin=$2
	local root=$work/state-$name
	mkdir -p "$root"
	if command -v hyperfine >/dev/null; then
		unshare -m sh -c '
			umount /sys/fs/cgroup/unified 2>/dev/null
			hyperfine -N --style none --warmup 5 --runs "$1" --export-json "$2" \
				"$3 --root $4 run -b $5 bench-$6" >/dev/null' \
			sh "$N" "$work/$name.json" "$bin" "$root" "$BUNDLE" "$name" 2>"$work/$name.err" ||
			{ cat "$work/$name.err" >&2; return 1; }
		python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.3f %.3f" % (r["mean"] * 1000, (r["stddev"] or 0) * 1000))' "$work/$name.json"
	else
		unshare -m sh -c '
			umount /sys/fs/cgroup/unified 2>/dev/null
			i=0; while [ $i -lt 5 ]; do $2 --root $3 run -b $4 bench-$5 >/dev/null || exit 1; i=$((i+1)); done
			i=0; while [ $i -lt $1 ]; do
				s=$(date +%s%N); $2 --root $3 run -b $4 bench-$5 >/dev/null || exit 1; e=$(date +%s%N)
				echo $(( (e - s) / 1000 )); i=$((i+1))
			done' sh "$N" "$bin" "$root" "$BUNDLE" "$name" >"$work/$name.us"
		python3 -c 'import statistics,sys; v = [int(x) / 1000 for x in open(sys.argv[1])]; print("%.3f %.3f" % (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0))' "$work/$name.us"
	fi
}

declare -A mean
echo "# lifecycle: create+start+wait+delete of /bin/true, N=$N, $(nproc) cpus, kernel $(uname -r)"
printf '%-10s %10s %10s\n' runtime mean_ms stddev_ms
for rt in "${runtimes[@]}"; do
	name=${rt%%=*}
	bin=${rt#*=}
	if ! res=$(measure "$name" "$bin"); then
		echo "lifecycle.sh: $name failed to run the bundle; try: $bin --root /tmp/x run -b $BUNDLE id" >&2
		exit 1
	fi
	set -- $res
	mean[$name]=$1
	printf '%-10s %10.2f %10.2f\n' "$name" "$1" "$2"
done
status=0
for peer in crun runc; do
	[ -n "${mean[$peer]:-}" ] || continue
	ratio=$(python3 -c 'import sys; print("%.3f" % (float(sys.argv[1]) / float(sys.argv[2])))' "${mean[ctr-demo]}" "${mean[$peer]}")
	echo "ctr-demo/$peer = $ratio"
	if [ "$peer" = crun ] && [ $CHECK = 1 ] && python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.8 else 1)' "$ratio"; then
		echo "lifecycle.sh: --check: ctr-demo/crun = $ratio > 0.8" >&2
		status=1
	fi
done
exit $status
