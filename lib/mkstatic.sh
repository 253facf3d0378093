#!/bin/sh
# mkstatic.sh OUT.a INTERNAL.a LIBCTR.SYM ARCHIVE_STATIC(yes|no) CC...
#
# libctr.a: the library's objects (and the parts of a static libarchive they
# use, as libctr.so has them) linked into one relocatable object whose only
# global definitions are the symbols lib/libctr.sym exports, so that a
# program linking libctr statically sees the same names as one linking
# libctr.so: no internal function (img_*, cdi_*, oci_*, ...) or libarchive
# symbol can collide with the program's own.  Test hooks (weak ctr_test_*
# references, see lib/net/network.c) stay undefined weak references, which
# the program's link resolves to NULL as the link of libctr.so does, under
# a name no program defines.  (They were once set to an absolute 0 with
# --defsym: code that takes a hidden symbol's address PC-relative then got
# the load address of a PIE, not NULL, and called it: ctr-demo crashed at
# its first network setup once it linked this object.)
set -eu
out=$1 internal=$2 sym=$3 archive_static=$4
shift 4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctr-static.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

hooks=$(nm "$internal" 2>/dev/null | awk '$1 == "w" && $2 ~ /^ctr_test_/ {print "--redefine-sym=" $2 "=libctr_static_unset_" $2}' | sort -u)
extra=
[ "$archive_static" = yes ] && extra="-Wl,-Bstatic -larchive"
# shellcheck disable=SC2086 # CC and the flag lists are words on purpose
"$@" -r -nostdlib -o "$tmp/libctr.o" -Wl,--whole-archive "$internal" -Wl,--no-whole-archive $extra

# the exported names: every "ctr_...;" line of the version script
sed 's,/\*.*\*/,,' "$sym" | sed -n 's/^[[:space:]]*\(ctr_[A-Za-z0-9_]*\);.*/\1/p' | sort -u >"$tmp/keep"
# shellcheck disable=SC2086 # one --redefine-sym word per hook
objcopy --keep-global-symbols="$tmp/keep" $hooks "$tmp/libctr.o"
rm -f "$out"
ar rcD "$out" "$tmp/libctr.o"
