#!/bin/sh
# run-doxygen.sh DOXYGEN DOXYFILE OUTDIR: the API reference afresh (doxygen
# does not remove the pages of renamed or deleted members by itself).
set -eu
rm -rf "$3/html" "$3/man3"
exec "$1" "$2"
