#!/bin/bash
# Container networks through ctr-demo (lib/net): bridge networks, modes,
# names, static addresses and the errors, all inside a network namespace made
# here ("the host"), with a private state root and network directory.
#   n1  10.77.0.0/24 + fd77::/64   c1 (alias web), c2, static s1
. "$(dirname "$0")/../integration/lib.sh"

NS=ctrt$$-net
NETS=$TMP/nets
at_cleanup "ip netns pids $NS 2>/dev/null | xargs -r kill -9; ip netns del $NS"
ip netns add "$NS" || { echo "Bail out! ip netns add $NS"; exit 1; }
# a route of "the host" that a network must not overlap
ip -n "$NS" link add dummy0 type dummy 2>/dev/null || ip -n "$NS" link add dummy0 type bridge
ip -n "$NS" addr add 192.168.77.1/24 dev dummy0
ip -n "$NS" link set dummy0 up
# every ctr-demo call in the test's namespace, on the test's state root and network dir
nctr() { timeout 60 ip netns exec "$NS" "$CTR_DEMO" --root "$ROOT" --net-dir "$NETS" "$@"; }
# nrun ARGS...: ctr-demo run/create in the namespace; OUT and RC (through a file: a
# detached container keeps its stdout open)
nrun() { nctr "$@" </dev/null >"$TMP/out" 2>&1; RC=$?; OUT=$(cat "$TMP/out"); }
# rc_ok NAME: ok when the last nrun succeeded, else its output as diagnostics
rc_ok() { if [ "$RC" = 0 ]; then ok "$1"; else notok "$1" "$OUT"; fi; }
# q CMD...: CMD without its output (for check)
q() { "$@" >/dev/null 2>&1; }
# a bundle that sleeps, whose id is its name
sleeper() { local b; b=$(mkb "$1"); args "$b" 'sleep 300'; echo "$b"; }

OUT=$(nctr network create --subnet 10.77.0.0/24 --subnet fd77::/64 n1 2>&1)
check "network create (IPv4 + IPv6)" test $? = 0
BR=$(jget "$(nctr network inspect n1)" 'd["bridge"]')
expect_match "the bridge exists with the gateways" "10\.77\.0\.1/24.*fd77::1/64" \
	"$(ip -n "$NS" -br addr show dev "$BR" 2>&1)"
MAC=$(ip -n "$NS" -br link show dev "$BR" | awk '{print $3}')
expect_match "the bridge has a pinned locally administered MAC" '^02:' "$MAC"
expect_match "network ls lists it" "^n1 +$BR +10\.77\.0\.0/24,fd77::/64" "$(nctr network ls)"

OUT=$(nctr network create --subnet 10.77.0.0/16 n2 2>&1)
expect_match "an overlapping subnet is refused" "overlaps network 'n1'" "$OUT"
OUT=$(nctr network create --subnet 192.168.77.0/25 n3 2>&1)
expect_match "a subnet over a host route is refused" "overlaps the host route 192\.168\.77\.0/24 on dummy0" "$OUT"
expect_eq "nothing is left of the refused networks" "n1" "$(nctr network ls -q | tr '\n' ' ' | sed 's/ $//')"

# two containers on n1
B1=$(sleeper c1)
B2=$(sleeper c2)
nrun run -d -b "$B1" --network n1 --alias web c1
rc_ok "run -d --network n1 --alias web"
# a line of c1's own, without its newline: the next container's lines are appended after it
nctr exec c1 sh -c 'printf "10.9.9.9 custom" >>/etc/hosts'
nrun create -b "$B2" --network n1 c2 && nrun start c2
rc_ok "create + start --network n1"
IP1=$(jget "$(nctr network inspect n1)" '[c["ipv4"] for c in d["containers"] if c["id"]=="c1"][0]')
IP2=$(jget "$(nctr network inspect n1)" '[c["ipv4"] for c in d["containers"] if c["id"]=="c2"][0]')
check "the two containers have distinct addresses in 10.77.0.0/24" \
	bash -c "[[ '$IP1' == 10.77.0.* && '$IP2' == 10.77.0.* && '$IP1' != '$IP2' ]]"
