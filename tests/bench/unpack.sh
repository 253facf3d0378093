#!/bin/bash
# unpack.sh [-n N] [-m M] [--cache DIR] [--check] [--build DIR] [--dirs "usr/bin ..."] [--no-unpack] [--no-start]
#           [--image-only]
#
# One large gzip image built once from this machine's /usr (default
# usr/bin usr/include usr/share: well over 1 GiB and 10,000 files) into an
# OCI layout in the cache dir (default /var/tmp/ctr-bench-unpack), then, in
# one run and N times each (default 3), each into a fresh directory on the
# same file system:
#   tar     GNU tar -xzf layer.tar.gz (no verification)
#   umoci   umoci unpack --image DIR:bench (verifies digests)
#   libctr  ctr-demo image unpack oci:DIR:bench (size, digest and DiffID verified)
#   layer   tests/image/test-layer-apply with the blob's digest, size and
#           DiffID: ctr_layer_apply alone, without the image layer around it
# Prints the mean and stddev per tool and the ratios libctr/tar, libctr/umoci.
# Then a busybox container runs M times (default 20) from a bundle and from a
# cached image (ctr-demo run --image): the difference is the image work of a
# start.  With --check it exits 1 when libctr/tar > 0.6, libctr/umoci > 0.3
# or the image work of a start is 50 ms or more.
# Wall time and CPU time (user+sys of the tool and its children: tar's gzip)
# are both reported: on a shared machine the CPU time is the steadier one.
# Output directories are kept until the end (a mass delete makes ext4's next
# inode allocations slow for minutes), so the file system needs room for
# 4*N copies.  Needs root.  --image-only builds the image (when the cache
# lacks it) and stops (tests/bench/pull.sh uses the same image).
# Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
N=3
M=20
START=1
IMAGE_ONLY=0
CHECK=0
CACHE=${CTR_BENCH_CACHE:-/var/tmp/ctr-bench-unpack}
BUILD=
DIRS="usr/bin usr/include usr/share"
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	--cache) CACHE=$2; shift ;;
	--check) CHECK=1 ;;
	--build) BUILD=$2; shift ;;
	--dirs) DIRS=$2; shift ;;
	-m) M=$2; shift ;;
	--no-unpack) N=0 ;;
	--no-start) START=0 ;;
	--image-only) IMAGE_ONLY=1 ;;
	-h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unpack.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$BUILD" ]; then
	for d in "$src/build" "$src"/build-*; do
		[ -x "$d/tools/ctr-demo" ] && [ -x "$d/tests/image/test-layer-apply" ] && BUILD=$d && break
	done
