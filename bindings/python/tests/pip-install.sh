#!/bin/bash
# pip-install.sh PYTHON BINDING_DIR LIBCTR_SO  (TAP)
# `pip install ./bindings/python` as a user does it on Debian 12 (whose
# system Python refuses pip installs outside a virtual environment, PEP 668):
# a fresh venv, pip install from a copy of the tree with --no-index (nothing
# may come from the network: the build backend is in the tree and needs
# nothing), then the installed package (not the source tree) passes the
# binding's tests against LIBCTR_SO.
set -u
py=$1
src=$(cd "$2" && pwd)
lib=$3
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	failed=1
	shift
	printf '%s\n' "$@" | tail -n 30 | sed 's/^/#   /'
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctr-pip.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! out=$("$py" -m venv "$tmp/venv" 2>&1); then
	echo "1..0 # SKIP $py -m venv: $out (apt-get install python3-venv)"
	[ "${CTR_TESTS_MUST_RUN:-0}" = 1 ] && exit 1
	exit 0
fi
cp -r "$src" "$tmp/src"
rm -rf "$tmp/src/tests"
out=$(cd "$tmp" && PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$tmp/venv/bin/pip" install --no-index \
	--no-cache-dir "$tmp/src" 2>&1)
if [ $? = 0 ]; then ok "pip install --no-index of the binding's tree in a venv"; else notok "pip install --no-index" "$out"; fi
out=$("$tmp/venv/bin/pip" show -f libctr 2>&1)
case "$out" in
*"ctr/py.typed"*) ok "pip show: libctr installed with its py.typed marker" ;;
*) notok "pip show: libctr installed with its py.typed marker" "$out" ;;
esac
where=$(cd "$tmp" && CTR_LIBRARY=$lib "$tmp/venv/bin/python" -c 'import ctr, os; print(os.path.dirname(ctr.__file__))' 2>&1)
case "$where" in
"$tmp/venv/"*) ok "import ctr finds the installed package" ;;
*) notok "import ctr finds the installed package" "$where" ;;
esac
out=$(cd "$tmp" && CTR_LIBRARY=$lib "$tmp/venv/bin/python" -m unittest discover -s "$src/tests" -t "$src/tests" 2>&1)
if [ $? = 0 ]; then ok "the binding's tests pass with the installed package"; else notok "the binding's tests pass with the installed package" "$out"; fi
printf '%s\n' "$out" | tail -n 1 | sed 's/^/# /'
out=$(cd "$tmp" && "$tmp/venv/bin/pip" uninstall -y libctr 2>&1)
if [ $? = 0 ]; then ok "pip uninstall"; else notok "pip uninstall" "$out"; fi
echo "1..$n"
exit $failed
