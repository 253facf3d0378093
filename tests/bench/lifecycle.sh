#!/bin/bash
# lifecycle.sh [-n N] [--check] [--ctr-demo PATH] [--bundle DIR] [--profile FILE|--no-seccomp]
#
# The same /bin/true bundle run N times (default 100, after a warm-up) as
# create+start+wait+delete (`<runtime> --root X run -b bundle id`) through
# crun, runc and ctr-demo, in the same run.  Prints mean and stddev in ms per
# runtime and the ratios ctr-demo/crun and ctr-demo/runc.  With --check it
# exits 1 when ctr-demo/crun > 0.5 (issue 3's goal).
# Every runtime gets podman's default capabilities and podman's default
# seccomp profile (default /usr/share/containers/seccomp.json, converted to
# linux.seccomp as containers/common does) in the bundle.
#
# Everything runs inside `unshare -m` with the cgroup v1/v2 hybrid's
# /sys/fs/cgroup/unified unmounted, so crun 1.8 accepts the cgroup layout,
# and each runtime's state root on its own tmpfs, as their defaults
# (/run/crun, /run/runc, /run/ctr) are: on a disk filesystem inode allocation
# for the state files is a large, noisy part of the time.
# Uses hyperfine when it is installed, else a loop timed with date +%s%N.
# Needs root.  Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
N=100
CHECK=0
CTR_DEMO=${CTR_DEMO:-}
BUNDLE=
PROFILE=/usr/share/containers/seccomp.json
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	--check) CHECK=1 ;;
	--ctr-demo) CTR_DEMO=$2; shift ;;
	--bundle) BUNDLE=$2; shift ;;
	--profile) PROFILE=$2; shift ;;
	--no-seccomp) PROFILE= ;;
	-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
[ -z "$PROFILE" ] || [ -r "$PROFILE" ] || { echo "lifecycle.sh: no seccomp profile $PROFILE (apt-get install golang-github-containers-common, or --profile FILE, or --no-seccomp)" >&2; exit 2; }

work=$(mktemp -d /tmp/ctr-bench.XXXXXX)
[ -n "${KEEP_BENCH:-}" ] && echo "# work dir $work (kept)"
[ -n "${KEEP_BENCH:-}" ] || trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
if [ -z "$BUNDLE" ]; then
	"$src/tests/make-bundle.sh" "$(command -v busybox || echo /bin/busybox)" "$work/bundle"
	BUNDLE=$work/bundle
fi
python3 - "$BUNDLE/config.json" "$PROFILE" <<'PY'
import json, os, platform, sys
p, profile = sys.argv[1], sys.argv[2]
c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
# crun 1.8 knows runtime-spec versions up to 1.1 ("unknown version specified" for 1.2.0)
c["ociVersion"] = "1.0.2"
# podman's default capabilities (containers.conf default_capabilities), in every set but ambient
caps = ["CAP_" + x for x in ("CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID "
                             "SETPCAP SETUID SYS_CHROOT").split()]
c["process"]["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted", "inheritable")}
c["process"]["capabilities"]["ambient"] = []
# podman's default seccomp profile turned into linux.seccomp the way containers/common's
# setupSeccomp does it: the native arch and its sub-arches from archMap, and the syscalls
# entries whose includes/excludes (caps against the bounding set, arches, minKernel) match
if profile:
    src = json.load(open(profile))
    goarch = {"x86_64": "amd64", "aarch64": "arm64", "ppc64le": "ppc64le", "s390x": "s390x"}.get(platform.machine(), platform.machine())
    scmparch = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64", "ppc64le": "SCMP_ARCH_PPC64LE", "s390x": "SCMP_ARCH_S390X"}[goarch]
    kver = tuple(int(x) for x in platform.release().split("-")[0].split(".")[:2])
    sc = {"defaultAction": src["defaultAction"]}
    if "defaultErrnoRet" in src:
        sc["defaultErrnoRet"] = src["defaultErrnoRet"]
    arches = []
    for a in src.get("archMap") or []:
        if a["architecture"] == scmparch:
            arches = [a["architecture"]] + list(a.get("subArchitectures") or [])
    if arches:
        sc["architectures"] = arches
    if src.get("flags"):
        sc["flags"] = src["flags"]
    bnd = set(caps)
    out = []
    for s in src["syscalls"]:
        ex, inc = s.get("excludes") or {}, s.get("includes") or {}
        if goarch in (ex.get("arches") or []) or any(x in bnd for x in ex.get("caps") or []):
            continue
        if inc.get("arches") and goarch not in inc["arches"]:
            continue
        if inc.get("caps") and not all(x in bnd for x in inc["caps"]):
            continue
        if inc.get("minKernel") and kver < tuple(int(x) for x in inc["minKernel"].split(".")[:2]):
            continue
        e = {"names": s["names"], "action": s["action"]}
        if "errnoRet" in s:
            e["errnoRet"] = s["errnoRet"]
        if s.get("args"):
            e["args"] = [{k: a[k] for k in ("index", "value", "valueTwo", "op") if k in a} for a in s["args"]]
        out.append(e)
    sc["syscalls"] = out
    c["linux"]["seccomp"] = sc
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
			mount -t tmpfs -o mode=0700 ctr-bench "$4" || exit 1
			hyperfine -N --style none --warmup 5 --runs "$1" --export-json "$2" \
				"$3 --root $4 run -b $5 bench-$6" >/dev/null' \
			sh "$N" "$work/$name.json" "$bin" "$root" "$BUNDLE" "$name" 2>"$work/$name.err" ||
			{ cat "$work/$name.err" >&2; return 1; }
		python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.3f %.3f" % (r["mean"] * 1000, (r["stddev"] or 0) * 1000))' "$work/$name.json"
	else
		unshare -m sh -c '
			umount /sys/fs/cgroup/unified 2>/dev/null
			mount -t tmpfs -o mode=0700 ctr-bench "$3" || exit 1
			i=0; while [ $i -lt 5 ]; do $2 --root $3 run -b $4 bench-$5 >/dev/null || exit 1; i=$((i+1)); done
			i=0; while [ $i -lt $1 ]; do
				s=$(date +%s%N); $2 --root $3 run -b $4 bench-$5 >/dev/null || exit 1; e=$(date +%s%N)
				echo $(( (e - s) / 1000 )); i=$((i+1))
			done' sh "$N" "$bin" "$root" "$BUNDLE" "$name" >"$work/$name.us"
		python3 -c 'import statistics,sys; v = [int(x) / 1000 for x in open(sys.argv[1])]; print("%.3f %.3f" % (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0))' "$work/$name.us"
	fi
}

declare -A mean
echo "# lifecycle: create+start+wait+delete of /bin/true, seccomp ${PROFILE:-none}, N=$N, $(nproc) cpus, kernel $(uname -r)"
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
	if [ "$peer" = crun ] && [ $CHECK = 1 ] && python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)' "$ratio"; then
		echo "lifecycle.sh: --check: ctr-demo/crun = $ratio > 0.5" >&2
		status=1
	fi
done
exit $status
