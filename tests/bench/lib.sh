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
