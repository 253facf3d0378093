# Sourced by the benchmark scripts of tests/bench (after they set $src, the
# source tree).

# bench_build FILE...: the first build directory of the source tree (build,
# then build-*) in which every FILE (a path relative to it) is executable;
# nothing and status 1 when none is.
bench_build() {
	local d f
	for d in "$src/build" "$src"/build-*; do
		for f; do
			[ -x "$d/$f" ] || continue 2
		done
		echo "$d"
		return 0
	done
	return 1
}

# bench_layout PROG: checks $LAYOUT, the cgroup layout of --cgroups (v1, hybrid
# or v2; empty: v1 on a v1/v2 hybrid host, v2 on a pure v2 one, which has no
# other), and sets $SETUP, the sh code that makes it first thing in the
# benchmark's private mount namespace (see lifecycle.sh --help); exits 2 on a
# bad or impossible layout, naming PROG.
bench_layout() {
	local pure_v2=0
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && pure_v2=1
	if [ -z "$LAYOUT" ]; then
		LAYOUT=v1
		[ $pure_v2 = 1 ] && LAYOUT=v2
	fi
	case $LAYOUT in
	v1) SETUP='umount /sys/fs/cgroup/unified 2>/dev/null' ;;
	hybrid) SETUP=: ;;
	v2) SETUP='[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || { umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup; } || exit 1' ;;
	*) echo "$1: --cgroups $LAYOUT: v1, hybrid or v2" >&2; exit 2 ;;
	esac
	if [ $pure_v2 = 1 ] && [ "$LAYOUT" != v2 ]; then
		echo "$1: --cgroups $LAYOUT: this host is pure cgroup v2; only v2 is there" >&2
		exit 2
	fi
}

# bench_try_run BIN DIR BUNDLE: one `BIN --root DIR run -b BUNDLE probe` in the
# layout ($SETUP), DIR on a tmpfs of its own: a peer that cannot run there is
# left out.  On failure prints the first line of what it said, status 1.
bench_try_run() {
	local out
	out=$(unshare -m sh -c "$SETUP"'
		mount -t tmpfs -o mode=0700 ctr-bench "$1" && exec "$2" --root "$1" run -b "$3" probe' sh "$2" "$1" "$3" 2>&1) &&
		return 0
	printf '%s\n' "$out" | head -n 1
	return 1
}

# bench_fresh_fs / bench_drop_fs: a freshly made ext4 mounted on $mnt (a
# sparse file $fsimg of $FS_SIZE, mkfs.ext4 with the inode tables written up
# front, a loop device with direct I/O) and, after the timed run, everything
# under it unmounted (a tool may leave mounts there: containers-storage's
# overlay dir), the device detached and the file deleted.  ext4 allocates
# inodes slowly for minutes after a mass delete, and a file system that earlier
# runs filled is not the same one either: a fresh one per run is the only fair
# comparison.  Sets $loopdev while mounted.
bench_fresh_fs() {
	rm -f "$fsimg"
	truncate -s "$FS_SIZE" "$fsimg"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0,nodiscard "$fsimg"
	loopdev=$(losetup --direct-io=on -f --show "$fsimg")
	mkdir -p "$mnt"
	mount -o noinit_itable "$loopdev" "$mnt"
}
bench_drop_fs() {
	umount -R "$mnt"
	losetup -d "$loopdev"
	loopdev=
	rm -f "$fsimg"
}

# bench_stats "V1 V2 ...": "MEAN STDDEV" (sample standard deviation), rounded.
bench_stats() { echo "$1" | tr ' ' '\n' | awk 'NF{n++; s+=$1; q+=$1*$1} END{m=s/n; v=n>1?(q-n*m*m)/(n-1):0; if(v<0)v=0; printf "%.0f %.0f", m, sqrt(v)}'; }
# bench_ratio A B: A/B to two decimals, "-" when B is not positive.
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.2f", a/b; else printf "-"}'; }