A=$(nctr exec c1 ip -o addr show dev eth0 2>&1)
expect_match "eth0 in c1 has its IPv4 and IPv6 address" "inet $IP1/24.*inet6 fd77::[0-9a-f]+/64" "$(echo "$A" | tr '\n' ' ')"
expect_match "c1 has a default route via the gateway" "default via 10\.77\.0\.1 dev eth0" "$(nctr exec c1 ip route 2>&1)"
expect_match "c1 has an IPv6 default route" "default via fd77::1 dev eth0" "$(nctr exec c1 ip -6 route 2>&1)"
expect_match "lo is up in c1" "UP" "$(nctr exec c1 ip link show lo 2>&1 | head -1)"
check "c2 pings c1 by address" q nctr exec c2 ping -c1 -W3 "$IP1"
check "c2 pings c1 by name" q nctr exec c2 ping -c1 -W3 c1
check "c2 pings c1 by alias" q nctr exec c2 ping -c1 -W3 web
check "c1 pings c2 by name (hosts updated when c2 joined)" q nctr exec c1 ping -c1 -W3 c2
H1=$(nctr exec c1 cat /etc/hosts 2>&1)
check "c1's /etc/hosts keeps its own line" grep -qx "10\.9\.9\.9 custom" <<<"$H1"
check "c1's /etc/hosts has c2 on a line of its own" grep -qE "^$IP2[[:space:]](.* )?c2\$" <<<"$H1"
# a create that fails after its lease was taken (a bind mount whose source is missing fails
# in the container's setup): the others' hosts files, told on a thread of the create, are
# told again that it left, after that thread is done, so none names it
BB=$(sleeper bad1)
cfg "$BB" 'c["mounts"].append({"destination": "/mnt/x", "type": "bind", "source": "/nonexistent-ctr-test", "options": ["bind"]})'
nrun create -b "$BB" --network n1 bad1
check "a create failing in the container's setup fails" test "$RC" != 0
H1=$(nctr exec c1 cat /etc/hosts 2>&1)
expect_match "c1's /etc/hosts is readable" "localhost" "$H1"
expect_nomatch "c1's /etc/hosts does not name the failed bad1" "bad1" "$H1"
expect_eq "bad1 holds no lease" "" \
	"$(jget "$(nctr network inspect n1)" '" ".join(c["id"] for c in d["containers"] if c["id"]=="bad1")')"
check "IPv6: c1 pings c2 by its IPv6 address" q nctr exec c1 ping6 -c1 -W3 \
	"$(jget "$(nctr network inspect n1)" '[c["ipv6"] for c in d["containers"] if c["id"]=="c2"][0]')"
HOSTS=$(nctr exec c2 cat /etc/hosts 2>&1)
expect_match "/etc/hosts has localhost" "^127\.0\.0\.1[[:space:]]+localhost" "$HOSTS"
expect_match "/etc/hosts has the container itself" "^$IP2[[:space:]].*c2" "$HOSTS"
expect_match "/etc/hosts has c1 with its alias" "^$IP1[[:space:]].*c1 web" "$HOSTS"
expect_match "/etc/hosts has host.containers.internal -> gateway" "^10\.77\.0\.1[[:space:]]+host\.containers\.internal" "$HOSTS"
HN=$(jget "$(cat "$B2/config.json")" 'd.get("hostname") or "c2"')
expect_eq "/etc/hostname" "$HN" "$(nctr exec c2 cat /etc/hostname 2>&1)"
RES=$(nctr exec c2 cat /etc/resolv.conf 2>&1)
expect_match "/etc/resolv.conf has a nameserver" "^nameserver " "$RES"
expect_nomatch "/etc/resolv.conf has no loopback nameserver" "^nameserver (127\.|::1)" "$RES"

# static addresses
B3=$(sleeper s1)
nrun run -d -b "$B3" --network n1 --ip 10.77.0.200 --ip6 fd77::200 s1
rc_ok "a static address"
expect_match "s1 has 10.77.0.200 and fd77::200" "10\.77\.0\.200/24.*fd77::200/64" \
	"$(nctr exec s1 ip -o addr show dev eth0 2>&1 | tr '\n' ' ')"
