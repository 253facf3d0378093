#!/bin/bash
# import.sh [-n N] [--images "usr usr3"] [--tools "libctr libctr1 skopeo"] [--baseline PATH]
#           [--cache DIR] [--fs-dir DIR] [--fs-size SIZE] [--build DIR]
#
# An image imported into a store (what `run --image` and an engine's pull
# leave behind: the blobs kept, each layer extracted into a directory of its
# own for an overlay mount) against podman's store, each run on a freshly
# made file system holding the store.  The images, built once into the cache
# dir (default /var/tmp/ctr-bench-unpack, shared with unpack.sh):
#   usr   unpack.sh's image: this machine's /usr/bin /usr/include /usr/share in
#         one gzip layer (~1.6 GB, >10,000 files)
#   usr3  the same three directories as three layers, one each (a distribution
#         image's several layers, of unequal sizes)
# The tools (--tools, rotated each iteration; --baseline adds "baseline"):
#   libctr    ctr-demo --store S image import oci:DIR:bench (layers extracted
#             up to --max-transfers at once, default 3)
#   libctr1   the same with --max-transfers 1: one layer after another
#   skopeo    skopeo copy oci:DIR:bench containers-storage:[overlay@S+R]...:
#             podman's store (what `podman load` and `podman pull` write)
#   baseline  --baseline PATH, another ctr-demo (an older build), as libctr
# Every tool verifies the blobs' digests.  Runs are interleaved (iteration by
# iteration, tool by tool).  Printed per image and tool: mean and stddev of
# the wall time and of the CPU time (user+sys, children included) and the
# largest peak RSS, then libctr's ratios to the others.  Needs root, about 4
# GiB free in --fs-dir (default /var/tmp); takes about 5 minutes with the
# defaults.  Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
N=3
CACHE=${CTR_BENCH_CACHE:-/var/tmp/ctr-bench-unpack}
FS_DIR=/var/tmp
FS_SIZE=8G
BUILD=
BASELINE=
IMAGES="usr usr3"
TOOLS="libctr libctr1 skopeo"
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	--images) IMAGES=$2; shift ;;
	--tools) TOOLS=$2; shift ;;
	--baseline) BASELINE=$2; shift ;;
	--cache) CACHE=$2; shift ;;
	--fs-dir) FS_DIR=$2; shift ;;
	--fs-size) FS_SIZE=$2; shift ;;
	--build) BUILD=$2; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "import.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$BUILD" ] || BUILD=$(bench_build tools/ctr-demo) ||
	{ echo "import.sh: no build dir with tools/ctr-demo; pass --build DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "import.sh: needs root (loop mounts; the stores keep ownership)" >&2; exit 2; }
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || { echo "import.sh: --baseline $BASELINE is not an executable" >&2; exit 2; }
[ -z "$BASELINE" ] || TOOLS="$TOOLS baseline"
for t in $TOOLS; do
	case $t in
	libctr|libctr1|baseline) ;;
	skopeo) command -v skopeo >/dev/null || { echo "import.sh: skopeo is not installed (apt-get install skopeo), or leave it out of --tools" >&2; exit 2; } ;;
	*) echo "import.sh: --tools: unknown tool '$t' (libctr libctr1 skopeo)" >&2; exit 2 ;;
	esac
done
for i in $IMAGES; do
	case $i in usr|usr3) ;; *) echo "import.sh: --images: unknown image '$i' (usr usr3)" >&2; exit 2 ;; esac
