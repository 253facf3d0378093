#!/bin/bash
# pull.sh [-n N] [--cache DIR] [--build DIR] [--dirs "usr/bin ..."] [--tools "libctr_store ..."] [--check]
#
# Registry pulls of the unpack benchmark's image (tests/bench/unpack.sh: one
# gzip layer of this machine's /usr/bin, /usr/include and /usr/share, about
# 1.4 GiB and 76,000 entries, built once into DIR, default
# /var/tmp/ctr-bench-unpack) from a local registry: Debian's docker-registry
# on 127.0.0.1 with TLS from a CA this script makes, anonymous, its storage
# kept in DIR/registry so the image is pushed (skopeo) only once.  Then, in
# one run and N times each (default 1), each into fresh directories on the
# same file system, kept until the end (a mass delete slows ext4's inode
# allocation for minutes):
#   libctr-store   ctr-demo image pull docker://... into an empty store
#                  (verified, decompressed and extracted while downloading;
#                  the store keeps the blob too)
#   libctr-rootfs  ctr-demo image unpack docker://... <dir>: straight to a
#                  rootfs, no store
#   skopeo+umoci   skopeo copy docker://... oci:<dir>:bench, then
#                  umoci unpack --image <dir>:bench <rootfs>
#   podman         podman pull with private storage (--root, --runroot in
#                  /run, overlay driver, TMPDIR in the run dir): podman's own
#                  store
# All with the registry's CA (--cert-dir / --src-cert-dir), all verify
# digests.  Prints wall and CPU time per tool and the ratios
#   libctr-rootfs / skopeo+umoci   (goal <= 0.5)
#   libctr-store  / podman         (goal <= 0.6)
# and, for reference, libctr-store / skopeo+umoci.  --check exits 1 when a
# goal is missed.  --dirs (with another --cache) builds a smaller image from
# other directories, and --tools runs only some of the four (no ratios
# then), for a quick try.  Needs root, docker-registry, skopeo, umoci and podman.
# Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
N=1
CHECK=0
CACHE=${CTR_BENCH_CACHE:-/var/tmp/ctr-bench-unpack}
BUILD=
DIRS=
TOOLS="libctr_store libctr_rootfs skopeo_umoci podman"
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	--cache) CACHE=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--dirs) DIRS=$2; shift ;;
	--tools) TOOLS=$2; shift ;;
	--check) CHECK=1 ;;
	-h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "pull.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$BUILD" ]; then
	BUILD=$(bench_build tools/ctr-demo tests/image/test-layer-apply) || BUILD=
