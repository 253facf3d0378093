#!/bin/bash
# NAT and published ports with real containers: ctr-demo network create and
# run --network -p, inside network namespaces made here:
#   out   198.51.100.1/24 fd00:51::1/64    "the internet": an httpd that prints the client's address
#   host  198.51.100.2/24 fd00:51::2/64 on the veth to out; ctr-demo runs here, with
#         network n1 10.66.0.0/24 + fd66::/64 (c1 publishes ports, c2 does not) and the
#         internal network ni 10.67.0.0/24 (ci)
# Clients inside a container run in its network namespace (nsenter --net) with
# the host's curl; the containers serve with busybox httpd.
. "$(dirname "$0")/../integration/lib.sh"

. "$(dirname "$0")/nat-lib.sh"

P=ctrt$$
NETS=$TMP/nets
nat_topology "$P" 10.67.0.0/24

nctr() { timeout 60 ip netns exec "$NS_HOST" "$CTR_DEMO" --root "$ROOT" --net-dir "$NETS" "$@"; }
nrun() { nctr "$@" </dev/null >"$TMP/out" 2>&1; RC=$?; OUT=$(cat "$TMP/out"); }
# ctn NAME SCRIPT: a bundle named NAME whose container runs SCRIPT; its
# /www/cgi-bin/who answers "NAME addr" (and /www81 "NAME:81 addr")
ctn() {
	local b
	b=$(mkb "$1")
	www "$b/rootfs/www" "$1"
	www "$b/rootfs/www81" "$1:81"
	args "$b" "$2"
	echo "$b"
}
SERVE='httpd -p 80 -h /www && httpd -p 81 -h /www81 && exec sleep 300'
# the network namespace of a container
netns_of() { echo "/proc/$(jget "$(nctr state "$1")" 'd["pid"]')/ns/net"; }
rules() { ip netns exec "$NS_HOST" nft -a list table inet ctr | grep -o '# handle [0-9]*' | tr '\n' ' '; }
table() { ip netns exec "$NS_HOST" nft list table inet ctr 2>&1; }

nrun network create --subnet 10.66.0.0/24 --subnet fd66::/64 n1
check "network create n1" test $RC = 0 || echo "# $OUT"
nrun network create --internal --subnet 10.67.0.0/24 ni
check "network create --internal ni" test $RC = 0 || echo "# $OUT"
nrun run -d -b "$(ctn c1 "$SERVE")" --network n1 -p 8080:80 -p 9000-9001:80-81 c1
check "run -d --network n1 -p 8080:80 -p 9000-9001:80-81 c1" test $RC = 0 || echo "# $OUT"
nrun run -d -b "$(ctn c2 'exec sleep 300')" --network n1 c2
check "run -d --network n1 c2" test $RC = 0 || echo "# $OUT"
nrun run -d -b "$(ctn ci 'exec sleep 300')" --network ni ci
check "run -d --network ni ci" test $RC = 0 || echo "# $OUT"
IP1=$(jget "$(nctr network inspect n1)" '[c["ipv4"] for c in d["containers"] if c["id"]=="c1"][0]')
sleep 0.2 # the httpds of c1

expect_eq "c1 reaches the outside through NAT (the outside sees the host's address)" \
	"out 198.51.100.2" "$(get "$(netns_of c1)" http://198.51.100.1/cgi-bin/who)"
expect_eq "c2 reaches the outside over IPv6 through NAT" \
	"out fd00:51::2" "$(get "$(netns_of c2)" 'http://[fd00:51::1]/cgi-bin/who')"
expect_eq "published port from the outside via the host's address (client address kept)" \
	"c1 198.51.100.1" "$(get "$NS_OUT" http://198.51.100.2:8080/cgi-bin/who)"
expect_eq "published port from the outside over IPv6" \
	"c1 fd00:51::1" "$(get "$NS_OUT" 'http://[fd00:51::2]:8080/cgi-bin/who')"
expect_eq "published port range: 9001 -> 81" \
	"c1:81 198.51.100.1" "$(get "$NS_OUT" http://198.51.100.2:9001/cgi-bin/who)"
expect_match "published port from the host side via its own address" \
	"^c1 " "$(get "$NS_HOST" http://198.51.100.2:8080/cgi-bin/who)"
expect_eq "published port from the host side via 127.0.0.1" \
	"c1 10.66.0.1" "$(get "$NS_HOST" http://127.0.0.1:8080/cgi-bin/who)"
expect_eq "hairpin: c2 reaches c1's published port via the host's address" \
	"c1 10.66.0.1" "$(get "$(netns_of c2)" http://198.51.100.2:8080/cgi-bin/who)"
expect_eq "hairpin: c1 reaches its own published port via the gateway" \
	"c1 10.66.0.1" "$(get "$(netns_of c1)" http://10.66.0.1:8080/cgi-bin/who)"
expect_eq "the internal network gets no outbound traffic" FAIL "$(get "$(netns_of ci)" http://198.51.100.1/cgi-bin/who)"
expect_eq "the internal network is not reachable from the outside" FAIL \
	"$(get "$NS_OUT" "http://$(jget "$(nctr network inspect ni)" 'd["containers"][0]["ipv4"]')/")"

T0=$(table)
nrun run -d -b "$(ctn c3 'exec sleep 300')" --network n1 -p 8080:80 c3
check "a port published twice is refused" test $RC != 0
expect_match "... naming the port and its owner" "tcp/8080 is already published by 'c1'" "$OUT"
expect_eq "... and the table is as it was" "$T0" "$(table)"
expect_eq "... and no lease is left for c3" 0 \
	"$(jget "$(nctr network inspect n1)" 'len([c for c in d["containers"] if c["id"]=="c3"])')"

# a firewall reload wipes everything; network reload rebuilds it from the leases
ip netns exec "$NS_HOST" nft flush ruleset
expect_eq "after nft flush ruleset: no NAT" FAIL "$(get "$(netns_of c1)" http://198.51.100.1/cgi-bin/who)"
nrun network reload
check "network reload" test $RC = 0 || echo "# $OUT"
expect_eq "after reload: NAT again" "out 198.51.100.2" "$(get "$(netns_of c1)" http://198.51.100.1/cgi-bin/who)"
expect_eq "after reload: the published port again" \
	"c1 198.51.100.1" "$(get "$NS_OUT" http://198.51.100.2:8080/cgi-bin/who)"
expect_eq "after reload: the internal network still closed" FAIL "$(get "$(netns_of ci)" http://198.51.100.1/cgi-bin/who)"

R1=$(rules)
nrun delete --force c1
check "delete c1" test $RC = 0 || echo "# $OUT"
T1=$(table)
expect_nomatch "c1's elements are gone" "comment \"c1\"|$IP1 \. " "$T1"
expect_match "the network's subnets stay" "10\.66\.0\.0/24" "$T1"
expect_eq "no rule was added or removed" "$R1" "$(rules)"
expect_eq "the published port is closed" FAIL "$(get "$NS_OUT" http://198.51.100.2:8080/cgi-bin/who)"
expect_eq "c2 still reaches the outside" "out 198.51.100.2" "$(get "$(netns_of c2)" http://198.51.100.1/cgi-bin/who)"
finish
