#!/bin/bash
# NAT and published ports through libctr's nftables table (lib/net/nft.c),
# in network namespaces made here:
#   out   198.51.100.1/24 fd00:51::1/64     "the internet" (an httpd that prints the client's address)
#   host  198.51.100.2/24 fd00:51::2/64 on the veth to out,
#         br0 10.88.0.1/24 fd00:88::1/64 (network n1), bri 10.89.0.1/24 (internal network ni)
#   c1, c2 on br0 (10.88.0.2, .3 / fd00:88::2, ::3), ci on bri (10.89.0.2), each with an httpd
# The firewall is driven through tests/net/nft-driver (the nft.h calls) in
# the host netns.  Nothing outside these namespaces is touched.
. "$(dirname "$0")/../integration/lib.sh"

DRIVER=${NFT_DRIVER:-$CTR_BUILD_ROOT/tests/net/nft-driver}
[ -x "$DRIVER" ] || { echo "Bail out! no nft-driver at $DRIVER"; exit 1; }
. "$(dirname "$0")/nat-lib.sh"

P=ctrt$$
nat_topology "$P" 10.89.0.0/24 c1 c2 ci
hx() { ip netns exec "$NS_HOST" "$@"; }
drv() { hx "$DRIVER" "$@"; }
hx sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# bridges and "containers"
ip -n "$NS_HOST" link add br0 type bridge
ip -n "$NS_HOST" link add bri type bridge
ip -n "$NS_HOST" addr add 10.88.0.1/24 dev br0
ip -n "$NS_HOST" addr add fd00:88::1/64 dev br0 nodad
ip -n "$NS_HOST" addr add 10.89.0.1/24 dev bri
ip -n "$NS_HOST" link set br0 up
ip -n "$NS_HOST" link set bri up
ctn() { # ctn NAME BRIDGE V4 [V6]
	local ns=$P-$1
	ip -n "$NS_HOST" link add "v$1" type veth peer name eth0 netns "$ns"
	ip -n "$NS_HOST" link set "v$1" master "$2" up
	# br_netfilter bridges a DNATed frame back out of its port (hairpin)
	ip -n "$NS_HOST" link set "v$1" type bridge_slave hairpin on
	ip -n "$ns" addr add "$3/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "${3%.*}.1"
	if [ -n "${4:-}" ]; then
		ip -n "$ns" addr add "$4/64" dev eth0 nodad
		ip -n "$ns" -6 route add default via fd00:88::1
	fi
	www "$TMP/www-$1" "$1"
	www "$TMP/www81-$1" "$1:81"
	ip netns exec "$ns" busybox httpd -p 80 -h "$TMP/www-$1"
	ip netns exec "$ns" busybox httpd -p 81 -h "$TMP/www81-$1"
}
ctn c1 br0 10.88.0.2 fd00:88::2
ctn c2 br0 10.88.0.3 fd00:88::3
ctn ci bri 10.89.0.2

N1=n1,br0,0,10.88.0.0/24,fd00:88::/64
NI=ni,bri,1,10.89.0.0/24
PORTS=(tcp/-/8080/10.88.0.2/80 tcp/-/8080/fd00:88::2/80 tcp/-/9000-9001/10.88.0.3/80 udp/-/5353/10.88.0.2/53)

