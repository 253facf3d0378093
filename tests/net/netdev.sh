#!/bin/bash
# linux.netDevices (lib/net/netdev.c) through tests/net/netdev-driver, in
# network namespaces made here: the "host" is a network namespace of this
# test (unshare -n), the "container" a process in a new one inside it.  The
# devices are veth ends (this kernel has no dummy driver); nothing outside
# these namespaces is touched.
. "$(dirname "$0")/../integration/lib.sh" || exit 1
# everything below works in $TMP (lib.sh's): never run without it
[ -n "${TMP:-}" ] && [ -d "$TMP" ] || { echo "Bail out! tests/integration/lib.sh did not set up \$TMP"; exit 1; }

DRIVER=${NETDEV_DRIVER:-$CTR_BUILD_ROOT/tests/net/netdev-driver}
[ -x "$DRIVER" ] || { echo "Bail out! no netdev-driver at $DRIVER"; exit 1; }

# conf NAME PYTHON: $TMP/NAME.json, a config with the edits of PYTHON (c is the document)
conf() {
	python3 -c 'import json, sys
c = {"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "network"}, {"type": "mount"}]}}
exec(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"))' "$TMP/$1.json" "$2"
}

# the body runs in the test's own "host" network namespace; it prints TAP lines
cat >"$TMP/body.sh" <<'BODY'
set -u
DRIVER=$1 TMP=$2
T=0
FAILED=0
ok() { T=$((T + 1)); echo "ok $T - $1"; }
notok() { T=$((T + 1)); echo "not ok $T - $1"; FAILED=1; shift; local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done; }
expect_match() { if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; else notok "$1" "want match: $2" "got: $3"; fi; }
expect_nomatch() { if printf '%s\n' "$3" | grep -Eq -- "$2"; then notok "$1" "must not match: $2" "got: $3"; else ok "$1"; fi; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "want: $2" "got:  $3"; fi; }

ip link set lo up
mk() { ip link add "$1" type veth peer name "$1p" && ip link set "$1" address "$2"; }
# a "container": a process in a network namespace of its own (lo up, and net0 taken already)
ctn() {
	unshare -n sh -c 'ip link set lo up; ip link add net0 type veth peer name net0p; echo ready; exec sleep 1000' >"$TMP/ctn.$1" &
	CPID=$!
	for i in $(seq 50); do grep -q ready "$TMP/ctn.$1" 2>/dev/null && break; sleep 0.1; done
}
cx() { nsenter -t "$CPID" -n "$@"; }

mk nd0 02:00:00:00:d0:01
ip addr add 192.0.2.10/24 dev nd0
ip -6 addr add 2001:db8::10/64 dev nd0 nodad
ip addr add 198.51.100.1/24 dev nd0 valid_lft 300 preferred_lft 300
ip addr add 10.99.0.1/16 scope link dev nd0
mk nd1 02:00:00:00:d0:02
mk nd2 02:00:00:00:d0:03
mk nd3 02:00:00:00:d0:04
ip link set nd3 up

# 1. a move: renamed, kept, numbered
ctn a
out=$("$DRIVER" "$CPID" "$TMP/move.json" 2>&1)
expect_eq "move: exit 0" "0" "$?${out:+ $out}"
links=$(cx ip -o link show)
addrs=$(cx ip -o addr show)
expect_match "renamed as asked: nd0 is ctr0 in the container" '^[0-9]+: ctr0@' "$links"
expect_match "no name: the host's is kept (nd1)" '^[0-9]+: nd1@' "$links"
expect_match "a %d template numbers from the lowest free (net0 was there: net1, then net2)" \
	'net1@.*02:00:00:00:d0:03' "$(printf '%s\n' "$links" | grep -A1 -E ': net1@' | xargs)"
expect_match "the second template device is net2" ': net2@' "$links"
expect_match "up after the move" '^[0-9]+: ctr0@[^ ]* <[^>]*,UP[,>]' "$links"
expect_match "the MAC address is kept" 'ctr0@.*link/ether 02:00:00:00:d0:01' "$(printf '%s\n' "$links" | grep ctr0)"
expect_match "permanent IPv4 address of global scope kept" 'ctr0 +inet 192\.0\.2\.10/24 ' "$addrs"
expect_match "permanent IPv6 address of global scope kept" 'ctr0 +inet6 2001:db8::10/64 ' "$addrs"
expect_nomatch "an address with a lifetime is not permanent: not kept" '198\.51\.100\.1' "$addrs"
expect_nomatch "a link-scope address is not kept" '10\.99\.0\.1' "$addrs"
expect_eq "the moved devices are gone from the host" "" "$(ip -o link show | grep -E ': nd[012](@|:)')"
kill "$CPID"; wait "$CPID" 2>/dev/null

# 2. refusals, each leaving the host as it was (nd3 is moved first, then the failure)
for case in taken missing; do
	ctn "$case"
	before=$(ip -o addr show dev nd3; ip -o link show nd3 | grep -o '<[^>]*>')
	ip addr add 203.0.113.5/24 dev nd3 2>/dev/null
	out=$("$DRIVER" "$CPID" "$TMP/$case.json" 2>&1)
	rc=$?
	expect_eq "$case: exit 1" 1 "$rc"
	case $case in
	taken) expect_match "a name the container has already (lo): an error naming the device and the name" \
		'linux\.netDevices\["nd4"\]: the container.s network namespace has a device named .lo. already' "$out" ;;
	missing) expect_match "no such device: an error naming it" 'linux\.netDevices\["nd9"\]: there is no network interface .nd9.' "$out" ;;
	esac
	expect_match "$case: nd3, moved before the failure, is back on the host" '^[0-9]+: nd3@' "$(ip -o link show nd3 2>&1)"
	expect_match "$case: with its address" 'inet 203\.0\.113\.5/24' "$(ip -o addr show dev nd3 2>&1)"
	expect_match "$case: and up again" '<[^>]*UP' "$(ip -o link show nd3 2>&1)"
	expect_eq "$case: nothing left in the container" "" "$(cx ip -o link show | grep -vE ': (lo|net0@|net0p@)')"
	kill "$CPID"; wait "$CPID" 2>/dev/null