fi
[ -n "$BUILD" ] || { echo "unpack.sh: no build dir with ctr-demo and test-layer-apply; pass --build DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "unpack.sh: needs root (tar and umoci keep ownership)" >&2; exit 2; }
command -v umoci >/dev/null || { echo "unpack.sh: umoci is not installed (apt-get install umoci)" >&2; exit 2; }
CTR_DEMO=$BUILD/tools/ctr-demo
APPLY=$BUILD/tests/image/test-layer-apply

stats() { echo "$1" | tr ' ' '\n' | awk 'NF{n++; s+=$1; q+=$1*$1} END{m=s/n; v=q/n-m*m; if(v<0)v=0; printf "%.0f %.0f", m, sqrt(v)}'; }
mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
r_tar=0 r_umoci=0

# ---- the image, built once ----
img=$CACHE/oci
if [ "$N" -gt 0 ]; then
if [ ! -f "$img/index.json" ]; then
	echo "# building the image from /$DIRS into $CACHE (once)"
	rm -rf "$img" "$CACHE/layer.txt" "$CACHE/layer.tar.gz"
	mkdir -p "$img/blobs/sha256"
	tar -C / --numeric-owner -cf "$CACHE/layer.tar" $DIRS 2>/dev/null || [ $? = 1 ]
	diff_id=$(sha256sum "$CACHE/layer.tar" | cut -d' ' -f1)
	gzip -6 -n "$CACHE/layer.tar"
	layer=$(sha256sum "$CACHE/layer.tar.gz" | cut -d' ' -f1)
	lsize=$(stat -c %s "$CACHE/layer.tar.gz")
	mv "$CACHE/layer.tar.gz" "$img/blobs/sha256/$layer"
	ln -s "oci/blobs/sha256/$layer" "$CACHE/layer.tar.gz"
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/usr/bin/true"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$diff_id" >"$CACHE/config.json"
	config=$(sha256sum "$CACHE/config.json" | cut -d' ' -f1)
	csize=$(stat -c %s "$CACHE/config.json")
	mv "$CACHE/config.json" "$img/blobs/sha256/$config"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
		"$config" "$csize" "$layer" "$lsize" >"$CACHE/manifest.json"
	manifest=$(sha256sum "$CACHE/manifest.json" | cut -d' ' -f1)
	msize=$(stat -c %s "$CACHE/manifest.json")
	mv "$CACHE/manifest.json" "$img/blobs/sha256/$manifest"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' \
		"$manifest" "$msize" >"$img/index.json"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$img/oci-layout"
	printf '%s %s %s\n' "$layer" "$lsize" "$diff_id" >"$CACHE/layer.txt"
fi
[ "$IMAGE_ONLY" = 1 ] && { echo "$img"; exit 0; }
read -r layer lsize diff_id <"$CACHE/layer.txt"
blob=$img/blobs/sha256/$layer
usize=$(gzip -l "$blob" | awk 'NR==2{print $2}')
files=$(tar -tzf "$blob" | wc -l)
echo "# image: $(numfmt --to=iec "$lsize") gzip, $(numfmt --to=iec "$usize") uncompressed (mod 4 GiB per gzip -l), $files entries"

# ---- the runs ----
cat "$blob" >/dev/null # the same warm page cache for every tool

run_tar() { mkdir "$1" && tar -xzf "$blob" -C "$1"; }
run_umoci() { umoci unpack --image "$img:bench" "$1" >/dev/null; }
run_libctr() { "$CTR_DEMO" image unpack --quiet "oci:$img:bench" "$1" >/dev/null; }
run_layer() {
	"$APPLY" --media-type application/vnd.oci.image.layer.v1.tar+gzip --digest "sha256:$layer" \
		--size "$lsize" --diff-id "sha256:$diff_id" "$1" "$blob"
}
tools="tar umoci libctr layer"
if ! "$CTR_DEMO" image unpack --help >/dev/null 2>&1; then
	echo "# ctr-demo has no 'image unpack': libctr is measured through test-layer-apply only"
	tools="tar umoci layer"
fi

declare -A times cputimes
for i in $(seq 1 "$N"); do
	for t in $tools; do
		out=$work/$t.$i
		sync
		/usr/bin/time -f '%e %U %S' -o "$work/time" bash -c "$(declare -f "run_$t"); blob='$blob' img='$img' \
			CTR_DEMO='$CTR_DEMO' APPLY='$APPLY' layer='$layer' lsize='$lsize' diff_id='$diff_id' run_$t '$out'" ||
			{ echo "unpack.sh: $t failed" >&2; exit 1; }
		read -r el us sy <"$work/time"
		ms=$(awk -v e="$el" 'BEGIN{printf "%d", e*1000}')
		cpu=$(awk -v u="$us" -v s="$sy" 'BEGIN{printf "%d", (u+s)*1000}')
		times[$t]="${times[$t]:-} $ms"
		cputimes[$t]="${cputimes[$t]:-} $cpu"
		echo "# run $i $t: $ms ms wall, $cpu ms CPU (user $us s, sys $sy s)"
		# kept until the end: ext4 skips inodes deleted in the last minutes when it
		# allocates (recently_deleted), which would slow whichever tool runs next
	done
done

for t in $tools; do
	read -r m sd <<<"$(stats "${times[$t]}")"
	read -r c csd <<<"$(stats "${cputimes[$t]}")"
	eval "mean_$t=$m cpu_$t=$c"
	printf '%-7s mean %6d ms  stddev %5d ms   CPU (user+sys, children included) %6d ms  stddev %5d ms  (n=%d)\n' \
		"$t" "$m" "$sd" "$c" "$csd" "$N"
done
lib=${mean_libctr:-$mean_layer}
r_tar=$(awk -v a="$lib" -v b="$mean_tar" 'BEGIN{printf "%.2f", a/b}')
r_umoci=$(awk -v a="$lib" -v b="$mean_umoci" 'BEGIN{printf "%.2f", a/b}')
echo "libctr/tar   = $r_tar (goal <= 0.6)"
echo "libctr/umoci = $r_umoci (goal <= 0.3)"
libc=${cpu_libctr:-$cpu_layer}
echo "CPU time: libctr/tar = $(awk -v a="$libc" -v b="$cpu_tar" 'BEGIN{printf "%.2f", a/b}'), libctr/umoci = $(awk -v a="$libc" -v b="$cpu_umoci" 'BEGIN{printf "%.2f", a/b}') (less sensitive to other load on the machine)"
if [ -n "${mean_libctr:-}" ]; then
	echo "layer/tar    = $(awk -v a="$mean_layer" -v b="$mean_tar" 'BEGIN{printf "%.2f", a/b}') (ctr_layer_apply alone)"
fi
fi # N > 0

# ---- a second container from the cached image ----
# The same busybox rootfs run (sh -c true) M times from a bundle and from a
# stored image (overlay of its cached layers); the difference of the means is
# the image work of a start: store lookup, config conversion, overlay mount
# and unmount.
start_ms=
bb_bundle=$BUILD/tests/integration/busybox-bundle
if [ "$START" = 1 ] && [ -d "$bb_bundle/rootfs" ] && "$CTR_DEMO" run --help 2>&1 | grep -q -- --image; then
	bb=$CACHE/bb
	if [ ! -f "$bb/index.json" ]; then
		python3 "$src/tests/image/mkimage.py" "$bb" '{"images":[{"tag":"v1","config":{"Cmd":["/bin/sh","-c","true"]},"layers":[[{"path":"bin","type":"dir"},{"path":"bin/busybox","file":"'"$(command -v busybox || echo /bin/busybox)"'"},{"path":"bin/sh","link":"busybox"}]]}]}'
	fi
	state=$work/state
	store=$work/store
	bundle=$work/bundle
	mkdir -p "$bundle"
	cp -a "$bb_bundle/rootfs" "$bundle/rootfs"
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["process"]["args"]=["/bin/sh","-c","true"]; c["process"]["terminal"]=False; json.dump(c,open(sys.argv[2],"w"))' \
		"$bb_bundle/config.json" "$bundle/config.json"
	"$CTR_DEMO" --root "$state" --store "$store" image import --quiet "oci:$bb:v1" bb >/dev/null
	run_image() { "$CTR_DEMO" --root "$state" --store "$store" run --image bb --name "img-$$-$1" </dev/null >/dev/null; }
	run_bundle() { "$CTR_DEMO" --root "$state" run -b "$bundle" "bnd-$$-$1" </dev/null >/dev/null; }
	run_image w && run_bundle w # warm-up
	ti= tb=
	for i in $(seq 1 "$M"); do
		s=$(date +%s%N); run_bundle "$i" || { echo "unpack.sh: bundle run failed" >&2; exit 1; }
		m=$(date +%s%N); run_image "$i" || { echo "unpack.sh: image run failed" >&2; exit 1; }
		e=$(date +%s%N)
		tb="$tb $(((m - s) / 1000)) "
		ti="$ti $(((e - m) / 1000)) "
	done
	read -r mb sdb <<<"$(stats "$tb")"
	read -r mi sdi <<<"$(stats "$ti")"
	start_ms=$(awk -v a="$mi" -v b="$mb" 'BEGIN{printf "%.1f", (a-b)/1000}')
	printf 'run, bundle       mean %7.1f ms  stddev %5.1f ms  (n=%d)\n' "$(awk -v a="$mb" 'BEGIN{print a/1000}')" "$(awk -v a="$sdb" 'BEGIN{print a/1000}')" "$M"
	printf 'run, cached image mean %7.1f ms  stddev %5.1f ms  (n=%d)\n' "$(awk -v a="$mi" 'BEGIN{print a/1000}')" "$(awk -v a="$sdi" 'BEGIN{print a/1000}')" "$M"
	echo "image work of a start = $start_ms ms (goal < 50)"
else
	echo "# cached start not measured (needs ctr-demo run --image and the busybox bundle of the build)"
fi

if [ "$CHECK" = 1 ]; then
	[ "$N" = 0 ] || awk -v a="$r_tar" -v b="$r_umoci" 'BEGIN{exit !(a <= 0.6 && b <= 0.3)}' || { echo "unpack.sh: goal missed" >&2; exit 1; }
	[ -z "$start_ms" ] || awk -v a="$start_ms" 'BEGIN{exit !(a < 50)}' || { echo "unpack.sh: start goal missed" >&2; exit 1; }
fi