check "init creates table inet ctr" drv init
check "network n1 added" drv net-add "$N1"
check "internal network ni added" drv net-add "$NI"
check "ports of c1 and c2 published" drv port-add c1 "${PORTS[@]:0:2}"
check "a port range of c2 published" drv port-add c2 "${PORTS[2]}"
check "a UDP port of c1 published" drv port-add c1 "${PORTS[3]}"
udp_server "$P-c1" c1 53
expect_eq "route_localnet on br0" 1 "$(hx cat /proc/sys/net/ipv4/conf/br0/route_localnet)"
# a file bound over a bridge's route_localnet (the CVE-2025-52881 redirect) is
# refused, not written through: the bound file (brx's arp_ignore, 0) stays untouched
ip -n "$NS_HOST" link add brx type bridge
OUT=$(hx unshare -m --propagation private sh -c \
	'mount --bind /proc/sys/net/ipv4/conf/brx/arp_ignore /proc/sys/net/ipv4/conf/brx/route_localnet &&
	 exec "$0" net-add nx,brx,0,10.90.0.0/24' "$DRIVER" 2>&1)
check "net-add with a file bound over route_localnet fails" test $? != 0
expect_match "... and says route_localnet is not the real procfs file" \
	"route_localnet: refusing to write: it is not a file of the real procfs" "$OUT"
expect_eq "... the file bound over it is untouched" 0 "$(hx cat /proc/sys/net/ipv4/conf/brx/arp_ignore)"
expect_eq "... route_localnet itself is unchanged" 0 "$(hx cat /proc/sys/net/ipv4/conf/brx/route_localnet)"
expect_eq "... no element of its subnet" "" "$(hx nft list table inet ctr | grep -F 10.90.0.)"
ip -n "$NS_HOST" link del brx

expect_eq "c1 reaches the outside through NAT (outside sees the host's address)" \
	"out 198.51.100.2" "$(get "$P-c1" http://198.51.100.1/cgi-bin/who)"
expect_match "c1 reaches the outside over IPv6 through NAT" \
	"^out fd00:51::2$" "$(get "$P-c1" 'http://[fd00:51::1]/cgi-bin/who')"
expect_eq "published port from the outside (client address kept)" \
	"c1 198.51.100.1" "$(get "$NS_OUT" http://198.51.100.2:8080/cgi-bin/who)"
expect_match "published port from the outside over IPv6" \
	"^c1 fd00:51::1$" "$(get "$NS_OUT" 'http://[fd00:51::2]:8080/cgi-bin/who')"
expect_eq "published port range (second port) from the outside" \
	"c2:81 198.51.100.1" "$(get "$NS_OUT" http://198.51.100.2:9001/cgi-bin/who)"
expect_eq "published UDP port from the outside" "c1 198.51.100.1" "$(udp "$NS_OUT" 198.51.100.2 5353)"
expect_match "published port from the host through its own address" \
	"^c1 " "$(get "$NS_HOST" http://198.51.100.2:8080/cgi-bin/who)"
expect_eq "published port from the host through 127.0.0.1 (masqueraded to the bridge address)" \
	"c1 10.88.0.1" "$(get "$NS_HOST" http://127.0.0.1:8080/cgi-bin/who)"
expect_eq "hairpin: c2 reaches c1's published port through the host's address" \
	"c1 10.88.0.1" "$(get "$P-c2" http://198.51.100.2:8080/cgi-bin/who)"
expect_eq "hairpin: c1 reaches its own published port through the gateway" \
	"c1 10.88.0.1" "$(get "$P-c1" http://10.88.0.1:8080/cgi-bin/who)"
expect_eq "the internal network gets no outbound traffic" FAIL "$(get "$P-ci" http://198.51.100.1/cgi-bin/who)"
expect_eq "the internal network cannot be reached from outside" FAIL "$(get "$NS_OUT" http://10.89.0.2/cgi-bin/who)"

OUT=$(drv port-add c3 tcp/-/8080/10.88.0.3/80 2>&1)
RC=$?
expect_eq "publishing a port twice: exit 3 (EADDRINUSE)" 3 "$RC"
expect_match "... names the port and its owner" "tcp/8080 is already published by 'c1'" "$OUT"

# rules: handles of every rule, before and after element changes
rules() { hx nft -a list table inet ctr | grep -o '# handle [0-9]*' | tr '\n' ' '; }
elems() { hx nft list table inet ctr | grep -c ' : 10.88\| : fd00'; }
R0=$(rules)
check "c1's ports removed" drv port-rm c1 "${PORTS[@]:0:2}" "${PORTS[3]}"
expect_eq "rules unchanged by port removal" "$R0" "$(rules)"
expect_eq "only c2's two elements left" 2 "$(elems)"
expect_eq "removed port no longer reachable" FAIL "$(get "$NS_OUT" http://198.51.100.2:8080/cgi-bin/who)"
expect_eq "removed UDP port no longer reachable" FAIL "$(udp "$NS_OUT" 198.51.100.2 5353)"
expect_eq "c2's port still reachable" "c2 198.51.100.1" "$(get "$NS_OUT" http://198.51.100.2:9000/cgi-bin/who)"
check "c1's ports published again" drv port-add c1 "${PORTS[@]:0:2}"
expect_eq "rules unchanged by port addition" "$R0" "$(rules)"

hx nft flush ruleset
expect_eq "after nft flush ruleset: no NAT" FAIL "$(get "$P-c1" http://198.51.100.1/cgi-bin/who)"
check "rebuild from state" drv rebuild "$N1" "$NI" -- c1 "${PORTS[@]:0:2}"
check "rebuild adds c2's ports" drv port-add c2 "${PORTS[2]}"
expect_eq "after rebuild: NAT again" "out 198.51.100.2" "$(get "$P-c1" http://198.51.100.1/cgi-bin/who)"
expect_eq "after rebuild: published port again" "c1 198.51.100.1" "$(get "$NS_OUT" http://198.51.100.2:8080/cgi-bin/who)"
expect_eq "after rebuild: internal network still closed" FAIL "$(get "$P-ci" http://198.51.100.1/cgi-bin/who)"

check "network n1 removed" drv net-rm "$N1"
expect_eq "no NAT for a removed network" FAIL "$(get "$P-c1" http://198.51.100.1/cgi-bin/who)"
check "fini deletes the table" drv fini
expect_eq "no table left" "" "$(hx nft list tables)"

# libnftnl is opened on first use, not linked: libctr maps it only for NAT and ports, and
# without it (an empty file mounted over it here) the first nft call says what is missing
libctr_so=$(ldd "$DRIVER" | awk '$1 ~ /^libctr\.so/ {print $3}')
check "libctr does not link libnftnl" sh -c "! readelf -d '${libctr_so:-$DRIVER}' | grep -q 'NEEDED.*libnftnl'"
nftnl=$(ldconfig -p | awk '$1 == "libnftnl.so.11" && /x86-64|64bit/ {print $NF; exit}')
[ -n "$nftnl" ] || nftnl=$(ldconfig -p | awk '$1 == "libnftnl.so.11" {print $NF; exit}')
if [ -n "$nftnl" ]; then
	out=$(unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$nftnl" \
		ip netns exec "$NS_HOST" "$DRIVER" init 2>&1)
	rc=$?
	check "libnftnl hidden: the first nft call fails" test "$rc" != 0
	expect_match "... naming libnftnl and its package" "cannot load libnftnl: .*apt-get install libnftnl11" "$out"
	expect_eq "... and makes no table" "" "$(hx nft list tables)"
else
	skip "libnftnl hidden" "ldconfig does not list libnftnl.so.11"
fi
finish