done

# 3. undo after a move (a create that fails later)
ctn undo
out=$("$DRIVER" "$CPID" "$TMP/undo.json" undo 2>&1)
expect_eq "undo: exit 0" "0" "$?${out:+ $out}"
expect_match "undo: the device is back under its old name" '^[0-9]+: nd3@' "$(ip -o link show nd3 2>&1)"
expect_match "undo: with its address" 'inet 203\.0\.113\.5/24' "$(ip -o addr show dev nd3 2>&1)"
expect_eq "undo: nothing left in the container" "" "$(cx ip -o link show | grep -vE ': (lo|net0@|net0p@)')"
kill "$CPID"; wait "$CPID" 2>/dev/null

# 4. no network namespace of its own
out=$("$DRIVER" "$$" "$TMP/own.json" 2>&1)
expect_match "the runtime's own network namespace: an error" "linux\.netDevices: the container's network namespace is the runtime's own" "$out"
out=$("$DRIVER" "$$" "$TMP/nonet.json" 2>&1)
expect_match "no network namespace in the config: an error saying what to add" 'linux\.netDevices: the container has no network namespace of its own.*"network"' "$out"
expect_match "nd3 stays on the host" '^[0-9]+: nd3@' "$(ip -o link show nd3 2>&1)"

# 5. libmnl is opened on first use (lib/net/mnl-dl.h), not linked: without it (an empty
# file mounted over it) the first netlink step says what is missing and moves nothing
libctr_so=$(ldd "$DRIVER" | awk '$1 ~ /^libctr\.so/ {print $3}')
if readelf -d "${libctr_so:-$DRIVER}" | grep -q 'NEEDED.*libmnl'; then
	notok "libctr does not link libmnl" "$(readelf -d "${libctr_so:-$DRIVER}" | grep NEEDED)"
else
	ok "libctr does not link libmnl"
fi
mnl=$(ldconfig -p | awk '$1 == "libmnl.so.0" && /x86-64|64bit/ {print $NF; exit}')
if [ -n "$mnl" ]; then
	ctn hidden
	out=$(unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$mnl" "$DRIVER" "$CPID" "$TMP/undo.json" 2>&1)
	expect_match "libmnl hidden: the move fails naming libmnl and its package" "cannot load libmnl: .*apt-get install libmnl0" "$out"
	expect_match "libmnl hidden: nd3 stays on the host" '^[0-9]+: nd3@' "$(ip -o link show nd3 2>&1)"
	kill "$CPID"; wait "$CPID" 2>/dev/null
else
	ok "# SKIP libmnl hidden: ldconfig does not list libmnl.so.0"
fi
echo "1..$T"
exit $FAILED
BODY

conf move 'c["linux"]["netDevices"] = {"nd0": {"name": "ctr0"}, "nd1": {}, "nd2": {"name": "net%d"}, "nd2p": {"name": "net%d"}}'
conf taken 'c["linux"]["netDevices"] = {"nd3": {"name": "moved3"}, "nd4": {"name": "lo"}}'
conf missing 'c["linux"]["netDevices"] = {"nd3": {}, "nd9": {}}'
conf undo 'c["linux"]["netDevices"] = {"nd3": {"name": "u0"}}'
conf own 'c["linux"]["netDevices"] = {"nd3": {}}'
conf nonet 'c["linux"]["netDevices"] = {"nd3": {}}; c["linux"]["namespaces"] = [{"type": "mount"}]'
# nd4 exists for "taken" (its move is refused; nd3 before it in order is moved, then put back)
sed -i 's/^mk nd3 02:00:00:00:d0:04$/mk nd3 02:00:00:00:d0:04\nmk nd4 02:00:00:00:d0:05/' "$TMP/body.sh"
unshare -n /bin/bash "$TMP/body.sh" "$DRIVER" "$TMP"
FAILED=$?
trap - EXIT
cleanup
exit $FAILED