B4=$(sleeper s2)
LINKS=$(ip -n "$NS" -o link | wc -l)
nrun run -d -b "$B4" --network n1 --ip 10.77.0.200 s2
expect_match "an address in use is refused with a clear error" "address 10\.77\.0\.200 is already in use by container 's1'" "$OUT"
expect_eq "the refused container left no state" "" "$(ls "$ROOT" | grep -x s2)"
expect_eq "the refused container left no link" "$LINKS" "$(ip -n "$NS" -o link | wc -l)"
expect_eq "the refused container left no lease" "" \
	"$(jget "$(nctr network inspect n1)" '" ".join(c["id"] for c in d["containers"] if c["id"]=="s2")')"
nrun run -d -b "$B4" --network n1 --ip 10.99.0.2 s2
expect_match "an address outside the subnet is refused" "not in network 'n1'" "$OUT"

# modes: none, host, container:<id>
B5=$(mkb none1)
runb_net() { local b=$1 id=$2; shift 2; nrun run -b "$b" "$@" "$id"; }
args "$B5" 'ip -o link; cat /etc/hosts'
runb_net "$B5" none1 --network none
expect_eq "none: run succeeds" 0 "$RC"
expect_eq "none: only lo, and it is up" "1" "$(echo "$OUT" | grep -c '^[0-9]*: ')"
expect_match "none: lo is up" "^1: lo: <LOOPBACK,UP" "$OUT"
expect_match "none: /etc/hosts has localhost" "127\.0\.0\.1[[:space:]]+localhost" "$OUT"
B6=$(mkb host1)
args "$B6" 'readlink /proc/self/ns/net'
runb_net "$B6" host1 --network host
expect_eq "host: the runtime's network namespace" "$(ip netns exec "$NS" readlink /proc/self/ns/net)" "$OUT"
B7=$(mkb join1)
args "$B7" 'ip -o addr show dev eth0'
runb_net "$B7" join1 --network container:c1
expect_match "container:c1 joins c1's namespace (same eth0 address)" "inet $IP1/24" "$OUT"
runb_net "$B7" join2 --network container:nosuch
expect_match "container:<missing> is a clear error" "container 'nosuch' does not exist" "$OUT"

# network connect/disconnect of a container created without a bridge network
B8=$(sleeper late)
nrun run -d -b "$B8" late
rc_ok "run late (its own netns, no network)"
nrun network connect --ip 10.77.0.150 --alias lt n1 late
rc_ok "network connect n1 late"
expect_match "late's eth0 has 10.77.0.150" "inet 10\.77\.0\.150/24" "$(nctr exec late ip -o -4 addr show dev eth0 2>&1)"
check "c1 pings late" q nctr exec c1 ping -c1 -W3 10.77.0.150
nrun network connect n1 late
expect_match "a second connect is refused" "has a network already" "$OUT"
nrun network disconnect n1 late
rc_ok "network disconnect n1 late"
expect_eq "late has no eth0 any more" "" "$(nctr exec late ip -o link show dev eth0 2>/dev/null)"
expect_eq "late's lease is gone" "" \
	"$(jget "$(nctr network inspect n1)" '" ".join(c["id"] for c in d["containers"] if c["id"]=="late")')"
nctr network create --subnet 10.76.0.0/24 n4 >/dev/null 2>&1
nrun network connect n4 late
rc_ok "network connect n4 (IPv4 only) late"
E4=$(nctr exec late ip -o addr show 2>&1 | grep -v " lo ")
expect_match "on an IPv4-only network late has its IPv4 address" "inet 10\.76\.0\.[0-9]+/24" "$E4"
expect_nomatch "... and no IPv6 address on that link (no link-local)" "inet6" "$E4"
nrun network disconnect n4 late
rc_ok "network disconnect n4 late"
nctr network rm n4 >/dev/null 2>&1
nrun network connect n1 late
rc_ok "connect again"
nctr delete -f late >/dev/null 2>&1
expect_eq "delete detaches a connected container" "" \
	"$(jget "$(nctr network inspect n1)" '" ".join(c["id"] for c in d["containers"] if c["id"]=="late")')"

