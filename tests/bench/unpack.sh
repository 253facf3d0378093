#!/bin/bash
# unpack.sh [-n N] [--images "usr big"] [--tools "tar igzip umoci libctr"] [--threads]
#           [--cache DIR] [--fs-dir DIR] [--fs-size SIZE] [--build DIR] [--check]
#           [--dirs "usr/bin ..."] [-m M] [--no-unpack] [--no-start] [--image-only]
#
# Image unpack against GNU tar and umoci, each run on a freshly made file system.
# Two gzip images, built once into the cache dir (default /var/tmp/ctr-bench-unpack;
# about 1.5 GB: 0.55 GB + 0.95 GB of blobs):
#   usr  this machine's /usr/bin /usr/include /usr/share (--dirs): ~1.6 GB, >10,000
#        files, mostly small (a distribution image)
#   big  tests/bench/mk-big-files-layer.py: ~1.6 GB in 30-200 MiB .so-like files
#        of mixed incompressible / compressible data plus a few hundred small ones
#        (a CUDA / ML runtime layer)
# The tools (--tools, in this order, rotated each iteration):
#   tar     GNU tar -xzf BLOB (gzip as its child; no verification)
#   igzip   igzip -dc BLOB | tar -x (isa-l's inflate: the floor for a tar extract)
#   umoci   umoci unpack --image DIR:bench (verifies digests)
#   libctr  ctr-demo image unpack oci:DIR:bench (size, digest and DiffID verified)
#   layer   tests/image/test-layer-apply: ctr_layer_apply alone (not by default)
# Each run of each tool gets its own ext4: a sparse file of --fs-size (default 8G)
# in --fs-dir (default /var/tmp), mkfs.ext4 (inode tables written up front),
# loop device (direct I/O), mount, the timed run, umount, detach, delete.  ext4
# allocates inodes slowly for minutes after a mass delete, and a file system that
# earlier runs filled is not the same one either: a fresh one per run is the only
# fair comparison.  Runs are interleaved (iteration by iteration, tool by tool) so
# that load from others on the machine spreads over all tools.  N iterations
# (default 3).  Printed per image and tool: mean and stddev of the wall time and
# of the CPU time (user+sys, children included), the largest peak RSS of a
# process of the run (wait4's ru_maxrss: for tar and igzip|tar the largest of
# the pipeline's processes), then libctr's ratios to tar, umoci and igzip|tar.
# --threads samples libctr's threads from /proc (tests/bench/runstat.py) and
# prints the mean CPU of each thread (read+inflate, the two SHA-256 threads,
# the parser / main thread, the writers).
# Then a busybox container runs M times (default 20) from a bundle and from a
# cached image (ctr-demo run --image): the difference is the image work of a
# start.  With --check it exits 1 when libctr/tar > 0.32 or libctr/umoci > 0.2
# for an image, or the image work of a start is 50 ms or more.  --image-only
# builds the usr image (when the cache lacks it), prints its path and stops
# (tests/bench/pull.sh uses it).  Needs root; takes about 10 minutes with the
# defaults on a quiet 2-CPU machine.  Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
N=3
M=20
START=1
IMAGE_ONLY=0
CHECK=0
THREADS=0
CACHE=${CTR_BENCH_CACHE:-/var/tmp/ctr-bench-unpack}
FS_DIR=/var/tmp
FS_SIZE=8G
BUILD=
DIRS="usr/bin usr/include usr/share"
IMAGES="usr big"
TOOLS="tar igzip umoci libctr"
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	--images) IMAGES=$2; shift ;;
	--tools) TOOLS=$2; shift ;;
	--threads) THREADS=1 ;;
	--cache) CACHE=$2; shift ;;
	--fs-dir) FS_DIR=$2; shift ;;
	--fs-size) FS_SIZE=$2; shift ;;
	--check) CHECK=1 ;;
	--build) BUILD=$2; shift ;;
	--dirs) DIRS=$2; shift ;;
	-m) M=$2; shift ;;
	--no-unpack) N=0 ;;
	--no-start) START=0 ;;
	--image-only) IMAGE_ONLY=1 ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "unpack.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$BUILD" ]; then
	BUILD=$(bench_build tools/ctr-demo tests/image/test-layer-apply) || BUILD=
