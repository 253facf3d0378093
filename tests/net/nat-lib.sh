# Helpers shared by the NAT tests (nat-basic.sh, nat-ctr.sh); source after
# ../integration/lib.sh.
#
# nat_topology P INTERNAL-SUBNET NS...: network namespaces $P-out ("the
# internet") and $P-host, plus $P-NS for each extra NS, all deleted at exit;
# a veth between out (198.51.100.1/24, fd00:51::1/64) and host
# (198.51.100.2/24, fd00:51::2/64); out routes INTERNAL-SUBNET through host,
# so that only the firewall keeps the internal network apart; out serves
# /cgi-bin/who with busybox httpd.  Sets NS_OUT and NS_HOST.
command -v nft >/dev/null || { echo "1..0 # SKIP nft (nftables) is not installed"; exit 77; }
command -v curl >/dev/null || { echo "1..0 # SKIP curl is not installed"; exit 77; }

nat_topology() {
	local p=$1 internal=$2 n
	shift 2
	NS_OUT=$p-out NS_HOST=$p-host
	at_cleanup "for n in out host $*; do ip netns pids $p-\$n 2>/dev/null | xargs -r kill -9; ip netns del $p-\$n; done"
	for n in out host "$@"; do
		ip netns add "$p-$n" || { echo "Bail out! ip netns add $p-$n"; exit 1; }
		ip -n "$p-$n" link set lo up
	done
	ip -n "$NS_HOST" link add h0 type veth peer name o0 netns "$NS_OUT"
	ip -n "$NS_OUT" addr add 198.51.100.1/24 dev o0
	ip -n "$NS_OUT" addr add fd00:51::1/64 dev o0 nodad
	ip -n "$NS_OUT" link set o0 up
	ip -n "$NS_HOST" addr add 198.51.100.2/24 dev h0
	ip -n "$NS_HOST" addr add fd00:51::2/64 dev h0 nodad
	ip -n "$NS_HOST" link set h0 up
	ip -n "$NS_OUT" route add "$internal" via 198.51.100.2
	www "$TMP/www-out" out
	ip netns exec "$NS_OUT" busybox httpd -p 80 -h "$TMP/www-out"
}

# www DIR NAME: an httpd document root whose /cgi-bin/who answers "NAME client-address"
www() {
	mkdir -p "$1/cgi-bin"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%%s %%s\\n" "%s" "$REMOTE_ADDR"\n' "$2" \
		>"$1/cgi-bin/who"
	chmod 0755 "$1/cgi-bin/who"
}

# get WHERE URL: the page ("NAME client-address") fetched from the network
# namespace WHERE (a netns name, or a path such as /proc/PID/ns/net), or FAIL
# (two tries of 1 s: the first IPv6 packet to a fresh address may wait on
# neighbour discovery).  httpd prints v4 clients as [::ffff:a.b.c.d], v6 ones as [x::y].
get() {
	local run=(ip netns exec "$1") out
	case $1 in /*) run=(nsenter --net="$1") ;; esac
	out=$("${run[@]}" curl -s -m 1 "$2" 2>/dev/null) || out=$("${run[@]}" curl -s -m 1 "$2" 2>/dev/null)
	printf '%s\n' "$out" | sed -e 's/\[::ffff:\([0-9.]*\)\]/\1/' -e 's/\[\(.*\)\]/\1/' | grep . || echo FAIL
}

# udp_server WHERE NAME PORT: a UDP server in WHERE (netns name or path) that
# answers each datagram with "NAME client-address"; killed at exit
udp_server() {
	local run=(ip netns exec "$1")
	case $1 in /*) run=(nsenter --net="$1") ;; esac
	"${run[@]}" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[2])))
while True:
    d, a = s.recvfrom(512)
    s.sendto(("%s %s" % (sys.argv[1], a[0].replace("::ffff:", ""))).encode(), a)' "$2" "$3" &
	track_pid $!
}
# udp WHERE HOST PORT: the answer of a UDP server, or FAIL (1 s)
udp() {
	local run=(ip netns exec "$1")
	case $1 in /*) run=(nsenter --net="$1") ;; esac
	"${run[@]}" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
try:
    s.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
    print(s.recv(512).decode())
except OSError:
    print("FAIL")' "$2" "$3"
}
