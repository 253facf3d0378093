#!/bin/bash
# Install libctr into a DESTDIR, build examples/ against the installed ctr.pc
# with the examples' Makefile, and run the C and Python examples.
. "$(dirname "$0")/lib.sh"
SRC=${CTR_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${CTR_BUILD_ROOT:-}

if [ -z "$BUILD" ] || [ ! -f "$BUILD/build.ninja" ]; then
	echo "Bail out! CTR_BUILD_ROOT is not a meson build directory ('$BUILD')"
	exit 1
fi

DEST=$TMP/dest
out=$(meson install -C "$BUILD" --no-rebuild --destdir "$DEST" 2>&1)
rc=$?
expect_eq "meson install --destdir: exit 0" 0 "$rc"
[ $rc = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
pc=$(find "$DEST" -name ctr.pc | head -n 1)
check "ctr.pc installed" test -n "$pc"
check "headers installed" test -n "$(find "$DEST" -path '*/include/ctr/ctr.h')"
# the API reference is checked when this configuration builds it (the api-reference target:
# docs=enabled, or auto with doxygen); not on docs/Doxyfile, which a reconfigured build keeps
if meson introspect "$BUILD" --targets | grep -q '"name": "api-reference"'; then
	check "API reference installed: HTML" test -n "$(find "$DEST" -path '*/doc/libctr/html/index.html')"
	man=$(find "$DEST" -name 'container.h.3ctr' | head -n 1)
	check "API reference installed: man pages (container.h.3ctr)" test -n "$man"
	check "a man page for each function (ctr_container_create.3ctr)" \
		test -f "$(dirname "$man")/ctr_container_create.3ctr"
	check "the man page documents ctr_container_create's errors" grep -q 'EEXIST' "$man"
fi
so=$(find "$DEST" -name 'libctr.so.0' | head -n 1)
check "libctr.so.0 installed" test -n "$so"
libdir=$(dirname "$so")

export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$DEST
expect_match "pkg-config --cflags ctr points into the DESTDIR" "^-I$DEST/" "$(pkg-config --cflags ctr 2>&1)"
expect_eq "pkg-config --modversion ctr" "$(meson introspect "$BUILD" --projectinfo | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" "$(pkg-config --modversion ctr 2>&1)"

# (without the sysroot, whose prefix keeps pkg-config from dropping the dependencies' -I/usr/include)
expect_eq "pkg-config --cflags ctr is libctr's include directory alone (no json-c)" \
	"-I$(PKG_CONFIG_SYSROOT_DIR= pkg-config --variable=includedir ctr)" "$(PKG_CONFIG_SYSROOT_DIR= pkg-config --cflags ctr 2>&1 | sed "s/ *$//")"
libs_static=$(pkg-config --static --libs ctr 2>&1)
for l in -lctr -lseccomp -lyaml -lz -lzstd -ljson-c; do
	expect_match "pkg-config --static --libs ctr names $l" "(^| )$l( |$)" "$libs_static"
done
# opened with dlopen on first use (lib/net/nftnl-dl.h, lib/net/mnl-dl.h), as libcrypto and libcurl are
for l in -lnftnl -lmnl; do
	expect_nomatch "pkg-config --static --libs ctr does not name $l" "(^| )$l( |$)" "$libs_static"
done

cp -r "$SRC/examples" "$TMP/examples"
out=$(make -C "$TMP/examples" 2>&1)
rc=$?
expect_eq "examples build with the Makefile and pkg-config" 0 "$rc"
[ $rc = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'

# libctr.a alone (its dependencies shared), as a daemon links it: only
# pkg-config --static's flags, with -lctr naming the archive
buildopt() { # buildopt NAME: the value of a meson option of this build
	meson introspect "$BUILD" --buildoptions | python3 -c 'import json, sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]][0])' "$1"
}
deflib=$(buildopt default_library)
# a sanitizer build's libctr.a calls into the sanitizer runtimes: a program linking it links them too
san=$(buildopt b_sanitize)
sanflags=
[ "$san" = none ] || sanflags=-fsanitize=$san
if [ "$deflib" = shared ]; then
	skip "libctr.a" "this build has -Ddefault_library=shared (meson configure $BUILD -Ddefault_library=both)"
else
	check "libctr.a installed" test -f "$libdir/libctr.a"
	out=$(cc -std=c11 -Wall -Wextra -Werror $sanflags -o "$TMP/embed-static" "$TMP/examples/embed.c" $(pkg-config --cflags ctr) \
		$(printf '%s\n' "$libs_static" | sed 's/-lctr\b/-l:libctr.a/') 2>&1)
	rc=$?
	expect_eq "examples/embed.c links statically with pkg-config --static --libs ctr" 0 "$rc"
	[ $rc = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
	expect_nomatch "the static embed needs no libctr.so" "libctr\.so" "$(ldd "$TMP/embed-static" 2>&1)"
	expect_eq "libctr.a defines only the exported API (no internal or libarchive name)" "" \
		"$(nm -g --defined-only "$libdir/libctr.a" | awk 'NF == 3 && $3 !~ /^ctr_/ {print $3}' | head -n 5)"
fi

export LD_LIBRARY_PATH=$libdir
# A sanitizer build (-Db_sanitize=address) leaves libasan as a dependency of
# libctr.so; programs built without it (the examples, python3) must load the
# runtime first.
asan=$(ldd "$libdir/libctr.so" 2>/dev/null | sed -n 's/.*libasan[^ ]* => \([^ ]*\).*/\1/p')
if [ -n "$asan" ]; then
	export LD_PRELOAD=$asan ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
fi
b=$(mkb examplebundle)

out=$(timeout 60 "$TMP/examples/embed" "$b" </dev/null 2>&1)
rc=$?
expect_eq "embed: exit 0" 0 "$rc"
expect_eq "embed: the container's output and the exit code" "hello from libctr
exit code 0" "$out"
check "embed: linked against the installed library" sh -c "ldd '$TMP/examples/embed' | grep -q '$libdir/libctr.so.0'"
if [ -x "$TMP/embed-static" ]; then
	out=$(timeout 60 "$TMP/embed-static" "$b" </dev/null 2>&1)
	expect_eq "embed linked with libctr.a: the container's output and the exit code" "hello from libctr
exit code 0" "$out"
fi

out=$(timeout 60 "$TMP/examples/epoll" "$b" "$ROOT" 5 </dev/null 2>&1)
expect_eq "epoll: 5 containers from one epoll loop, SIGCHLD ignored: exit 0" 0 "$?"
expect_eq "epoll: each exit code" "container 0 exited with 0
container 1 exited with 1
container 2 exited with 2
container 3 exited with 3
container 4 exited with 4" "$(printf '%s\n' "$out" | sort)"
expect_eq "epoll: nothing left in the state root" "" "$(state_left)"

out=$(timeout 60 "$TMP/examples/lifecycle" "$b" "$ROOT" </dev/null 2>&1)
rc=$?
expect_eq "lifecycle: exit 0" 0 "$rc"
expect_match "lifecycle: created" '^status: created$' "$out"
expect_match "lifecycle: running" '^status: running$' "$out"
expect_match "lifecycle: state JSON" '^state: \{.*"id": *"lifecycle-example"' "$(printf '%s\n' "$out" | tr -d '\n' | sed 's/status: running/\nstatus: running\n/; s/exit status/\nexit status/')"
expect_match "lifecycle: killed, exit status 137" '^exit status: 137$' "$out"
expect_match "lifecycle: stopped" '^status: stopped$' "$out"
expect_match "lifecycle: deleted" '^deleted$' "$out"
expect_eq "lifecycle: nothing left in the state root" "" "$(state_left)"

# the Python example uses the binding (bindings/python) from the tree; it
# loads libctr.so.0 from LD_LIBRARY_PATH, the installed library
export PYTHONPATH=$SRC/bindings/python/src PYTHONDONTWRITEBYTECODE=1
out=$(CTR_STATE_ROOT=$ROOT timeout 60 python3 "$TMP/examples/python/run.py" "$b" </dev/null 2>&1)
rc=$?
expect_eq "python: exit 0" 0 "$rc"
expect_match "python: version" '^libctr [0-9]+\.[0-9]+' "$out"
expect_match "python: output" '^output: hello from python$' "$out"
expect_match "python: exit code" '^exit code: 0$' "$out"
out=$(CTR_STATE_ROOT=$ROOT timeout 60 python3 "$TMP/examples/python/run.py" "$b" sh -c 'echo x; exit 3' </dev/null 2>&1)
expect_match "python: exit code 3" '^exit code: 3$' "$out"
rm -rf "$TMP/nobundle"; mkdir -p "$TMP/nobundle"
out=$(CTR_STATE_ROOT=$ROOT timeout 60 python3 "$TMP/examples/python/run.py" "$TMP/nobundle" </dev/null 2>&1)
rc=$?
expect_eq "python: a library error becomes CtrError, exit 1" 1 "$rc"
expect_match "python: the error message names the file" "^error \(.*\): .*$TMP/nobundle/config.json" "$out"
expect_eq "python: nothing left in the state root" "" "$(state_left)"

# Go (cgo): examples/go builds with `go build` against the installed ctr.pc
# (cgo runs pkg-config) with nothing from the network, and runs
if command -v go >/dev/null; then
	out=$(cd "$TMP/examples/go" && GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOPROXY=off GOFLAGS=-mod=mod \
		GOTOOLCHAIN=local timeout 300 go build -o "$TMP/embed-go" . 2>&1)
	rc=$?
	expect_eq "go: examples/go builds against the installed ctr.pc" 0 "$rc"
	[ $rc = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
	check "go: linked against the installed library" sh -c "ldd '$TMP/embed-go' | grep -q '$libdir/libctr.so.0'"
	out=$(timeout 60 "$TMP/embed-go" "$b" "$ROOT" </dev/null 2>&1)
	rc=$?
	expect_eq "go: exit 0" 0 "$rc"
	expect_match "go: the library's version and the headers'" '^libctr [0-9]+\.[0-9]+\.[0-9]+ \(headers [0-9]+\.[0-9]+\)$' "$out"
	expect_match "go: the container's output" '^output: hello from go$' "$out"
	expect_match "go: its exit code" '^exit code: 4$' "$out"
	out=$(timeout 60 "$TMP/embed-go" "$TMP/nobundle" "$ROOT" </dev/null 2>&1)
	rc=$?
	expect_eq "go: a library error is an *Error, exit 1" 1 "$rc"
	expect_match "go: with the code, errno and message naming the file" \
		"^error \(not-found, errno 2\): $TMP/nobundle/config.json" "$out"
	expect_eq "go: nothing left in the state root" "" "$(state_left)"
else
	skip "go: examples/go" "go is not installed (apt-get install golang-go)"
fi

finish