fi
[ -n "$BUILD" ] || { echo "unpack.sh: no build dir with ctr-demo and test-layer-apply; pass --build DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "unpack.sh: needs root (tar and umoci keep ownership; loop mounts)" >&2; exit 2; }
for t in $TOOLS; do
	case $t in
	tar|libctr|layer) ;;
	igzip) command -v igzip >/dev/null || { echo "unpack.sh: igzip is not installed (apt-get install isal), or leave igzip out of --tools" >&2; exit 2; } ;;
	umoci) command -v umoci >/dev/null || { echo "unpack.sh: umoci is not installed (apt-get install umoci), or leave umoci out of --tools" >&2; exit 2; } ;;
	*) echo "unpack.sh: --tools: unknown tool '$t' (tar igzip umoci libctr layer)" >&2; exit 2 ;;
	esac
done
for i in $IMAGES; do
	case $i in usr|big) ;; *) echo "unpack.sh: --images: unknown image '$i' (usr big)" >&2; exit 2 ;; esac
done
CTR_DEMO=$BUILD/tools/ctr-demo
APPLY=$BUILD/tests/image/test-layer-apply
RUNSTAT=$here/runstat.py

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/run.XXXXXX")
mnt=$work/mnt
fsimg=$FS_DIR/ctr-bench-unpack-fs.$$.img
loopdev=
cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
	[ -n "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null
	rm -f "$fsimg"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the images, built once ----
# write_oci DIR: DIR/layer.gz (the blob) and DIR/diffid (the tar's sha256) into an
# OCI layout DIR/oci with one manifest tagged "bench", and DIR/layer.txt
# ("DIGEST SIZE DIFFID", read by pull.sh) and DIR/info.txt ("USIZE ENTRIES").
write_oci() {
	local d=$1 img=$1/oci layer lsize diff_id config csize manifest msize
	rm -rf "$img"
	mkdir -p "$img/blobs/sha256"
	diff_id=$(cut -d' ' -f1 <"$d/diffid")
	layer=$(sha256sum "$d/layer.gz" | cut -d' ' -f1)
	lsize=$(stat -c %s "$d/layer.gz")
	mv "$d/layer.gz" "$img/blobs/sha256/$layer"
	ln -sfn "oci/blobs/sha256/$layer" "$d/layer.tar.gz"
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/usr/bin/true"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$diff_id" >"$d/config.json"
	config=$(sha256sum "$d/config.json" | cut -d' ' -f1)
	csize=$(stat -c %s "$d/config.json")
	mv "$d/config.json" "$img/blobs/sha256/$config"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
		"$config" "$csize" "$layer" "$lsize" >"$d/manifest.json"
	manifest=$(sha256sum "$d/manifest.json" | cut -d' ' -f1)
	msize=$(stat -c %s "$d/manifest.json")
	mv "$d/manifest.json" "$img/blobs/sha256/$manifest"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' \
		"$manifest" "$msize" >"$img/index.json"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$img/oci-layout"
	rm -f "$d/diffid"
	printf '%s %s %s\n' "$layer" "$lsize" "$diff_id" >"$d/layer.txt"
}

# build_image NAME DIR: the image's tar stream hashed (DiffID) and gzip'ed in one pass.
build_image() {
	local name=$1 d=$2 fifo=$2/tar.fifo hpid
	echo "# building the $name image into $d (once)" >&2
	rm -rf "$d/oci" "$d/layer.txt" "$d/info.txt" "$d/layer.tar.gz" "$fifo"
	mkdir -p "$d"
	mkfifo "$fifo"
	sha256sum <"$fifo" >"$d/diffid" &
	hpid=$!
	case $name in
	usr) { tar -C / --numeric-owner -cf - $DIRS 2>/dev/null || [ $? = 1 ]; } | tee "$fifo" | gzip -6 -n >"$d/layer.gz" ;;
	big) python3 "$here/mk-big-files-layer.py" | tee "$fifo" | gzip -6 -n >"$d/layer.gz" ;;
	esac
	wait "$hpid"
	rm -f "$fifo"
	write_oci "$d"
}

image_dir() { case $1 in usr) echo "$CACHE" ;; big) echo "$CACHE/big" ;; esac; }

if [ "$IMAGE_ONLY" = 1 ]; then
	[ -f "$CACHE/oci/index.json" ] && [ -f "$CACHE/layer.txt" ] || build_image usr "$CACHE"
	echo "$CACHE/oci"
	exit 0
fi

# ---- the runs ----

