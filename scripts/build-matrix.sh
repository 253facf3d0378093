#!/bin/bash
# build-matrix.sh: compile the whole tree (library, ctr-demo, tests) in the
# configurations packagers and developers use, with warnings as errors:
# gcc release (-O3), gcc -O2 with Debian's packaging flags (dpkg-buildflags:
# _FORTIFY_SOURCE=2, -fstack-protector-strong, -Werror=format-security),
# gcc -O0, clang release (-O3) and clang -O0.  Each configuration gets its
# own directory under ${CTR_MATRIX_DIR:-build-matrix}; they are reused on a
# second run.  Exits non-zero on the first configuration that does not
# compile clean.  CI runs it (.ci/run) before the test suite.
set -eu
cd "$(dirname "$0")/.."

top=${CTR_MATRIX_DIR:-build-matrix}
scripts/deps.sh
deb_cflags="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security -D_FORTIFY_SOURCE=2"
deb_ldflags="-Wl,-z,relro"
if command -v dpkg-buildflags >/dev/null; then
	deb_cflags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
	deb_ldflags=$(dpkg-buildflags --get LDFLAGS)
fi

# name, compiler, CFLAGS, LDFLAGS, meson arguments
configs=(
	"gcc-release|gcc|||--buildtype=release"
	"gcc-debian-O2|gcc|$deb_cflags|$deb_ldflags|--buildtype=plain"
	"gcc-O0|gcc|||--buildtype=debug"
	"clang-release|clang|||--buildtype=release"
	"clang-O0|clang|||--buildtype=debug"
)
for c in "${configs[@]}"; do
	IFS='|' read -r name cc cflags ldflags margs <<<"$c"
	dir=$top/$name
	echo "build-matrix.sh: $name ($cc $margs${cflags:+, CFLAGS=$cflags})"
	if [ ! -f "$dir/build.ninja" ]; then
		# shellcheck disable=SC2086 # margs is one word or none
		CC=$cc CFLAGS=$cflags LDFLAGS=$ldflags meson setup "$dir" $margs -Dwerror=true >"$top.$name.log" 2>&1 || {
			cat "$top.$name.log" >&2
			echo "build-matrix.sh: meson setup failed for $name" >&2
			exit 1
		}
		rm -f "$top.$name.log"
	fi
	ninja -C "$dir" >"$top.$name.log" 2>&1 || {
		grep -E -B2 -A6 'error|warning' "$top.$name.log" | head -80 >&2
		echo "build-matrix.sh: $name does not compile clean (warnings are errors here; $top.$name.log)" >&2
		exit 1
	}
	rm -f "$top.$name.log"
done
echo "build-matrix.sh: all ${#configs[@]} configurations compile without a warning"