fi
[ -n "$BUILD" ] || { echo "pull.sh: no build dir with ctr-demo; pass --build DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "pull.sh: needs root (umoci and podman keep ownership)" >&2; exit 2; }
for t in docker-registry skopeo umoci podman openssl; do
	command -v $t >/dev/null || { echo "pull.sh: $t is not installed" >&2; exit 2; }
done
CTR_DEMO=$BUILD/tools/ctr-demo

# ---- the image (unpack.sh builds it once) ----
img=$("$here/unpack.sh" --image-only --cache "$CACHE" --build "$BUILD" ${DIRS:+--dirs "$DIRS"} | tail -1)
[ -f "$img/index.json" ] || { echo "pull.sh: no image at $img" >&2; exit 1; }
read -r layer lsize diff_id <"$CACHE/layer.txt"

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/pull.XXXXXX")
regpid=
cleanup() {
	[ -n "$regpid" ] && kill "$regpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# ---- the registry: TLS from our own CA, storage cached ----
pki=$work/pki
certs=$work/certs
mkdir -p "$pki" "$certs" "$CACHE/registry"
(
	cd "$pki"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 1 \
		-subj /CN=ctr-bench-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr \
		-subj /CN=127.0.0.1
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile ext
) >/dev/null 2>&1
cp "$pki/ca.crt" "$certs/ca.crt"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $CACHE/registry
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: ctr-bench
  tls:
    certificate: $pki/server.crt
    key: $pki/server.key
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
regpid=$!
for i in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
ref=127.0.0.1:$port/bench:latest
if ! skopeo inspect --cert-dir "$certs" "docker://$ref" >/dev/null 2>&1; then
	echo "# pushing the image into the registry (once; kept in $CACHE/registry)"
	skopeo copy -q --dest-cert-dir "$certs" "oci:$img:bench" "docker://$ref"
fi
usize=$(gzip -l "$img/blobs/sha256/$layer" | awk 'NR==2{print $2}')
echo "# image: $(numfmt --to=iec "$lsize") gzip (one layer), registry https://127.0.0.1:$port, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

run_libctr_store() { "$CTR_DEMO" --store "$1" image pull -q --cert-dir "$certs" "docker://$ref" >/dev/null; }
run_libctr_rootfs() { "$CTR_DEMO" image unpack -q --cert-dir "$certs" "docker://$ref" "$1" >/dev/null; }
run_skopeo_umoci() {
	skopeo copy -q --src-cert-dir "$certs" "docker://$ref" "oci:$1.oci:bench" >/dev/null &&
		umoci unpack --image "$1.oci:bench" "$1" >/dev/null
}
run_podman() {
	mkdir -p "$1/tmp"
	local rr
	rr=$(mktemp -d /run/ctrbp.XXXXXX) # podman wants a short runroot (50 characters)
	TMPDIR=$1/tmp podman --root "$1/root" --runroot "$rr" --storage-driver overlay --cgroup-manager cgroupfs \
		--events-backend file pull -q --cert-dir "$certs" "docker://$ref" >/dev/null
	local rc=$?
	rm -rf "$rr"
	return $rc
}
tools=$TOOLS

declare -A times cputimes
for i in $(seq 1 "$N"); do
	for t in $tools; do
		out=$work/$t.$i
		sync
		cat "$CACHE/registry/docker/registry/v2/blobs/sha256/${layer:0:2}/$layer/data" >/dev/null 2>&1 || true
		/usr/bin/time -f '%e %U %S' -o "$work/time" bash -c "$(declare -f "run_$t"); CTR_DEMO='$CTR_DEMO' \
			certs='$certs' ref='$ref' run_$t '$out'" || { echo "pull.sh: $t failed" >&2; exit 1; }
		read -r el us sy <"$work/time"
		ms=$(awk -v e="$el" 'BEGIN{printf "%d", e*1000}')
		cpu=$(awk -v u="$us" -v s="$sy" 'BEGIN{printf "%d", (u+s)*1000}')
		times[$t]="${times[$t]:-} $ms"
		cputimes[$t]="${cputimes[$t]:-} $cpu"
		echo "# run $i $t: $ms ms wall, $cpu ms CPU (user $us s, sys $sy s), load $(cut -d' ' -f1 /proc/loadavg)"
	done
done

for t in $tools; do
	read -r m sd <<<"$(bench_stats "${times[$t]}")"
	read -r c csd <<<"$(bench_stats "${cputimes[$t]}")"
	eval "mean_$t=$m cpu_$t=$c"
	printf '%-14s mean %6d ms  stddev %5d ms   CPU (user+sys, children included) %6d ms  (n=%d)\n' "$t" "$m" "$sd" "$c" "$N"
done
for t in libctr_store libctr_rootfs skopeo_umoci podman; do
	case " $tools " in *" $t "*) ;; *) exit 0 ;; esac # ratios need all four
done
r1=$(bench_ratio "$mean_libctr_rootfs" "$mean_skopeo_umoci")
r2=$(bench_ratio "$mean_libctr_store" "$mean_podman")
echo "libctr-rootfs/skopeo+umoci = $r1 (goal <= 0.5)"
echo "libctr-store/podman        = $r2 (goal <= 0.6)"
echo "libctr-store/skopeo+umoci  = $(bench_ratio "$mean_libctr_store" "$mean_skopeo_umoci")"
echo "CPU time: libctr-rootfs/skopeo+umoci = $(bench_ratio "$cpu_libctr_rootfs" "$cpu_skopeo_umoci"), libctr-store/podman = $(bench_ratio "$cpu_libctr_store" "$cpu_podman")"
echo "# uncompressed $(numfmt --to=iec "$usize") (mod 4 GiB per gzip -l); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$CHECK" = 1 ]; then
	awk -v a="$r1" -v b="$r2" 'BEGIN{exit !(a <= 0.5 && b <= 0.6)}' || { echo "pull.sh: goal missed" >&2; exit 1; }
fi