declare -A wall cpu rss thr thrn usize entries
if [ "$N" -gt 0 ]; then
	avail=$(df -k --output=avail "$FS_DIR" | tail -1)
	[ "$avail" -gt $((4 * 1024 * 1024)) ] || { echo "unpack.sh: less than 4 GiB free in $FS_DIR (--fs-dir)" >&2; exit 1; }
	for im in $IMAGES; do
		d=$(image_dir "$im")
		[ -f "$d/oci/index.json" ] && [ -f "$d/layer.txt" ] || build_image "$im" "$d"
		read -r layer lsize diff_id <"$d/layer.txt"
		blob=$d/oci/blobs/sha256/$layer
		if [ ! -f "$d/info.txt" ]; then
			tar -tvzf "$blob" | awk '{n++; s+=$3} END{print s, n}' >"$d/info.txt"
		fi
		read -r us en <"$d/info.txt"
		usize[$im]=$us entries[$im]=$en
		echo "# image $im: $(numfmt --to=iec "$lsize") gzip, $(numfmt --to=iec "$us") in $en entries"
	done
	echo "# each run on a fresh ext4 ($FS_SIZE sparse file in $FS_DIR, loop device); $N iterations, interleaved"
fi

for i in $(seq 1 "$N"); do
	# rotate the order each iteration: no tool always runs first or after the same one
	read -ra ts <<<"$TOOLS"
	order=
	for j in "${!ts[@]}"; do order="$order ${ts[$(((i - 1 + j) % ${#ts[@]}))]}"; done
	for im in $IMAGES; do
		d=$(image_dir "$im")
		read -r layer lsize diff_id <"$d/layer.txt"
		img=$d/oci
		blob=$img/blobs/sha256/$layer
		for t in $order; do
			cat "$blob" >/dev/null # the same warm page cache for every tool
			bench_fresh_fs
			out=$mnt/out
			sopt=
			case $t in
			tar) mkdir "$out"; cmd=(tar -xzf "$blob" -C "$out") ;;
			igzip) mkdir "$out"; cmd=(bash -c 'set -o pipefail; igzip -dc "$1" | tar -x -C "$2"' igzip "$blob" "$out") ;;
			umoci) cmd=(umoci unpack --image "$img:bench" "$out") ;;
			libctr) cmd=("$CTR_DEMO" image unpack --quiet "oci:$img:bench" "$out") ;;
			layer)
				mkdir "$out"
				cmd=("$APPLY" --media-type application/vnd.oci.image.layer.v1.tar+gzip --digest "sha256:$layer"
					--size "$lsize" --diff-id "sha256:$diff_id" "$out" "$blob") ;;
			esac
			[ "$THREADS" = 1 ] && { [ "$t" = libctr ] || [ "$t" = layer ]; } && sopt=--threads
			sync
			if ! python3 "$RUNSTAT" $sopt -- "${cmd[@]}" >"$work/stat"; then
				echo "unpack.sh: $t failed on the $im image: ${cmd[*]}" >&2
				exit 1
			fi
			bench_drop_fs
			read -r ms us sy maxrss _ <"$work/stat"
			c=$((us + sy))
			k=$im.$t
			wall[$k]="${wall[$k]:-} $ms"
			cpu[$k]="${cpu[$k]:-} $c"
			rss[$k]="${rss[$k]:-} $maxrss"
			printf '# run %d %-3s %-6s %6d ms wall %6d ms CPU (user %d, sys %d) %7d KiB peak RSS\n' \
				"$i" "$im" "$t" "$ms" "$c" "$us" "$sy" "$maxrss"
			while read -r _ name n tms; do
				thr[$k.$name]=$((${thr[$k.$name]:-0} + tms))
				thrn[$k.$name]=$n
			done < <(grep '^thread ' "$work/stat" || true)
		done
	done
done

