#!/bin/bash
# make-bench-bundle.sh OUTDIR runc|podman [ARGS...]
#
# The benchmarks' bundle: the busybox rootfs of tests/make-bundle.sh with a
# config.json that every runtime takes (ociVersion 1.0.2: crun 1.8 knows
# runtime-spec versions up to 1.1), running ARGS (default /bin/true) without
# a terminal:
#   runc    runc's default spec, `runc spec` (ctr-demo spec when runc is not
#           installed: the same but for its hostname, a cgroup namespace and
#           one more masked path), no seccomp: the plainest configuration
#   podman  tests/make-bundle.sh's config with podman's default capabilities
#           and podman's default seccomp profile
#           (/usr/share/containers/seccomp.json, or $PODMAN_SECCOMP) turned
#           into linux.seccomp as containers/common's setupSeccomp does it
# CTR_DEMO names the ctr-demo binary for the fallback (default: the build's).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 OUTDIR runc|podman [ARGS...]" >&2; exit 2; }
out=$1 kind=$2
shift 2
case $kind in
runc | podman) ;;
*) echo "make-bench-bundle.sh: '$kind': the kinds are runc and podman" >&2; exit 2 ;;
esac
[ $# -gt 0 ] || set -- /bin/true
profile=${PODMAN_SECCOMP:-/usr/share/containers/seccomp.json}
if [ "$kind" = podman ] && [ ! -r "$profile" ]; then
	echo "make-bench-bundle.sh: no seccomp profile $profile (apt-get install golang-github-containers-common, or PODMAN_SECCOMP=FILE)" >&2
	exit 2
fi
"$src/tests/make-bundle.sh" "$(command -v busybox || echo /bin/busybox)" "$out"
base=
if [ "$kind" = runc ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctr-bench-spec.XXXXXX")
	if command -v runc >/dev/null; then
		(cd "$tmp" && runc spec)
	else
		ctr=${CTR_DEMO:-}
		if [ -z "$ctr" ]; then
			for d in "$src/build" "$src"/build-*; do
				[ -x "$d/tools/ctr-demo" ] && ctr=$d/tools/ctr-demo && break
			done
		fi
		[ -x "$ctr" ] || { echo "make-bench-bundle.sh: neither runc nor a built ctr-demo to write the spec" >&2; exit 2; }
		echo "# runc is not installed: the runc bundle has ctr-demo spec's config" >&2
		(cd "$tmp" && "$ctr" spec)
	fi
	cp "$tmp/config.json" "$out/config.json"
	rm -rf "$tmp"
fi
python3 - "$out/config.json" "$kind" "$profile" "$@" <<'PY'
import json, platform, sys
p, kind, profile, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
c = json.load(open(p))
c["process"]["args"] = args
c["process"]["terminal"] = False
c["ociVersion"] = "1.0.2"
if kind == "podman":
    # podman's default capabilities (containers.conf default_capabilities), in every set but ambient
    caps = ["CAP_" + x for x in ("CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID "
                                 "SETPCAP SETUID SYS_CHROOT").split()]
    c["process"]["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted", "inheritable")}
    c["process"]["capabilities"]["ambient"] = []
    # the profile as containers/common's setupSeccomp applies it: the native arch and its
    # sub-arches from archMap, and the syscalls entries whose includes/excludes (caps against
    # the bounding set, arches, minKernel) match
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
