#!/bin/bash
# Crashes half-way through attach, and leases of containers that vanished.
# ctr-demo is killed with SIGKILL while it attaches (in ctr-demo-testhooks,
# the test-only build of ctr-demo with the library's internals linked in,
# CTR_TEST_NET_PAUSE makes lib/net wait at a named step and touch
# CTR_TEST_NET_PAUSE_FILE; see tests/net/test-hooks.c), then
# `delete --force` must leave no veth, lease or nftables element.  A lease
# whose container state dir is gone is reclaimed by the next attach.
# Everything runs in a network namespace made here.
. "$(dirname "$0")/../integration/lib.sh"

CTR_DEMO_TESTHOOKS=${1:-}
[ -x "$CTR_DEMO_TESTHOOKS" ] || { echo "Bail out! usage: net-crash.sh CTR_DEMO_TESTHOOKS"; exit 1; }
NS=ctrt$$-crash
NETS=$TMP/nets
at_cleanup "ip netns pids $NS 2>/dev/null | xargs -r kill -9; ip netns del $NS"
ip netns add "$NS" || { echo "Bail out! ip netns add $NS"; exit 1; }
nctr() { timeout 60 ip netns exec "$NS" "$CTR_DEMO" --root "$ROOT" --net-dir "$NETS" "$@"; }
leases() { jget "$(nctr network inspect n1)" '" ".join(c["id"] for c in d["containers"])'; }
veths() { ip -n "$NS" -o link show master "$BR" 2>/dev/null | wc -l; }
nft_elems() { ip netns exec "$NS" nft list map inet ctr dnat4_any 2>/dev/null | grep -o ': 10\.79\.' | wc -l; }

nctr network create --subnet 10.79.0.0/24 n1 >/dev/null 2>&1
check "network create" test $? = 0
BR=$(jget "$(nctr network inspect n1)" 'd["bridge"]')
B=$(mkb bundle)
args "$B" 'sleep 300'

# crash_at STEP ID: create ID with a published port, SIGKILL ctr-demo at STEP
crash_at() {
	local step=$1 id=$2 flag=$TMP/paused.$2 pid i
	# not through timeout: $! must be ctr-demo itself (ip netns exec execs it)
	CTR_TEST_NET_PAUSE=$step CTR_TEST_NET_PAUSE_FILE=$flag \
		ip netns exec "$NS" "$CTR_DEMO_TESTHOOKS" --root "$ROOT" --net-dir "$NETS" \
		create -b "$B" --network n1 -p "80$3:80" "$id" </dev/null >/dev/null 2>&1 &
	pid=$!
	track_pid "$pid"
	for i in $(seq 600); do [ -e "$flag" ] && break; sleep 0.05; done
	[ -e "$flag" ] || { kill -9 "$pid"; return 1; }
	# what exists at the pause (the container's init dies with ctr-demo, and its
	# netns with it, which takes the veth pair along)
	AT_PAUSE_LEASES=$(leases) AT_PAUSE_VETHS=$(veths) AT_PAUSE_NFT=$(nft_elems)
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	return 0
}

for step in veth addr ports; do
	id=k-$step
	if ! crash_at "$step" "$id" 1; then
		notok "kill -9 at '$step': ctr-demo never reached the step"
		continue
	fi
	expect_match "at the pause at '$step' the lease is there" "(^| )$id( |$)" "$AT_PAUSE_LEASES"
	expect_eq "at the pause at '$step' the veth is there" 1 "$AT_PAUSE_VETHS"
	expect_eq "at the pause at '$step' the nft element is there (at 'ports')" "$([ "$step" = ports ] && echo 1 || echo 0)" "$AT_PAUSE_NFT"
	expect_match "after kill -9 the lease is still there" "(^| )$id( |$)" "$(leases)"
	OUT=$(nctr delete --force "$id" 2>&1)
	check "delete --force after kill -9 at '$step'" test $? = 0
	expect_eq "no lease left after '$step'" "" "$(leases)"
	expect_eq "no veth left after '$step'" 0 "$(veths)"
	expect_eq "no nft element left after '$step'" 0 "$(nft_elems)"
	expect_eq "no state left after '$step'" "" "$(ls "$ROOT")"
done

# a vanished container: its process killed and its state dir removed (a lost state root)
nctr run -d -b "$B" --network n1 --ip 10.79.0.50 -p 8081:80 v1 </dev/null >"$TMP/out" 2>&1
check "run v1 with 10.79.0.50 and port 8081" test $? = 0
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$ROOT/v1/state.json")
kill -9 "$pid"
gone "$pid"
rm -rf "$ROOT/v1"
expect_match "the lease of the vanished v1 is still recorded" "v1" "$(leases)"
nctr run -d -b "$B" --network n1 --ip 10.79.0.50 -p 8081:80 v2 </dev/null >"$TMP/out" 2>&1
RC=$?
if [ "$RC" = 0 ]; then ok "its address and port are free for v2 (reclaimed)"; else notok "its address and port are free for v2 (reclaimed)" "$(cat "$TMP/out")"; fi
expect_eq "only v2 holds a lease" "v2" "$(leases)"
expect_eq "one nft element (v2's)" 1 "$(nft_elems)"
# reclaimed when in the way, not on every attach: a vanished container with a
# dynamic address and a published port stays recorded while others attach,
# and goes when a container asks for its host port
vanish() { # ID: kill the container's process and remove its state dir
	local p
	p=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$ROOT/$1/state.json")
	kill -9 "$p"
	gone "$p"
	rm -rf "$ROOT/$1"
}
nctr run -d -b "$B" --network n1 -p 8082:80 v3 </dev/null >"$TMP/out" 2>&1
check "run v3 with port 8082" test $? = 0
vanish v3
nctr run -d -b "$B" --network n1 v4 </dev/null >"$TMP/out" 2>&1
check "run v4 (no port)" test $? = 0
expect_eq "v3's lease, in nobody's way, is still recorded" "v2 v3 v4" "$(leases | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
nctr run -d -b "$B" --network n1 -p 8082:80 v5 </dev/null >"$TMP/out" 2>&1
RC=$?
if [ "$RC" = 0 ]; then ok "v5 gets port 8082 (v3 reclaimed)"; else notok "v5 gets port 8082 (v3 reclaimed)" "$(cat "$TMP/out")"; fi
expect_eq "v3's lease is gone" "v2 v4 v5" "$(leases | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "one nft element for port 8082 (v5's) beside v2's" 2 "$(nft_elems)"
for id in v2 v4 v5; do nctr delete -f "$id" >/dev/null 2>&1; done
nctr network rm n1 >/dev/null 2>&1
check "network rm" test $? = 0
expect_eq "the nft table went with the last network" "" "$(ip netns exec "$NS" nft list tables 2>/dev/null)"
finish