fail_goal=0
if [ "$N" -gt 0 ]; then
	for im in $IMAGES; do
		echo
		echo "image $im: $(numfmt --to=iec "${usize[$im]}") in ${entries[$im]} entries; n=$N, a fresh ext4 per run"
		printf '  %-7s %9s %7s   %9s %7s   %s\n' tool "wall ms" stddev "CPU ms" stddev "peak RSS (largest of n)"
		for t in $TOOLS; do
			k=$im.$t
			read -r m sd <<<"$(bench_stats "${wall[$k]}")"
			read -r c csd <<<"$(bench_stats "${cpu[$k]}")"
			r=$(echo "${rss[$k]}" | tr ' ' '\n' | sort -n | tail -1)
			eval "mean_$t=$m cpu_$t=$c"
			printf '  %-7s %9d %7d   %9d %7d   %s MiB\n' "$t" "$m" "$sd" "$c" "$csd" "$((r / 1024))"
		done
		lib=${mean_libctr:-${mean_layer:-}}
		libc=${cpu_libctr:-${cpu_layer:-}}
		if [ -n "$lib" ]; then
			line='' cline=''
			[ -n "${mean_tar:-}" ] && line="$line   libctr/tar = $(bench_ratio "$lib" "$mean_tar") (goal <= 0.32)" &&
				cline="$cline   libctr/tar = $(bench_ratio "$libc" "${cpu_tar:-0}")"
			[ -n "${mean_umoci:-}" ] && line="$line   libctr/umoci = $(bench_ratio "$lib" "$mean_umoci") (goal <= 0.2)" &&
				cline="$cline   libctr/umoci = $(bench_ratio "$libc" "${cpu_umoci:-0}")"
			[ -n "${mean_igzip:-}" ] && line="$line   libctr/(igzip|tar) = $(bench_ratio "$lib" "$mean_igzip")"
			[ -z "$line" ] || echo "  wall:$line"
			[ -z "$cline" ] || echo "  CPU: $cline (steadier than wall time on a shared machine)"
			if [ -n "${mean_tar:-}" ] && [ -n "${mean_umoci:-}" ]; then
				awk -v l="$lib" -v a="$mean_tar" -v b="$mean_umoci" 'BEGIN{exit !(l <= 0.32 * a && l <= 0.2 * b)}' || fail_goal=1
			fi
		fi
		for t in libctr layer; do
			names=$(for k in "${!thr[@]}"; do case $k in "$im.$t".*) echo "${k#"$im.$t".}" ;; esac; done | sort)
			[ -n "$names" ] || continue
			echo "  $t per thread (mean CPU ms of a run; sampled from /proc every 20 ms):"
			for nm in $names; do
				printf '    %-16s x%-2s %7d\n' "$nm" "${thrn[$im.$t.$nm]}" "$((${thr[$im.$t.$nm]} / N))"
			done | sort -k3 -n -r
		done
		unset mean_tar mean_igzip mean_umoci mean_libctr mean_layer cpu_tar cpu_igzip cpu_umoci cpu_libctr cpu_layer
	done
fi

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
	ti='' tb=''
	for i in $(seq 1 "$M"); do
		s=$(date +%s%N); run_bundle "$i" || { echo "unpack.sh: bundle run failed" >&2; exit 1; }
		m=$(date +%s%N); run_image "$i" || { echo "unpack.sh: image run failed" >&2; exit 1; }
		e=$(date +%s%N)
		tb="$tb $(((m - s) / 1000)) "
		ti="$ti $(((e - m) / 1000)) "
	done
	read -r mb sdb <<<"$(bench_stats "$tb")"
	read -r mi sdi <<<"$(bench_stats "$ti")"
	start_ms=$(awk -v a="$mi" -v b="$mb" 'BEGIN{printf "%.1f", (a-b)/1000}')
	printf 'run, bundle       mean %7.1f ms  stddev %5.1f ms  (n=%d)\n' "$(awk -v a="$mb" 'BEGIN{print a/1000}')" "$(awk -v a="$sdb" 'BEGIN{print a/1000}')" "$M"
	printf 'run, cached image mean %7.1f ms  stddev %5.1f ms  (n=%d)\n' "$(awk -v a="$mi" 'BEGIN{print a/1000}')" "$(awk -v a="$sdi" 'BEGIN{print a/1000}')" "$M"
	echo "image work of a start = $start_ms ms (goal < 50)"
else
	echo "# cached start not measured (needs ctr-demo run --image and the busybox bundle of the build)"
fi

if [ "$CHECK" = 1 ]; then
	[ "$fail_goal" = 0 ] || { echo "unpack.sh: unpack goal missed (libctr/tar <= 0.32 and libctr/umoci <= 0.2 for each image)" >&2; exit 1; }
	[ -z "$start_ms" ] || awk -v a="$start_ms" 'BEGIN{exit !(a < 50)}' || { echo "unpack.sh: start goal missed" >&2; exit 1; }
fi
