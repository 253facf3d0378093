#!/bin/bash
# ctr_network_attach_netns / ctr_network_detach_netns through
# net-attach-bench (argument 1) in "check" mode: eth0 exists in the namespace
# right after every attach, and right after every detach (which returns before
# the kernel's final freeing of the veth, finished by a thread of the network
# handle) neither eth0 nor the host end is left; after the run no lease, veth
# or published-port element remains.  Everything in network namespaces made here.
. "$(dirname "$0")/../integration/lib.sh"

BENCH=${1:?usage: net-detach.sh NET-ATTACH-BENCH}
NS=ctrt$$-det
at_cleanup "ip netns del $NS-c; ip netns del $NS"
ip netns add "$NS" && ip netns add "$NS-c" || { echo "Bail out! ip netns add $NS"; exit 1; }
NETS=$TMP/nets
nctr() { timeout 60 ip netns exec "$NS" "$CTR_DEMO" --net-dir "$NETS" "$@"; }

nctr network create --subnet 10.81.0.0/24 n1 >/dev/null
check "network create" test $? = 0
out=$(timeout 60 ip netns exec "$NS" "$BENCH" "$NETS" n1 "/run/netns/$NS-c" 20 8080:80 check 2>&1)
rc=$?
check "20 attach+detach cycles, no veth end left right after each detach (${out//$'\n'/ })" test $rc = 0
expect_eq "no link left in the namespace but lo" "lo" "$(ip -n "$NS-c" -o link show | awk -F': ' '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "no host end left" "0" "$(ip -n "$NS" -o link show | grep -c ' vc[0-9a-f]\{12\}[@:]')"
expect_eq "no lease left" "" "$(jget "$(nctr network inspect n1)" '" ".join(c["id"] for c in d["containers"])')"
expect_eq "no published-port element left" "0" \
	"$(ip netns exec "$NS" nft list map inet ctr dnat4_any 2>/dev/null | grep -c ': 10\.81\.')"
nctr network rm n1 >/dev/null
check "network rm" test $? = 0
finish