# delete detaches: no veth, no lease, hosts of the others updated
HOSTIF=$(jget "$(nctr network inspect n1)" '[c["hostInterface"] for c in d["containers"] if c["id"]=="c2"][0]')
check "c2's host veth exists" q ip -n "$NS" link show "$HOSTIF"
# a bridge port has no address of its own: no IPv6 link-local (its DAD, MLD and router
# solicitations would be flooded to every container on the bridge)
expect_eq "c2's host veth has no IPv6 link-local address" "" "$(ip -n "$NS" -6 -o addr show dev "$HOSTIF")"
expect_match "c2's eth0 (an IPv6 network) has its link-local address" "inet6 fe80::" \
	"$(nctr exec c2 ip -o -6 addr show dev eth0 2>&1)"
OUT=$(nctr delete -f c2 2>&1)
check "delete -f c2" test $? = 0
check "c2's host veth is gone" bash -c "! ip -n $NS link show $HOSTIF 2>/dev/null"
expect_eq "c2's lease is gone" "" \
	"$(jget "$(nctr network inspect n1)" '" ".join(c["id"] for c in d["containers"] if c["id"]=="c2")')"
H1=$(nctr exec c1 cat /etc/hosts 2>&1)
expect_nomatch "c1's /etc/hosts forgot c2" "[[:space:]]c2( |$)" "$H1"
# only c2's lines went: c1's own line stays, as on a join (a rewrite from the leases dropped it)
check "c1's /etc/hosts keeps its own line after c2 left" grep -qx "10\.9\.9\.9 custom" <<<"$H1"
check "c1's /etc/hosts still has host.containers.internal" grep -qE "^10\.77\.0\.1[[:space:]]+host\.containers\.internal\$" <<<"$H1"

OUT=$(nctr network rm n1 2>&1)
expect_match "network rm refuses a network in use" "network 'n1' is used by 'c1', 's1'" "$OUT"
nctr delete -f c1 >/dev/null 2>&1
nctr delete -f s1 >/dev/null 2>&1
OUT=$(nctr network rm n1 2>&1)
check "network rm once unused" test $? = 0
check "the bridge is gone" bash -c "! ip -n $NS link show $BR 2>/dev/null"
expect_eq "no network left" "" "$(nctr network ls -q)"

# a file bound over /proc/sys/net/ipv4/ip_forward (the CVE-2025-52881 redirect) is
# refused, not written through: the bound file (lo's arp_ignore, 0) stays untouched
NS2=ctrt$$-net2
at_cleanup "ip netns pids $NS2 2>/dev/null | xargs -r kill -9; ip netns del $NS2"
ip netns add "$NS2" || { echo "Bail out! ip netns add $NS2"; exit 1; }
# a new netns starts with the host's IPv4 settings (net.core.devconf_inherit_init_net
# = 0): on a host that forwards (after podman, docker, or this project's demo) its
# ip_forward would already be 1, so both files are set to 0 here first
ip netns exec "$NS2" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward &&
	echo 0 >/proc/sys/net/ipv4/conf/lo/arp_ignore' ||
	{ echo "Bail out! ip_forward/arp_ignore in $NS2"; exit 1; }
OUT=$(timeout 60 ip netns exec "$NS2" unshare -m --propagation private sh -c \
	'mount --bind /proc/sys/net/ipv4/conf/lo/arp_ignore /proc/sys/net/ipv4/ip_forward &&
	 exec "$0" --root "$1" --net-dir "$2" network create --subnet 10.78.0.0/24 n9' \
	"$CTR_DEMO" "$ROOT" "$TMP/nets2" 2>&1)
RC=$?
check "network create with a file bound over ip_forward fails" test "$RC" != 0
expect_match "... and says that /proc/sys/net/ipv4/ip_forward is not the real procfs file" \
	"/proc/sys/net/ipv4/ip_forward: refusing to write: it is not a file of the real procfs" "$OUT"
expect_eq "... the file bound over it is untouched" 0 "$(ip netns exec "$NS2" cat /proc/sys/net/ipv4/conf/lo/arp_ignore)"
expect_eq "... ip_forward itself is unchanged" 0 "$(ip netns exec "$NS2" cat /proc/sys/net/ipv4/ip_forward)"
expect_eq "... no bridge is left" "" "$(ip -n "$NS2" -br link show type bridge)"
expect_eq "... no network is left" "" "$("$CTR_DEMO" --root "$ROOT" --net-dir "$TMP/nets2" network ls -q 2>&1)"
finish
