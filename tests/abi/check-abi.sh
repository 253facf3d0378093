#!/bin/bash
# check-abi.sh SOURCE_ROOT LIBCTR_SO  (TAP)
# The built library against the ABI of the newest release
# (abi/libctr.so.abi, made by scripts/abi-baseline.sh), with abidiff:
#  - nothing removed or changed incompatibly: no function or variable gone,
#    no signature or type changed, except that the versioned structs
#    (options, device info, port mapping, backend ops, image progress) may
#    grow by members appended after their released size (not into their
#    tail padding: a 0.1 caller's struct covers that);
#  - every symbol added since the release is in a version node that is not
#    released yet (lib/libctr.sym's rule);
#  - the soname is the release's (a new one needs a new baseline).
set -u
src=$1
lib=$2
base=$src/abi/libctr.so.abi
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	failed=1
	shift
	printf '%s\n' "$@" | head -n 60 | sed 's/^/#   /'
}
skip_all() {
	echo "1..0 # SKIP $1"
	[ "${CTR_TESTS_MUST_RUN:-0}" = 1 ] && exit 1
	exit 0
}

command -v abidiff >/dev/null || skip_all "abidiff is not installed (apt-get install abigail-tools)"
readelf -S "$lib" | grep -q '\.debug_info' ||
	skip_all "$lib has no debug information for abidiff: configure with -Ddebug=true (the default buildtype has it)"
[ -f "$base" ] || { echo "Bail out! no baseline $base (scripts/abi-baseline.sh)"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctr-abi-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# One suppression per versioned struct: members inserted from its released
# size (in bits, from the baseline) to the end, and the size change, are
# allowed; anything else about it is still reported.
versioned='ctr_context_options ctr_create_options ctr_exec_options ctr_image_options ctr_image_spec_options
	ctr_image_progress ctr_network_options ctr_net_options ctr_port_mapping ctr_accel_registry_options
	ctr_accel_device_info ctr_accel_backend_ops'
for s in $versioned; do
	bits=$(grep -oE "<class-decl name='$s' size-in-bits='[0-9]+'" "$base" | head -n 1 | tr -dc 0-9)
	if [ -z "$bits" ]; then
		echo "# $s is not in the baseline (new since the release): nothing to allow"
		continue
	fi
	printf '[suppress_type]\n  type_kind = struct\n  name = %s\n  has_data_member_inserted_between = {%s, end}\n  has_size_change = yes\n' \
		"$s" "$bits"
done >"$tmp/versioned.abignore"

out=$(abidiff --no-show-locs --no-added-syms --suppressions "$tmp/versioned.abignore" "$base" "$lib" 2>&1)
rc=$?
if [ $rc = 0 ]; then
	ok "abidiff: nothing removed or changed since the release (structs grown at their end allowed)"
else
	# abidiff's status bits: 4 an ABI change, 8 an incompatible one, 1 or 2 an error
	notok "abidiff: nothing removed or changed since the release (status $rc)" "$out" \
		"a deliberate break needs a new soname and baseline (lib/libctr.sym, abi/README.md)"
fi

released=$(awk '!/^#/ && NF == 2 {print $1}' "$src/abi/releases")
added=$(abidiff --no-show-locs "$base" "$lib" 2>/dev/null | grep -F '[A]' | grep -oE '\{[^}]*@@?[A-Z0-9_.]+\}' | tr -d '{}')
bad=
for a in $added; do
	node=${a##*@}
	for r in $released; do
		[ "$node" = "$r" ] && bad="$bad $a"
	done
done
if [ -z "$bad" ]; then
	ok "the $(echo "$added" | wc -w) symbols added since the release are in unreleased nodes ($(echo "$added" | sed 's/.*@//' | sort -u | tr '\n' ' '))"
else
	notok "symbols added since the release are in unreleased nodes" "added to a released node:$bad" \
		"put them in the newest node of lib/libctr.sym"
fi

want=$(grep -oE "soname='[^']*'" "$base" | head -n 1)
got=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/soname='"'"'\1'"'"'/p')
if [ "$want" = "$got" ]; then ok "the soname is the release's ($got)"; else notok "the soname is the release's" "baseline: $want" "built: $got"; fi
echo "1..$n"
exit $failed