done
CTR_DEMO=$BUILD/tools/ctr-demo
RUNSTAT=$here/runstat.py

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/import.XXXXXX")
mnt=$work/mnt
fsimg=$FS_DIR/ctr-bench-import-fs.$$.img
loopdev=
cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && umount -R "$mnt"
	[ -n "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null
	rm -f "$fsimg"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the images, built once ----
# usr3: each directory's tar stream hashed (its DiffID) and gzip'ed in one
# pass, the three at once; then the layout (oci-layout, index.json tagged
# "bench", manifest, config).
build_usr3() {
	local d=$CACHE/usr3 n
	echo "# building the usr3 image into $d (once)" >&2
	rm -rf "$d"
	mkdir -p "$d/oci/blobs/sha256"
	for n in bin include share; do
		mkfifo "$d/$n.fifo"
		sha256sum <"$d/$n.fifo" | cut -d' ' -f1 >"$d/$n.diffid" &
		{ { tar -C / --numeric-owner -cf - "usr/$n" 2>/dev/null || [ $? = 1 ]; } |
			tee "$d/$n.fifo" | gzip -6 -n >"$d/$n.gz"; } &
	done
	wait
	rm -f "$d"/*.fifo
	python3 - "$d" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
blobs = os.path.join(d, "oci", "blobs", "sha256")
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, h), "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
layers, diffs = [], []
for n in ["bin", "include", "share"]:
    h = hashlib.sha256()
    with open(os.path.join(d, n + ".gz"), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    os.rename(os.path.join(d, n + ".gz"), os.path.join(blobs, h.hexdigest()))
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + h.hexdigest(),
                   "size": os.path.getsize(os.path.join(blobs, h.hexdigest()))})
    diffs.append("sha256:" + open(os.path.join(d, n + ".diffid")).read().strip())
    os.unlink(os.path.join(d, n + ".diffid"))
cfg = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/usr/bin/true"]},
                      "rootfs": {"type": "layers", "diff_ids": diffs}}).encode())
man = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
                      "layers": layers}).encode())
json.dump({"schemaVersion": 2, "manifests": [dict(man, mediaType="application/vnd.oci.image.manifest.v1+json",
           annotations={"org.opencontainers.image.ref.name": "bench"})]}, open(os.path.join(d, "oci", "index.json"), "w"))
open(os.path.join(d, "oci", "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
}
image_dir() { case $1 in usr) echo "$CACHE/oci" ;; usr3) echo "$CACHE/usr3/oci" ;; esac; }

avail=$(df -k --output=avail "$FS_DIR" | tail -1)
[ "$avail" -gt $((4 * 1024 * 1024)) ] || { echo "import.sh: less than 4 GiB free in $FS_DIR (--fs-dir)" >&2; exit 1; }
for im in $IMAGES; do
	case $im in
	usr) [ -f "$CACHE/oci/index.json" ] || "$here/unpack.sh" --cache "$CACHE" --build "$BUILD" --image-only >/dev/null ;;
	usr3) [ -f "$CACHE/usr3/oci/index.json" ] || build_usr3 ;;
	esac
	d=$(image_dir "$im")
	echo "# image $im: $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(len(m["layers"]), "gzip layers,", sum(l["size"] for l in m["layers"]) >> 20, "MiB")' \
		"$d/blobs/sha256/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$d/index.json")")"
done
echo "# each run into a store on a fresh ext4 ($FS_SIZE sparse file in $FS_DIR, loop device); $N iterations, interleaved"

declare -A wall cpu rss
for i in $(seq 1 "$N"); do
	read -ra ts <<<"$TOOLS"
	order=
	for j in "${!ts[@]}"; do order="$order ${ts[$(((i - 1 + j) % ${#ts[@]}))]}"; done
	for im in $IMAGES; do
		img=$(image_dir "$im")
		for t in $order; do
			cat "$img"/blobs/sha256/* >/dev/null # the same warm page cache for every tool
			bench_fresh_fs
			case $t in
			libctr) cmd=("$CTR_DEMO" --store "$mnt/store" image import -q "oci:$img:bench" bench) ;;
			libctr1) cmd=("$CTR_DEMO" --store "$mnt/store" image import -q --max-transfers 1 "oci:$img:bench" bench) ;;
			baseline) cmd=("$BASELINE" --store "$mnt/store" image import -q "oci:$img:bench" bench) ;;
			skopeo) cmd=(skopeo copy -q "oci:$img:bench" "containers-storage:[overlay@$mnt/cs+$mnt/csrun]bench:latest") ;;
			esac
			sync
			if ! python3 "$RUNSTAT" -- "${cmd[@]}" >"$work/stat"; then
				echo "import.sh: $t failed on the $im image: ${cmd[*]}" >&2
				exit 1
			fi
			bench_drop_fs
			read -r ms us sy maxrss _ <"$work/stat"
			k=$im.$t
			wall[$k]="${wall[$k]:-} $ms"
			cpu[$k]="${cpu[$k]:-} $((us + sy))"
			rss[$k]="${rss[$k]:-} $maxrss"
			printf '# run %d %-4s %-8s %6d ms wall %6d ms CPU (user %d, sys %d) %7d KiB peak RSS\n' \
				"$i" "$im" "$t" "$ms" "$((us + sy))" "$us" "$sy" "$maxrss"
		done
	done
done

for im in $IMAGES; do
	echo
	echo "image $im: n=$N, a store on a fresh ext4 per run"
	printf '  %-8s %9s %7s   %9s %7s   %s\n' tool "wall ms" stddev "CPU ms" stddev "peak RSS (largest of n)"
	declare -A mean=()
	for t in $TOOLS; do
		k=$im.$t
		read -r m sd <<<"$(bench_stats "${wall[$k]}")"
		read -r c csd <<<"$(bench_stats "${cpu[$k]}")"
		r=$(echo "${rss[$k]}" | tr ' ' '\n' | sort -n | tail -1)
		mean[$t]=$m
		printf '  %-8s %9d %7d   %9d %7d   %s MiB\n' "$t" "$m" "$sd" "$c" "$csd" "$((r / 1024))"
	done
	if [ -n "${mean[libctr]:-}" ]; then
		line=
		for t in skopeo libctr1 baseline; do
			[ -n "${mean[$t]:-}" ] && line="$line   libctr/$t = $(bench_ratio "${mean[libctr]}" "${mean[$t]}")"
		done
		[ -z "$line" ] || echo "  wall:$line"
	fi
	unset mean
done
